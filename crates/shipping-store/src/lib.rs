//! Where the shipping service keeps its state: sea-orm entities for every table and the atomic
//! repository operations the API and the workers need. The same code runs on SQLite (the
//! zero-setup default) and Postgres (production), chosen by the database URL.

pub mod api_queries;
mod cleanup;
pub mod dashboard;
mod dead_letters;
pub mod edits;
pub mod entities;
mod exchanges;
mod gauges;
mod ingest;
pub mod jobs;
mod outbox;
mod queries;
mod reconcile;
mod records;
mod returns;
mod sessions;
pub mod steps;
mod tracking;
mod typed;

pub use cleanup::Cleaned;
pub use edits::{EditFollowUp, EditOutcome, OrderEditWrite};
pub use exchanges::{Exchange, ExchangeRequest, exchange_of, new_tracking_token, parcel_of};
pub use gauges::TrackingFreshness;
pub use ingest::{IngestOutcome, NewOrder, NewOrderItem};
pub use outbox::OutboxMessage;
pub use reconcile::Waiting;
pub use records::{Once, RateKey};
pub use returns::{RecordedReturnEvent, ReturnOutcome, return_state};
pub use steps::{Committed, Refused, SyncStart};
pub use tracking::{EventSource, RecordedEvent};
pub use typed::{
    attention_of, ndr_action_status_of, notification_status_of, state_of, sync_error_class_of, sync_status_of,
};

use sea_orm::{ConnectOptions, ConnectionTrait, Database, DatabaseConnection, DbBackend, DbErr};
use shipping_migrations::{Migrator, MigratorTrait};
use std::time::Duration;

/// Everything that can go wrong in the store.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("database error: {0}")]
    Db(#[from] DbErr),
    #[error("not found: {0}")]
    NotFound(String),
    #[error("invalid data in the store: {0}")]
    Invalid(String),
}

pub type Result<T, E = StoreError> = std::result::Result<T, E>;

/// A handle on the database; cheap to clone.
#[derive(Debug, Clone)]
pub struct Store {
    db: DatabaseConnection,
}

/// How to open the database.
#[derive(Debug, Clone)]
pub struct StoreConfig {
    /// `sqlite://data/shipping.db?mode=rwc` or `postgres://user@host/db`.
    pub url: String,
    /// Connections in the pool. SQLite serialises writers anyway; the pool serves readers.
    pub max_connections: u32,
    /// Postgres only: the schema to use (tests isolate themselves this way).
    pub schema: Option<String>,
}

impl StoreConfig {
    pub fn new(url: impl Into<String>) -> Self {
        StoreConfig { url: url.into(), max_connections: 16, schema: None }
    }
}

impl Store {
    /// Opens the pool. On SQLite: WAL journal, a 10 s busy timeout (concurrent writers wait
    /// instead of failing) and foreign keys on.
    pub async fn connect(config: &StoreConfig) -> Result<Store> {
        if let Some(path) = sqlite_path(&config.url)
            && let Some(dir) = std::path::Path::new(path).parent()
            && !dir.as_os_str().is_empty()
        {
            std::fs::create_dir_all(dir)
                .map_err(|e| StoreError::Invalid(format!("creating {}: {e}", dir.display())))?;
        }
        let mut opts = ConnectOptions::new(config.url.clone());
        opts.max_connections(config.max_connections)
            .min_connections(1)
            .acquire_timeout(Duration::from_secs(30))
            .sqlx_logging(false);
        if let Some(schema) = &config.schema {
            opts.set_schema_search_path(schema.clone());
        }
        opts.map_sqlx_sqlite_opts(|o| {
            o.journal_mode(sea_orm::sqlx::sqlite::SqliteJournalMode::Wal)
                .busy_timeout(Duration::from_secs(10))
                .foreign_keys(true)
                .create_if_missing(true)
        });
        let db = Database::connect(opts).await?;
        Ok(Store { db })
    }

    /// Runs every pending migration.
    pub async fn migrate(&self) -> Result<()> {
        Migrator::up(&self.db, None).await?;
        Ok(())
    }

    /// Reverts every migration (tests and disaster recovery only).
    pub async fn migrate_down(&self) -> Result<()> {
        Migrator::down(&self.db, None).await?;
        Ok(())
    }

    /// The raw connection, for tests and benches that set up or inspect rows directly (the
    /// `test-support` feature, enabled only by dev-dependencies): product code goes through the
    /// store's operations.
    #[cfg(feature = "test-support")]
    pub fn db(&self) -> &DatabaseConnection {
        &self.db
    }

    #[cfg(not(feature = "test-support"))]
    pub(crate) fn db(&self) -> &DatabaseConnection {
        &self.db
    }

    pub fn backend(&self) -> DbBackend {
        self.db.get_database_backend()
    }

    /// A transaction that will write. On SQLite it takes the write lock at `BEGIN IMMEDIATE`,
    /// so concurrent writers queue on the busy timeout instead of failing when a read lock
    /// cannot be upgraded; Postgres ignores the mode.
    pub async fn begin_write(&self) -> Result<sea_orm::DatabaseTransaction> {
        use sea_orm::{SqliteTransactionMode, TransactionOptions, TransactionTrait};
        let sqlite_mode = (self.backend() == DbBackend::Sqlite).then_some(SqliteTransactionMode::Immediate);
        Ok(self
            .db
            .begin_with_options(TransactionOptions { sqlite_transaction_mode: sqlite_mode, ..Default::default() })
            .await?)
    }

    /// Whether the database answers (for `/readyz`).
    pub async fn ping(&self) -> Result<()> {
        self.db.execute_unprepared("SELECT 1").await?;
        Ok(())
    }
}

fn sqlite_path(url: &str) -> Option<&str> {
    let rest = url.strip_prefix("sqlite://").or_else(|| url.strip_prefix("sqlite:"))?;
    let path = rest.split('?').next()?;
    (!path.is_empty() && path != ":memory:").then_some(path)
}

/// `now`, truncated to microseconds so values survive a round trip through either backend.
pub fn now() -> chrono::DateTime<chrono::Utc> {
    use chrono::{SubsecRound, Utc};
    Utc::now().trunc_subsecs(6)
}
