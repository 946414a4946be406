//! `migrate serve`: resolve settings and secrets, bind, serve until SIGTERM / ctrl-c.

use std::path::PathBuf;
use std::time::Duration;

use anyhow::Context;
use clap::Args;

use crate::server::{self, AppState, Auth, Options};

use super::db::{Global, context, load_migrations, parse_duration, shutdown_signal};
use super::exit;

#[derive(Debug, Args)]
#[allow(clippy::doc_markdown)] // doc comments are --help text: backticks would print
pub struct ServeArgs {
    /// Migrations directory (default from config, else ./migrations).
    dir: Option<PathBuf>,
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1:8080", value_name = "ADDR")]
    listen: String,
    /// File holding the bearer token /v1 requests must send (else env SLUICE_TOKEN).
    #[arg(long, value_name = "PATH")]
    token_file: Option<PathBuf>,
    /// File holding the HMAC-SHA256 key of `X-Sluice-Signature` (else env SLUICE_HMAC_KEY).
    #[arg(long, value_name = "PATH")]
    hmac_key_file: Option<PathBuf>,
    /// While a contract started by post-rollout waits on its gate, ask again this often.
    #[arg(long, default_value = "10s", value_name = "DURATION", value_parser = parse_duration)]
    gate_poll: Duration,
    /// ...for at most this long.
    #[arg(long, default_value = "1h", value_name = "DURATION", value_parser = parse_duration)]
    gate_wait: Duration,
    /// Read every `[fleet.<name>]` of sluice.toml this often, for GET /v1/fleets/{name} and
    /// the fleet metrics.
    #[arg(long, default_value = "30s", value_name = "DURATION", value_parser = parse_duration)]
    fleet_refresh: Duration,
}

fn secret(file: Option<&PathBuf>, env: &str) -> anyhow::Result<Option<Vec<u8>>> {
    if let Some(p) = file {
        return std::fs::read(p)
            .map(Some)
            .with_context(|| format!("{}: cannot read", p.display()));
    }
    Ok(std::env::var(env).ok().map(String::into_bytes))
}

pub fn run(g: &Global<'_>, args: &ServeArgs) -> anyhow::Result<u8> {
    if args.gate_poll < Duration::from_millis(100) {
        anyhow::bail!(
            "--gate-poll {}: at least 100ms (each poll asks the gates again)",
            humantime::format_duration(args.gate_poll)
        );
    }
    let ctx = context(g, None)?;
    let migrations = load_migrations(&ctx.config, args.dir.as_deref())?;
    let token = secret(args.token_file.as_ref(), "SLUICE_TOKEN")?
        .map(|t| String::from_utf8_lossy(&t).into_owned());
    let key = secret(args.hmac_key_file.as_ref(), "SLUICE_HMAC_KEY")?;
    let Some(auth) = Auth::new(token, key) else {
        anyhow::bail!(
            "the server needs a secret for /v1: --token-file PATH (or env SLUICE_TOKEN) and/or --hmac-key-file PATH (or env SLUICE_HMAC_KEY)"
        );
    };
    let fleets = server::Fleets::new(
        ctx.config
            .fleets
            .values()
            .map(|spec| {
                let mut spec = spec.clone();
                // as `apply --fleet`: the catalog is DATABASE_URL unless the file names one
                if spec.catalog_url.is_none() {
                    spec.catalog_url = Some(ctx.engine.url().clone());
                }
                crate::run::fleet::Fleet::new(spec, ctx.engine.settings().clone())
            })
            .collect(),
    );
    let (url, settings) = ctx.engine.into_parts();
    let state = AppState::new(
        url,
        settings,
        migrations,
        Options {
            auth,
            gate_poll: args.gate_poll,
            gate_wait: args.gate_wait,
        },
    )
    .watching(fleets, args.fleet_refresh.max(Duration::from_secs(1)));
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    rt.block_on(async {
        let listener = tokio::net::TcpListener::bind(&args.listen)
            .await
            .with_context(|| format!("cannot listen on {}", args.listen))?;
        let addr = listener.local_addr().context("no local address")?;
        eprintln!("listening on http://{addr}");
        server::serve(listener, state, async {
            let sig = shutdown_signal().await;
            eprintln!("{sig}: no new requests; letting running phases reach a safe point");
        })
        .await
        .context("the server failed")?;
        Ok::<_, anyhow::Error>(exit::OK)
    })
}
