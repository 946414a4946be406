//! Schema snapshot speed: how long one snapshot takes over an open connection (what
//! `migrate verify` does hundreds of times), on a database you migrated first.
//!
//! ```text
//! createdb snap && DATABASE_URL=postgres://postgres@127.0.0.1:5432/snap \
//!     migrate apply ../shared/corpora/crates.io/migrations
//! cargo bench --bench snapshot -- --url postgres://postgres@127.0.0.1:5432/snap [--repeat 50]
//! ```
//! Prints the connection time, then min / median / max of the snapshots and the object counts.

// a bench binary: its figures go to the terminal
#![allow(clippy::print_stdout, clippy::print_stderr)]

use std::time::{Duration, Instant};

use sluice::run::ledger::Ledger;
use sluice::run::snapshot::{Options, Reader};
use sluice::run::url::DbUrl;

fn main() {
    let args: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| a != "--bench")
        .collect();
    let opt = |name: &str| {
        args.iter()
            .position(|a| a == name)
            .and_then(|i| args.get(i + 1))
            .cloned()
    };
    let Some(raw) = opt("--url").or_else(|| std::env::var("DATABASE_URL").ok()) else {
        eprintln!("usage: cargo bench --bench snapshot -- --url URL [--repeat N]");
        std::process::exit(2);
    };
    let repeat: usize = opt("--repeat").and_then(|n| n.parse().ok()).unwrap_or(50);
    let url = DbUrl::parse(&raw).unwrap_or_else(|e| {
        eprintln!("error: {e}");
        std::process::exit(2)
    });
    let opts = Options::without_sluice(&Ledger::new(
        sluice::run::driver::database(url.dialect()),
        None,
        None,
    ));
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let t = Instant::now();
        let mut reader = Reader::connect(&url).await.unwrap_or_else(|e| {
            eprintln!("error: {e}");
            std::process::exit(2)
        });
        let connect = t.elapsed();
        let mut times: Vec<Duration> = Vec::new();
        let mut last = None;
        for _ in 0..repeat.max(1) {
            let t = Instant::now();
            last = Some(reader.read(&opts).await.unwrap());
            times.push(t.elapsed());
        }
        reader.close().await;
        times.sort();
        let ms = |d: Duration| d.as_secs_f64() * 1000.0;
        let s = last.unwrap();
        println!("database: {url}");
        println!(
            "objects: {} tables ({} columns, {} constraints), {} indexes, {} sequences, {} views, {} routines, {} triggers, {} types",
            s.tables.len(),
            s.tables.values().map(|t| t.columns.len()).sum::<usize>(),
            s.tables.values().map(|t| t.constraints.len()).sum::<usize>(),
            s.indexes.len(),
            s.sequences.len(),
            s.views.len(),
            s.routines.len(),
            s.triggers.len(),
            s.types.len()
        );
        println!("connect: {:.1} ms", ms(connect));
        println!(
            "snapshot over one connection, {} runs: min {:.1} ms, median {:.1} ms, max {:.1} ms",
            times.len(),
            ms(times[0]),
            ms(times[times.len() / 2]),
            ms(times[times.len() - 1])
        );
    });
}
