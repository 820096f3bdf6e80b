//! `queue_depths` table: the workers' latest reading of each job queue, so the admin pages can
//! show it without talking to the queue themselves.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "queue_depths")]
pub struct Model {
    /// `high`, `medium` or `low`.
    #[sea_orm(primary_key, auto_increment = false)]
    pub queue: String,
    /// Jobs due now and not taken yet.
    pub ready: i64,
    /// Jobs waiting for a later time (retries with backoff, delayed pushes).
    pub scheduled: i64,
    pub measured_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
