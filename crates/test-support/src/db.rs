//! A migrated database per test: a SQLite file copied from a migrated template, or a Postgres
//! schema of its own. Removed on drop, so a panicking test leaves nothing behind.

use crate::jobs::{JobExpectations, LeftJobs};
use sea_orm::{ConnectionTrait, Database};
use shipping_store::{Store, StoreConfig};
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Changes whenever a file under `migrations/src` does (see `build.rs`).
const MIGRATIONS_FINGERPRINT: &str = env!("MIGRATIONS_FINGERPRINT");

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// The shared test Postgres (`TEST_POSTGRES_URL`, else the local one CI starts).
pub fn postgres_url() -> String {
    std::env::var("TEST_POSTGRES_URL").unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".into())
}

#[derive(Debug)]
enum Location {
    File(PathBuf),
    Schema(String),
}

/// A migrated store of the test's own (see the module docs).
#[derive(Debug)]
pub struct TestDb {
    pub store: Store,
    /// Hand it to whatever else opens the same database (the API's settings, a child process).
    pub config: StoreConfig,
    /// How long making it took (template copy or migrations).
    pub setup: Duration,
    location: Option<Location>,
    /// `None`: jobs are not checked on drop.
    jobs: Option<Mutex<JobExpectations>>,
}

impl TestDb {
    pub async fn new(backend: Backend, tag: &str) -> TestDb {
        match backend {
            Backend::Sqlite => TestDb::sqlite(tag).await,
            Backend::Postgres => TestDb::postgres(tag).await,
        }
    }

    /// A copy of the migrated SQLite template (made once per set of migrations, shared by every
    /// test process).
    pub async fn sqlite(tag: &str) -> TestDb {
        let started = Instant::now();
        let template = sqlite_template().await;
        let file = crate::temp_dir("shipping-tests").join(format!("{}.db", crate::unique(tag)));
        std::fs::copy(&template, &file).unwrap();
        let config = StoreConfig::new(sqlite_url(&file));
        let store = Store::connect(&config).await.unwrap();
        TestDb { store, config, setup: started.elapsed(), location: Some(Location::File(file)), jobs: None }
    }

    /// A new schema in the shared Postgres: the migrated template schema's dump replayed under
    /// the test's name, or, without `pg_dump`, a new schema migrated.
    pub async fn postgres(tag: &str) -> TestDb {
        TestDb::postgres_schema(tag, true).await
    }

    /// A new, empty schema: for a test of what migrates it (a binary's start).
    pub async fn postgres_unmigrated(tag: &str) -> TestDb {
        TestDb::postgres_schema(tag, false).await
    }

    async fn postgres_schema(tag: &str, migrated: bool) -> TestDb {
        let started = Instant::now();
        let schema = crate::unique(tag).to_lowercase();
        let template = if migrated { postgres_template().await } else { None };
        let admin = Database::connect(postgres_url()).await.expect("Postgres at 127.0.0.1:5432 (see .ci/services.sh)");
        match &template {
            Some(sql) => admin.execute_unprepared(&sql.replace(&template_schema(), &schema)).await.map(drop),
            None => admin.execute_unprepared(&format!("CREATE SCHEMA \"{schema}\"")).await.map(drop),
        }
        .unwrap();
        admin.close().await.ok();
        let mut config = StoreConfig::new(postgres_url());
        config.schema = Some(schema.clone());
        config.max_connections = 20;
        // From here on the schema is ours to drop, even if migrating panics.
        let mut db = TestDb {
            store: Store::connect(&config).await.unwrap(),
            config,
            setup: Duration::ZERO,
            location: Some(Location::Schema(schema)),
            jobs: None,
        };
        if migrated && template.is_none() {
            db.store.migrate().await.unwrap();
        }
        db.setup = started.elapsed();
        db
    }

    /// Fails the test on drop if jobs are left in the outbox (waiting or still retrying) or
    /// dead-lettered, unless the test declared them ([`TestDb::expect_jobs`], …).
    pub fn checking_jobs(mut self) -> TestDb {
        self.jobs = Some(Mutex::new(JobExpectations::default()));
        self
    }

    /// This test leaves jobs in the outbox on purpose (it runs no worker, or stops mid-chain).
    pub fn expect_jobs(&self) {
        if let Some(jobs) = &self.jobs {
            jobs.lock().unwrap().left = true;
        }
    }

    /// This test dead-letters jobs on purpose.
    pub fn expect_dead_jobs(&self) {
        if let Some(jobs) = &self.jobs {
            jobs.lock().unwrap().dead = true;
        }
    }

    /// The Postgres schema, if this is one.
    pub fn schema(&self) -> Option<&str> {
        match &self.location {
            Some(Location::Schema(s)) => Some(s),
            _ => None,
        }
    }

    /// Jobs waiting, retrying or dead now.
    pub async fn left_jobs(&self) -> LeftJobs {
        LeftJobs::read(&self.store).await.unwrap()
    }

    /// Closes the pool, then checks and removes as on drop.
    pub async fn close(self) {
        self.store.db().clone().close().await.ok();
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        let check = self.jobs.take().map(|m| m.into_inner().unwrap_or_default()).filter(|_| !std::thread::panicking());
        let (config, location) = (self.config.clone(), self.location.take());
        let outcome = crate::blocking::run(async move {
            let left = match check {
                Some(expected) => match Store::connect(&StoreConfig { max_connections: 1, ..config }).await {
                    Ok(store) => {
                        let left = LeftJobs::read(&store).await.ok().and_then(|left| expected.complaint(&left));
                        store.db().clone().close().await.ok();
                        left
                    }
                    Err(e) => Some(format!("could not check the jobs left: {e}")),
                },
                None => None,
            };
            remove(location).await;
            left
        });
        match outcome {
            Ok(Some(complaint)) => panic!("{complaint}"),
            Ok(None) => {}
            Err(_) => eprintln!("cleaning up the test database panicked"),
        }
    }
}

async fn remove(location: Option<Location>) {
    match location {
        Some(Location::Schema(schema)) => {
            let dropped = async {
                let admin = Database::connect(postgres_url()).await?;
                admin.execute_unprepared(&format!("DROP SCHEMA \"{schema}\" CASCADE")).await?;
                admin.close().await
            };
            if let Err(e) = dropped.await {
                eprintln!("could not drop schema {schema}: {e}");
            }
        }
        Some(Location::File(file)) => {
            for suffix in ["", "-wal", "-shm"] {
                let _ = std::fs::remove_file(format!("{}{suffix}", file.display()));
            }
        }
        None => {}
    }
}

fn sqlite_url(file: &Path) -> String {
    format!("sqlite://{}?mode=rwc", file.display())
}

/// The migrated template, made by whichever test process gets there first: migrated in a file of
/// its own, checkpointed, then renamed into place (atomic), so no test ever copies a half-made one.
async fn sqlite_template() -> PathBuf {
    let template = crate::temp_dir("shipping-test-templates").join(format!("sqlite-{MIGRATIONS_FINGERPRINT}.db"));
    if template.exists() {
        return template;
    }
    let building = template.with_extension(format!("{}.building", crate::unique("t")));
    let store = Store::connect(&StoreConfig::new(sqlite_url(&building))).await.unwrap();
    store.migrate().await.unwrap();
    store.db().execute_unprepared("PRAGMA wal_checkpoint(TRUNCATE)").await.unwrap();
    store.db().clone().close().await.unwrap();
    std::fs::rename(&building, &template).unwrap();
    for suffix in ["-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", building.display()));
    }
    template
}

fn template_schema() -> String {
    format!("shipping_template_{MIGRATIONS_FINGERPRINT}")
}

/// The SQL that recreates the migrated template schema (`pg_dump` of it, made once per set of
/// migrations under an advisory lock and kept in a file), or `None` where `pg_dump` is missing.
/// Replaying it takes a fraction of running the migrations (figures in ADR 0012).
async fn postgres_template() -> Option<String> {
    use sea_orm::TransactionTrait;
    let file = crate::temp_dir("shipping-test-templates").join(format!("postgres-{MIGRATIONS_FINGERPRINT}.sql"));
    if let Ok(sql) = std::fs::read_to_string(&file) {
        return Some(sql);
    }
    let admin = Database::connect(postgres_url()).await.unwrap();
    let lock = admin.begin().await.unwrap();
    lock.execute_unprepared("SELECT pg_advisory_xact_lock(7201204)").await.unwrap();
    if let Ok(sql) = std::fs::read_to_string(&file) {
        return Some(sql);
    }
    // The lock is held (by `lock`'s connection) until the dump is in place; the work itself runs
    // on other connections.
    let schema = template_schema();
    let ddl = Database::connect(postgres_url()).await.unwrap();
    ddl.execute_unprepared(&format!("DROP SCHEMA IF EXISTS \"{schema}\" CASCADE; CREATE SCHEMA \"{schema}\""))
        .await
        .unwrap();
    ddl.close().await.ok();
    let mut config = StoreConfig::new(postgres_url());
    config.schema = Some(schema.clone());
    let store = Store::connect(&config).await.unwrap();
    store.migrate().await.unwrap();
    store.db().clone().close().await.ok();
    let dump = std::process::Command::new("pg_dump")
        .args(["--schema", &schema, "--inserts", "--no-owner", "--no-privileges", "--dbname", &postgres_url()])
        .output();
    let sql = match dump {
        // Drop psql meta-commands (`\restrict …` in newer dumps): the dump is replayed as SQL.
        Ok(out) if out.status.success() => String::from_utf8(out.stdout)
            .ok()
            .map(|dump| dump.lines().filter(|l| !l.starts_with('\\')).collect::<Vec<_>>().join("\n")),
        _ => None,
    }?;
    let building = file.with_extension(format!("{}.building", crate::unique("t")));
    std::fs::write(&building, &sql).unwrap();
    std::fs::rename(&building, &file).unwrap();
    lock.commit().await.unwrap();
    Some(sql)
}
