//! Customer returns after the request: each step's state change committed with the job it
//! promises (and the customer's mail with its send job) in one transaction, and the return's
//! scans recorded with the same dedupe as a shipment's, keeping the shipment's merge in step.

use crate::entities::{return_request, shipment, tracking_event};
use crate::jobs::{Job, ReturnStepV1};
use crate::records::queue_notification_on;
use crate::tracking::{EventSource, Scan, insert_event, remerge_shipment};
use crate::{Result, Store, StoreError, now};
use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Condition, Expr, ExprTrait};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, DatabaseTransaction, EntityTrait, IntoActiveModel, QueryFilter,
    QueryOrder, QuerySelect,
};
use shipping_domain::{ReturnReading, ReturnState, ShipmentState, TrackingEvent, read_return_status};
use std::time::Duration;

/// What recording a return scan did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReturnOutcome {
    /// The return's state changed.
    Moved,
    /// A step the return had already reached (or passed): recorded, state kept.
    Unchanged,
    /// Seen before (same AWB, status and time): nothing stored.
    Duplicate,
    /// A known status that says nothing about where the return is.
    Informational,
    /// A status not in Shiprocket's tables; kept for the operator.
    Unknown,
}

/// The result of [`Store::record_return_event`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RecordedReturnEvent {
    pub return_id: i64,
    pub shipment_id: i64,
    pub from: ReturnState,
    pub to: ReturnState,
    pub outcome: ReturnOutcome,
    /// The shipment's state before and after (its merge reads the return's scans too).
    pub shipment_from: ShipmentState,
    pub shipment_to: ShipmentState,
}

/// The stored status of a return, as the domain type.
pub fn return_state(row: &return_request::Model) -> Result<ReturnState> {
    ReturnState::from_name(&row.status)
        .ok_or_else(|| StoreError::Invalid(format!("return {} has unknown status {:?}", row.id, row.status)))
}

fn terminal_names() -> Vec<&'static str> {
    ReturnState::ALL.into_iter().filter(|s| s.is_terminal()).map(ReturnState::name).collect()
}

/// The return row, locked for the rest of `txn` (Postgres; SQLite's write transaction already
/// excludes other writers). Callers that also need the shipment lock it first, as every path
/// that locks both does, so two of them never wait on each other.
async fn lock_return(txn: &DatabaseTransaction, return_id: i64) -> Result<return_request::Model> {
    return_request::Entity::find_by_id(return_id)
        .lock_exclusive()
        .one(txn)
        .await?
        .ok_or_else(|| StoreError::NotFound(format!("return {return_id}")))
}

/// Moves the return forward to `step` (never back) with `f`'s other changes, on `txn`.
async fn save_return(
    txn: &DatabaseTransaction,
    row: return_request::Model,
    step: ReturnState,
    f: impl FnOnce(&mut return_request::ActiveModel),
) -> Result<(ReturnState, ReturnState)> {
    let from = return_state(&row)?;
    let to = from.merge(step);
    let mut a = row.into_active_model();
    a.status = Set(to.name().to_owned());
    f(&mut a);
    a.updated_at = Set(now());
    a.update(txn).await?;
    Ok((from, to))
}

/// Queues the customer mails `to` makes due (once per return and mail) with their send jobs.
async fn queue_mails(
    store: &Store,
    txn: &DatabaseTransaction,
    shipment_id: i64,
    return_id: i64,
    to: ReturnState,
) -> Result<()> {
    for mail in to.mails_due() {
        queue_notification_on(store, txn, shipment_id, &mail.kind(return_id), "customer").await?;
    }
    Ok(())
}

impl Store {
    pub async fn return_request(&self, id: i64) -> Result<Option<return_request::Model>> {
        Ok(return_request::Entity::find_by_id(id).one(self.db()).await?)
    }

    /// A shipment's returns, oldest first.
    pub async fn returns_of_shipment(&self, shipment_id: i64) -> Result<Vec<return_request::Model>> {
        Ok(return_request::Entity::find()
            .filter(return_request::Column::ShipmentId.eq(shipment_id))
            .order_by_asc(return_request::Column::Id)
            .all(self.db())
            .await?)
    }

    /// The newest return of each of `shipment_ids` (for lists).
    pub async fn latest_returns(
        &self,
        shipment_ids: &[i64],
    ) -> Result<std::collections::HashMap<i64, return_request::Model>> {
        if shipment_ids.is_empty() {
            return Ok(Default::default());
        }
        let rows = return_request::Entity::find()
            .filter(return_request::Column::ShipmentId.is_in(shipment_ids.iter().copied()))
            .order_by_asc(return_request::Column::Id)
            .all(self.db())
            .await?;
        // Later ids overwrite earlier ones: the newest return wins.
        Ok(rows.into_iter().map(|r| (r.shipment_id, r)).collect())
    }

    /// A return's scans, oldest first (its timeline).
    pub async fn return_events(&self, return_id: i64) -> Result<Vec<tracking_event::Model>> {
        Ok(tracking_event::Entity::find()
            .filter(tracking_event::Column::ReturnId.eq(return_id))
            .order_by_asc(tracking_event::Column::OccurredAt)
            .order_by_asc(tracking_event::Column::Id)
            .all(self.db())
            .await?)
    }

    /// The Shiprocket return order exists: records it (`created`) and promises the AWB step,
    /// in one transaction. A return already past this step only gets the promise again if it
    /// still has no AWB (a retried job).
    pub async fn record_return_created(&self, return_id: i64, sr_order_id: i64, sr_shipment_id: i64) -> Result<()> {
        let txn = self.begin_write().await?;
        let row = lock_return(&txn, return_id).await?;
        let needs_awb = row.awb.is_none();
        save_return(&txn, row, ReturnState::Created, |a| {
            a.sr_order_id = Set(Some(sr_order_id));
            a.sr_shipment_id = Set(Some(sr_shipment_id));
        })
        .await?;
        if needs_awb {
            self.enqueue(&txn, &Job::AssignReturnAwb(ReturnStepV1 { return_id })).await?;
        }
        txn.commit().await?;
        Ok(())
    }

    /// The return's AWB is assigned: records it with the courier and promises the pickup step,
    /// in one transaction.
    pub async fn record_return_awb(
        &self,
        return_id: i64,
        awb: &str,
        courier_id: Option<i64>,
        courier_name: Option<String>,
    ) -> Result<()> {
        let txn = self.begin_write().await?;
        let row = lock_return(&txn, return_id).await?;
        let needs_pickup = row.pickup_scheduled_at.is_none();
        save_return(&txn, row, ReturnState::Created, |a| {
            a.awb = Set(Some(awb.to_owned()));
            a.courier_id = Set(courier_id);
            a.courier_name = Set(courier_name);
        })
        .await?;
        if needs_pickup {
            self.enqueue(&txn, &Job::ScheduleReturnPickup(ReturnStepV1 { return_id })).await?;
        }
        txn.commit().await?;
        Ok(())
    }

    /// The courier will collect the return: `pickup_scheduled` (unless scans already took it
    /// further) and the customer's mail with its send job, in one transaction.
    pub async fn record_return_pickup_scheduled(&self, return_id: i64) -> Result<ReturnState> {
        let txn = self.begin_write().await?;
        let row = lock_return(&txn, return_id).await?;
        let shipment_id = row.shipment_id;
        let (_, to) = save_return(&txn, row, ReturnState::PickupScheduled, |a| {
            a.pickup_scheduled_at = Set(Some(now()));
        })
        .await?;
        queue_mails(self, &txn, shipment_id, return_id, to).await?;
        txn.commit().await?;
        Ok(to)
    }

    /// Shiprocket refused the return for good: `failed` with the reason.
    pub async fn record_return_failed(&self, return_id: i64, reason: &str) -> Result<()> {
        let txn = self.begin_write().await?;
        let row = lock_return(&txn, return_id).await?;
        save_return(&txn, row, ReturnState::Failed, |a| a.error = Set(Some(reason.to_owned()))).await?;
        txn.commit().await?;
        Ok(())
    }

    /// Records a scan of a return's AWB: a duplicate (same AWB, status and time) changes
    /// nothing; otherwise the scan is stored, the return moves forward to what it says, the
    /// shipment's merge (which reads the return's scans) is replayed, and the mails the new
    /// state makes due are queued with their send jobs: all in one transaction, under the
    /// shipment's and the return's row locks. An exchange's replacement made due by the move
    /// (see `ReplacementShips::is_due`) is created in the same transaction. `NotFound` when no
    /// return has this AWB.
    pub async fn record_return_event(
        &self,
        event: &TrackingEvent,
        label: &str,
        location: Option<&str>,
        activity: Option<&str>,
        source: EventSource,
    ) -> Result<RecordedReturnEvent> {
        let awb = event.awb.as_ref().ok_or_else(|| StoreError::Invalid("a return event without an AWB".into()))?;
        let found = return_request::Entity::find()
            .filter(return_request::Column::Awb.eq(awb.as_ref()))
            .order_by_desc(return_request::Column::Id)
            .one(self.db())
            .await?
            .ok_or_else(|| StoreError::NotFound(format!("no shipment or return with AWB {}", awb.as_ref())))?;
        let txn = self.begin_write().await?;
        let ship =
            shipment::Entity::find_by_id(found.shipment_id).lock_exclusive().one(&txn).await?.ok_or_else(|| {
                StoreError::NotFound(format!("shipment {} of return {}", found.shipment_id, found.id))
            })?;
        let row = lock_return(&txn, found.id).await?;
        let from = return_state(&row)?;
        let shipment_from = crate::steps::state_of(&ship)?;
        let scan = Scan { event, label, location, activity, source };
        let inserted = insert_event(&txn, ship.id, Some(row.id), &scan).await?;
        let (return_id, shipment_id) = (row.id, ship.id);
        let recorded = move |to, outcome, shipment_to| RecordedReturnEvent {
            return_id,
            shipment_id,
            from,
            to,
            outcome,
            shipment_from,
            shipment_to,
        };
        if !inserted {
            txn.rollback().await?;
            return Ok(recorded(from, ReturnOutcome::Duplicate, shipment_from));
        }
        let reading = read_return_status(&event.status);
        let before = row.clone();
        let last_event_at = row.last_event_at.map_or(event.at, |t| std::cmp::max(t, event.at));
        let (_, to) = save_return(&txn, row, reading.step().unwrap_or(from), |a| {
            a.last_event_at = Set(Some(last_event_at));
            if source == EventSource::Webhook {
                a.last_webhook_at = Set(Some(now()));
            }
        })
        .await?;
        let outcome = match reading {
            ReturnReading::Step(_) if to != from => ReturnOutcome::Moved,
            ReturnReading::Step(_) => ReturnOutcome::Unchanged,
            ReturnReading::Informational => ReturnOutcome::Informational,
            ReturnReading::Unknown => ReturnOutcome::Unknown,
        };
        let shipment_to = remerge_shipment(&txn, ship.clone()).await?;
        // After the merge: a replacement that cannot be built flags the shipment, and the merge
        // (which clears flags when a shipment moves) must not undo that.
        if to != from && crate::exchanges::replacement_due(&before, to)? {
            crate::exchanges::ship_replacement_on(self, &txn, &before, &ship, "worker").await?;
        }
        if to != from {
            queue_mails(self, &txn, shipment_id, return_id, to).await?;
        }
        txn.commit().await?;
        Ok(recorded(to, outcome, shipment_to))
    }

    /// Returns the refresh should poll: an AWB, not finished, and neither a webhook nor a poll
    /// within `quiet`. Oldest news first.
    pub async fn returns_due_for_refresh(
        &self,
        now: DateTime<Utc>,
        quiet: Duration,
        limit: u64,
    ) -> Result<Vec<return_request::Model>> {
        let since = now - chrono::Duration::from_std(quiet).unwrap_or(chrono::Duration::hours(2));
        let stale =
            |col: return_request::Column| Condition::any().add(Expr::col(col).is_null()).add(Expr::col(col).lt(since));
        Ok(return_request::Entity::find()
            .filter(return_request::Column::Awb.is_not_null())
            .filter(return_request::Column::Status.is_not_in(terminal_names()))
            .filter(stale(return_request::Column::LastWebhookAt))
            .filter(stale(return_request::Column::LastPolledAt))
            .order_by_asc(return_request::Column::LastEventAt)
            .order_by_asc(return_request::Column::Id)
            .limit(limit)
            .all(self.db())
            .await?)
    }

    /// Marks returns as polled now (the return refresh calls this after a batch).
    pub async fn mark_returns_polled(&self, return_ids: &[i64], at: DateTime<Utc>) -> Result<()> {
        return_request::Entity::update_many()
            .col_expr(return_request::Column::LastPolledAt, Expr::value(Some(at)))
            .filter(return_request::Column::Id.is_in(return_ids.iter().copied()))
            .exec(self.db())
            .await?;
        Ok(())
    }
}
