//! The reconciler's reads and writes: shipments past their state's deadline, a re-promise of
//! the missing step (its jobs and the count in one transaction), and the attention a dead
//! lifecycle job leaves on its shipment.

use crate::entities::shipment;
use crate::jobs::Job;
use crate::steps::{flag_attention, lock};
use crate::{Result, Store, now};
use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, EntityTrait, IntoActiveModel, QueryFilter, QueryOrder, QuerySelect,
};
use shipping_domain::{AttentionReason, ShipmentState};

/// Which waits a query looks at.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Waiting<'a> {
    /// Shipments in one of these states with no cancel asked for.
    InStates(&'a [ShipmentState]),
    /// Shipments whose cancel was asked for and is not confirmed.
    ForCancel,
}

impl Store {
    /// Shipments waiting (`which`) since before `cutoff` with nobody's attention on them yet,
    /// longest waiting first. Any news from the courier restarts the wait (`waiting_since`),
    /// measured on our clock: a courier's timestamps may be skewed.
    pub async fn overdue(&self, which: Waiting<'_>, cutoff: DateTime<Utc>, limit: u64) -> Result<Vec<shipment::Model>> {
        let mut q = shipment::Entity::find()
            .filter(shipment::Column::AttentionReason.is_null())
            .filter(shipment::Column::WaitingSince.lt(cutoff));
        q = match which {
            Waiting::InStates(states) => q
                .filter(shipment::Column::CancelRequestedAt.is_null())
                .filter(shipment::Column::State.is_in(states.iter().map(|s| s.name()))),
            Waiting::ForCancel => q
                .filter(shipment::Column::CancelRequestedAt.is_not_null())
                .filter(shipment::Column::State.ne(ShipmentState::Cancelled.name())),
        };
        Ok(q.order_by_asc(shipment::Column::WaitingSince)
            .order_by_asc(shipment::Column::Id)
            .limit(limit)
            .all(self.db())
            .await?)
    }

    /// Promises `jobs` again for a shipment found overdue at `seen` (its `waiting_since` then),
    /// counting the re-promise and restarting the wait, in one transaction. Nothing happens when
    /// the shipment moved meanwhile. Returns whether it was promised.
    pub async fn repromise(&self, shipment_id: i64, seen: Option<DateTime<Utc>>, jobs: &[Job]) -> Result<bool> {
        let txn = self.begin_write().await?;
        let s = lock(&txn, shipment_id).await?;
        if s.waiting_since != seen || s.attention_reason.is_some() {
            txn.rollback().await?;
            return Ok(false);
        }
        for job in jobs {
            self.enqueue(&txn, job).await?;
        }
        let mut a = s.clone().into_active_model();
        a.reconcile_attempts = Set(s.reconcile_attempts.saturating_add(1));
        a.waiting_since = Set(Some(now()));
        a.version = Set(s.version + 1);
        a.update(&txn).await?;
        let kinds: Vec<&str> = jobs.iter().map(Job::kind).collect();
        crate::api_queries::insert_audit(
            &txn,
            "shipment",
            shipment_id,
            "repromised",
            "reconciler",
            &serde_json::json!({"jobs": kinds, "attempt": s.reconcile_attempts + 1}),
        )
        .await?;
        txn.commit().await?;
        Ok(true)
    }

    /// Keeps a dead job and, when it was a step of a shipment's lifecycle, flags its shipments
    /// (retries exhausted, with the error), in one transaction: a dead step never leaves a
    /// shipment silently stuck.
    pub async fn record_dead_job_with_attention(&self, job: &Job, attempts: u32, error: &str) -> Result<i64> {
        let txn = self.begin_write().await?;
        let id = crate::dead_letters::insert_dead(&txn, job.kind(), &job.to_payload()?, attempts, error).await?;
        if job.spec().lifecycle_step {
            for shipment_id in job.shipment_ids() {
                let Ok(s) = lock(&txn, shipment_id).await else { continue };
                let state = crate::steps::state_of(&s)?;
                // A refused sync is the failed-sync cron's (capped, then attention).
                if state.is_terminal() || state == ShipmentState::SyncFailed || s.attention_reason.is_some() {
                    continue;
                }
                let mut a = s.clone().into_active_model();
                let message = format!("{} failed {attempts} times: {error}", job.kind());
                flag_attention(&mut a, AttentionReason::RetriesExhausted, &message);
                a.version = Set(s.version + 1);
                a.updated_at = Set(now());
                a.update(&txn).await?;
            }
        }
        txn.commit().await?;
        Ok(id)
    }

    /// How many shipments need a person, by reason code (the dashboard and the gauge).
    pub async fn attention_counts(&self) -> Result<Vec<(String, i64)>> {
        let rows: Vec<(Option<String>, i64)> = shipment::Entity::find()
            .select_only()
            .column(shipment::Column::AttentionReason)
            .column_as(Expr::col(shipment::Column::Id).count(), "n")
            .filter(shipment::Column::AttentionReason.is_not_null())
            .group_by(shipment::Column::AttentionReason)
            .into_tuple()
            .all(self.db())
            .await?;
        Ok(rows.into_iter().filter_map(|(r, n)| r.map(|r| (r, n))).collect())
    }
}
