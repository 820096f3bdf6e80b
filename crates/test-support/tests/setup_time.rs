//! The support's own behaviour: what a test gets, what it leaves, and what setting it up costs.
#![allow(clippy::unwrap_used)]

use sea_orm::{ConnectionTrait, Database, Statement};
use shipping_test_support::{Backend, TestDb, postgres_url};
use std::time::Instant;

async fn schema_exists(schema: &str) -> bool {
    let admin = Database::connect(postgres_url()).await.unwrap();
    let row = admin
        .query_one_raw(Statement::from_string(
            sea_orm::DbBackend::Postgres,
            format!("SELECT 1 AS one FROM information_schema.schemata WHERE schema_name = '{schema}'"),
        ))
        .await
        .unwrap();
    row.is_some()
}

#[tokio::test]
async fn a_panicking_test_still_drops_its_schema() {
    let db = TestDb::postgres("support_panic").await;
    let schema = db.schema().unwrap().to_owned();
    assert!(schema_exists(&schema).await);
    let outcome = tokio::spawn(async move {
        let _db = db;
        panic!("the test body fails");
    })
    .await;
    assert!(outcome.is_err());
    assert!(!schema_exists(&schema).await, "{schema} was left behind");
}

#[tokio::test]
async fn a_sqlite_copy_of_the_template_is_migrated_and_removed_on_drop() {
    let db = TestDb::sqlite("support_file").await;
    let file = db.config.url.trim_start_matches("sqlite://").trim_end_matches("?mode=rwc").to_owned();
    assert_eq!(db.store.pending_outbox().await.unwrap(), 0, "the tables exist");
    drop(db);
    assert!(!std::path::Path::new(&file).exists());
}

/// One `sync_order` row in the outbox, as an ingest leaves it.
async fn promise_a_job(db: &TestDb) {
    db.store
        .db()
        .execute_unprepared(
            "INSERT INTO outbox (kind, payload, created_at, available_at, attempts) \
             VALUES ('sync_order', '{}', CURRENT_TIMESTAMP, CURRENT_TIMESTAMP, 0)",
        )
        .await
        .unwrap();
}

#[tokio::test]
async fn undeclared_leftover_jobs_fail_the_test_and_declared_ones_do_not() {
    let db = TestDb::sqlite("support_jobs").await.checking_jobs();
    promise_a_job(&db).await;
    let left = db.left_jobs().await;
    assert_eq!(left.waiting, vec!["sync_order".to_owned()]);
    let failed = tokio::spawn(async move { drop(db) }).await;
    let message = *failed.unwrap_err().into_panic().downcast::<String>().unwrap();
    assert!(message.contains("expect_jobs()"), "{message}");

    let declared = TestDb::sqlite("support_jobs_declared").await.checking_jobs();
    promise_a_job(&declared).await;
    declared.expect_jobs();
    drop(declared);
}

/// Prints what a test's database costs: `cargo nextest run -E 'test(setup_cost)' --no-capture`.
#[tokio::test]
async fn setup_cost() {
    let migrate_sqlite = {
        let dir = tempfile_dir();
        let started = Instant::now();
        let store = shipping_store::Store::connect(&shipping_store::StoreConfig::new(format!(
            "sqlite://{}/m.db?mode=rwc",
            dir.display()
        )))
        .await
        .unwrap();
        store.migrate().await.unwrap();
        let took = started.elapsed();
        std::fs::remove_dir_all(&dir).ok();
        took
    };
    let _warm = TestDb::new(Backend::Sqlite, "support_warm").await;
    let copy_sqlite = TestDb::new(Backend::Sqlite, "support_cost").await.setup;
    let migrate_postgres = TestDb::new(Backend::Postgres, "support_cost").await.setup;
    eprintln!(
        "per-test database: SQLite migrated {migrate_sqlite:?}, SQLite template copy {copy_sqlite:?}, \
         Postgres schema from the template {migrate_postgres:?}"
    );
}

fn tempfile_dir() -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(shipping_test_support::unique("support_cost"));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}
