//! Dead letters: record, list, replay.

use crate::entities::dead_job;
use crate::jobs::Job;
use crate::{Result, Store, StoreError, now};
use chrono::{DateTime, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{ActiveModelTrait, ActiveValue::Set, ColumnTrait, EntityTrait, QueryFilter, QueryOrder};

pub(crate) async fn insert_dead<C: sea_orm::ConnectionTrait>(
    conn: &C,
    kind: &str,
    payload: &str,
    attempts: u32,
    error: &str,
) -> Result<i64> {
    let row = dead_job::ActiveModel {
        kind: Set(kind.to_owned()),
        payload: Set(payload.to_owned()),
        attempts: Set(i32::try_from(attempts).unwrap_or(i32::MAX)),
        error: Set(error.to_owned()),
        created_at: Set(now()),
        replayed_at: Set(None),
        ..Default::default()
    }
    .insert(conn)
    .await?;
    Ok(row.id)
}

impl Store {
    /// Keeps a job that will not be tried again, with why.
    pub async fn record_dead_job(&self, job: &Job, attempts: u32, error: &str) -> Result<i64> {
        self.record_dead_payload(job.kind(), &job.to_payload()?, attempts, error).await
    }

    /// Keeps a raw payload that will not be tried again (one that does not even decode).
    pub async fn record_dead_payload(&self, kind: &str, payload: &str, attempts: u32, error: &str) -> Result<i64> {
        insert_dead(self.db(), kind, payload, attempts, error).await
    }

    /// Dead jobs not replayed yet, newest first.
    pub async fn dead_jobs(&self) -> Result<Vec<dead_job::Model>> {
        Ok(dead_job::Entity::find()
            .filter(dead_job::Column::ReplayedAt.is_null())
            .order_by_desc(dead_job::Column::Id)
            .all(self.db())
            .await?)
    }

    /// Which of `ids` have a `kind` job that died since `since` and was not replayed: the
    /// failures a bulk action's progress reports.
    pub async fn shipments_with_dead_jobs(&self, kind: &str, ids: &[i64], since: DateTime<Utc>) -> Result<Vec<i64>> {
        if ids.is_empty() {
            return Ok(vec![]);
        }
        let rows = dead_job::Entity::find()
            .filter(dead_job::Column::Kind.eq(kind))
            .filter(dead_job::Column::ReplayedAt.is_null())
            .all(self.db())
            .await?;
        // The time is compared here: SQLite compares stored and bound times as text, and their
        // formats differ. Dead jobs not replayed are few.
        let mut dead: Vec<i64> = rows
            .iter()
            .filter(|r| r.created_at >= since)
            .filter_map(|r| Job::from_payload(&r.payload).ok())
            .flat_map(|job| job.shipment_ids())
            .filter(|id| ids.contains(id))
            .collect();
        dead.sort_unstable();
        dead.dedup();
        Ok(dead)
    }

    /// Puts a dead job back through the outbox (once: a replayed row is not replayed again).
    pub async fn replay_dead_job(&self, id: i64) -> Result<Job> {
        let txn = self.begin_write().await?;
        let updated = dead_job::Entity::update_many()
            .col_expr(dead_job::Column::ReplayedAt, Expr::value(Some(now())))
            .filter(dead_job::Column::Id.eq(id))
            .filter(dead_job::Column::ReplayedAt.is_null())
            .exec(&txn)
            .await?;
        if updated.rows_affected == 0 {
            return Err(StoreError::NotFound(format!("dead job {id} (or it was replayed already)")));
        }
        let row = dead_job::Entity::find_by_id(id)
            .one(&txn)
            .await?
            .ok_or_else(|| StoreError::NotFound(format!("dead job {id}")))?;
        let job = Job::from_payload(&row.payload)?;
        self.enqueue(&txn, &job).await?;
        txn.commit().await?;
        Ok(job)
    }
}
