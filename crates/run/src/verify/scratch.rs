//! The scratch database verify works in: created under a unique name on the scratch server,
//! dropped at the end. The guard drops it on every path: the normal end (`drop_now`), an
//! error, a dropped future (Ctrl-C) or a panic (`Drop`, on a thread of its own since it may
//! run inside a runtime).

use super::super::RunError;
use super::super::driver;
use super::super::url::DbUrl;

/// A database created for one verify run.
pub struct ScratchDb {
    server: DbUrl,
    name: String,
    url: DbUrl,
    /// Run in it after each creation (`--setup`).
    setup: Vec<String>,
    dropped: bool,
}

impl ScratchDb {
    /// Create `sluice_verify_<pid>_<random>` on the server of `server` (its database is only
    /// where the role connects to create it), then run `setup` in it.
    pub async fn create(server: &DbUrl, setup: &[String]) -> Result<ScratchDb, RunError> {
        let name = format!(
            "sluice_verify_{}_{:08x}",
            std::process::id(),
            rand::random::<u32>()
        );
        let db = ScratchDb {
            server: server.clone(),
            url: server.with_database(&name),
            name,
            setup: setup.to_vec(),
            dropped: false,
        };
        db.create_in().await.map_err(|e| {
            RunError::Db(format!(
                "cannot create the scratch database {} on {server}: {e}; the scratch URL's role must be allowed to create databases",
                db.name
            ))
        })?;
        if let Err(e) = db.run_setup().await {
            let _ = db.drop_now().await;
            return Err(e);
        }
        tracing::info!(database = %db.name, server = %server, "scratch database created");
        Ok(db)
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    /// The scratch database's URL.
    pub fn url(&self) -> &DbUrl {
        &self.url
    }

    /// Create it (one statement each: CREATE DATABASE runs outside a transaction block).
    async fn create_in(&self) -> Result<(), String> {
        let db = driver::database(self.server.dialect());
        for sql in db.create_scratch_database_sql(&self.name) {
            admin_exec(&self.server, &sql).await?;
        }
        Ok(())
    }

    /// Drop it and create it again, empty (after a down left it in a state nothing can
    /// follow from).
    pub async fn recreate(&mut self) -> Result<(), RunError> {
        drop_database(&self.server, &self.name).await?;
        self.create_in().await.map_err(|e| {
            RunError::Db(format!(
                "cannot create the scratch database {} again: {e}",
                self.name
            ))
        })?;
        self.run_setup().await
    }

    /// The setup statements, in order, in the scratch database.
    async fn run_setup(&self) -> Result<(), RunError> {
        for (i, sql) in self.setup.iter().enumerate() {
            admin_exec(&self.url, sql).await.map_err(|e| {
                RunError::Input(format!(
                    "setup statement {} of {} failed in the scratch database: {e}; fix the --setup file",
                    i + 1,
                    self.setup.len()
                ))
            })?;
        }
        Ok(())
    }

    /// Drop it now (the normal end).
    pub async fn drop_now(mut self) -> Result<(), RunError> {
        self.dropped = true;
        drop_database(&self.server, &self.name).await
    }
}

impl Drop for ScratchDb {
    fn drop(&mut self) {
        if self.dropped {
            return;
        }
        let (server, name) = (self.server.clone(), self.name.clone());
        // a runtime of its own on a thread of its own: this may run inside another runtime
        let done = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .map_err(|e| RunError::Db(e.to_string()))?;
            rt.block_on(drop_database(&server, &name))
        })
        .join();
        match done {
            Ok(Ok(())) => tracing::info!(database = %self.name, "scratch database dropped"),
            Ok(Err(e)) => {
                tracing::error!(database = %self.name, error = %e, "cannot drop the scratch database: drop it by hand");
            }
            Err(_) => {
                tracing::error!(database = %self.name, "cannot drop the scratch database: drop it by hand");
            }
        }
    }
}

async fn drop_database(server: &DbUrl, name: &str) -> Result<(), RunError> {
    // the driver's forms, best first: a form the server does not know is a syntax error
    let mut r = Ok(());
    for sql in driver::database(server.dialect()).drop_database_sql(name) {
        r = admin_exec(server, &sql).await;
        if !matches!(&r, Err(e) if e.contains("syntax")) {
            break;
        }
    }
    r.map_err(|e| {
        RunError::Db(format!(
            "cannot drop the scratch database {name} on {server}: {e}; drop it by hand"
        ))
    })
}

/// One statement on a connection of its own to the server's database.
async fn admin_exec(server: &DbUrl, sql: &str) -> Result<(), String> {
    let mut c = driver::connect(server).await.map_err(|e| e.message)?;
    let r = c.exec(sql).await.map_err(|e| server.scrub(&e.message));
    let _ = c.close().await;
    r
}
