//! Schema migrations for the shipping store. Every migration runs on SQLite and Postgres, up
//! and down; the store's tests run them up, down and up again on both.

pub use sea_orm_migration::prelude::*;

mod m20261128_000001_initial;
mod m20261128_000002_dead_jobs;
mod m20261128_000003_admin_sessions;
mod m20261129_000004_shipment_milestones;
mod m20261129_000005_dashboard_indexes;
mod m20261129_000006_queue_depths;
mod m20261203_000007_lifecycle_guard;
mod m20261203_000008_returns;
mod m20261204_000009_exchanges;
mod m20261204_000010_sync_error_class;

/// All migrations, in order.
#[derive(Debug)]
pub struct Migrator;

#[sea_orm_migration::async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20261128_000001_initial::Migration),
            Box::new(m20261128_000002_dead_jobs::Migration),
            Box::new(m20261128_000003_admin_sessions::Migration),
            Box::new(m20261129_000004_shipment_milestones::Migration),
            Box::new(m20261129_000005_dashboard_indexes::Migration),
            Box::new(m20261129_000006_queue_depths::Migration),
            Box::new(m20261203_000007_lifecycle_guard::Migration),
            Box::new(m20261203_000008_returns::Migration),
            Box::new(m20261204_000009_exchanges::Migration),
            Box::new(m20261204_000010_sync_error_class::Migration),
        ]
    }
}
