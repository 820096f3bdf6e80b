//! What a test left in the outbox and the dead letters, and whether it said it would (the
//! crates.io `TestApp` model: a test that enqueues work runs it, or says why not).

use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use shipping_store::Store;
use shipping_store::entities::{dead_job, outbox};

/// What a test declared it leaves behind.
#[derive(Debug, Default, Clone, Copy)]
pub struct JobExpectations {
    /// Jobs left in the outbox (never run, or still retrying).
    pub left: bool,
    pub dead: bool,
}

/// Jobs left at the end of a test, by kind.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct LeftJobs {
    /// In the outbox, never tried.
    pub waiting: Vec<String>,
    /// In the outbox, tried at least once and due again.
    pub retrying: Vec<String>,
    /// Dead-lettered and not replayed: (kind, error).
    pub dead: Vec<(String, String)>,
}

impl LeftJobs {
    pub async fn read(store: &Store) -> Result<LeftJobs, sea_orm::DbErr> {
        let mut left = LeftJobs::default();
        for row in outbox::Entity::find().filter(outbox::Column::DispatchedAt.is_null()).all(store.db()).await? {
            if row.attempts > 0 { &mut left.retrying } else { &mut left.waiting }.push(row.kind);
        }
        let dead = dead_job::Entity::find().filter(dead_job::Column::ReplayedAt.is_null()).all(store.db()).await?;
        left.dead = dead.into_iter().map(|d| (d.kind, d.error)).collect();
        Ok(left)
    }

    pub fn is_empty(&self) -> bool {
        self.waiting.is_empty() && self.retrying.is_empty() && self.dead.is_empty()
    }
}

impl JobExpectations {
    /// Why the test fails, if it left what it did not declare.
    pub fn complaint(&self, left: &LeftJobs) -> Option<String> {
        let mut why = Vec::new();
        let outbox_empty = left.waiting.is_empty() && left.retrying.is_empty();
        if !self.left && !outbox_empty {
            why.push(format!(
                "jobs left in the outbox (waiting {:?}, retrying {:?}): run them, or call `expect_jobs()`",
                left.waiting, left.retrying
            ));
        }
        if !self.dead && !left.dead.is_empty() {
            why.push(format!("dead jobs {:?}: fix them, or call `expect_dead_jobs()`", left.dead));
        }
        (!why.is_empty()).then(|| format!("the test left jobs it did not declare: {}", why.join("; ")))
    }
}
