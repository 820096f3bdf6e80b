//! Creating the Shiprocket order, as lifecycle steps: the attempt's intent, a re-ship's new
//! channel id, the order synced (with the AWB and the mail it promises) or refused (with its
//! message and class), and the failed-sync cron's retry.

use super::{cancel_job, enter, flag_attention, lock, queue_mail, save};
use crate::entities::shipment;
use crate::jobs::{Job, ShipmentJobV1, SyncOrderV1};
use crate::typed::{clear_sync_error, set_sync_error, set_sync_status, state_of, sync_status_of};
use crate::{Committed, Result, Store, StoreError};
use chrono::{DateTime, Utc};
use sea_orm::{ActiveValue::Set, IntoActiveModel};
use shipping_domain::{AttentionReason, MailKind, ShipmentState, SyncErrorClass, SyncStatus, milestone_advances};

/// Where a sync attempt may start.
#[derive(Debug, Clone, PartialEq)]
pub enum SyncStart {
    /// Go on with this shipment (its sync is now `in_progress`, attempts + 1). `outcome_unknown`:
    /// an earlier attempt may have created the order, so look it up before creating.
    Go { shipment: Box<shipment::Model>, outcome_unknown: bool },
    /// Synced already: nothing to do.
    AlreadySynced,
    /// A cancel was asked for. When an earlier attempt may have created the order at
    /// Shiprocket, a cancel job (which looks it up) was promised with this answer.
    Cancelled,
}

/// How `record_sync_refused` left the shipment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refused {
    /// The failed-sync cron tries it again at `next_sync_at`.
    RetryLater,
    /// The cap is reached: it needs a person.
    NeedsAttention,
}

impl Store {
    /// Starts a sync attempt (`sync_order`): records the intent, or says why not.
    pub async fn begin_sync(&self, shipment_id: i64, attempt: u32) -> Result<SyncStart> {
        let txn = self.begin_write().await?;
        let s = lock(&txn, shipment_id).await?;
        let status = sync_status_of(&s)?;
        if status == SyncStatus::Synced {
            txn.rollback().await?;
            return Ok(SyncStart::AlreadySynced);
        }
        let outcome_unknown = attempt > 1 || status == SyncStatus::InProgress;
        if s.cancel_requested_at.is_some() {
            if outcome_unknown || s.sync_attempts > 0 {
                self.enqueue(&txn, &cancel_job(s.id)).await?;
                txn.commit().await?;
            } else {
                txn.rollback().await?;
            }
            return Ok(SyncStart::Cancelled);
        }
        let mut a = s.clone().into_active_model();
        set_sync_status(&mut a, SyncStatus::InProgress);
        a.sync_attempts = Set(s.sync_attempts + 1);
        save(&txn, &s, a).await?;
        txn.commit().await?;
        let shipment =
            self.shipment(shipment_id).await?.ok_or_else(|| StoreError::NotFound(format!("shipment {shipment_id}")))?;
        Ok(SyncStart::Go { shipment: Box::new(shipment), outcome_unknown })
    }

    /// Records the channel order id a re-ship will use, before it is used (a crash cannot lose
    /// which id owns the shipment), with its audit row.
    pub async fn record_reship(
        &self,
        shipment_id: i64,
        channel_order_id: &str,
        attempt: u32,
        reason: &str,
    ) -> Result<()> {
        let txn = self.begin_write().await?;
        let s = lock(&txn, shipment_id).await?;
        if s.channel_order_id == channel_order_id {
            txn.rollback().await?;
            return Ok(());
        }
        let mut a = s.clone().into_active_model();
        a.channel_order_id = Set(channel_order_id.to_owned());
        a.reship_attempt = Set(i32::try_from(attempt).unwrap_or(i32::MAX));
        save(&txn, &s, a).await?;
        let details = serde_json::json!({"from": s.channel_order_id, "to": channel_order_id, "reason": reason});
        crate::api_queries::insert_audit(&txn, "shipment", shipment_id, "reship", "worker", &details).await?;
        txn.commit().await?;
        Ok(())
    }

    /// The Shiprocket order exists: synced, the customer's confirmation queued and (with
    /// automatic shipping) the AWB promised, in one transaction. After a cancel request the ids
    /// are kept and the order's cancel is promised instead.
    pub async fn record_synced(
        &self,
        shipment_id: i64,
        sr_order_id: i64,
        sr_shipment_id: Option<i64>,
        auto_ship: bool,
    ) -> Result<Committed> {
        let txn = self.begin_write().await?;
        let s = lock(&txn, shipment_id).await?;
        let from = state_of(&s)?;
        let mut a = s.clone().into_active_model();
        set_sync_status(&mut a, SyncStatus::Synced);
        clear_sync_error(&mut a);
        a.next_sync_at = Set(None);
        a.sr_order_id = Set(Some(sr_order_id));
        a.sr_shipment_id = Set(sr_shipment_id);
        if s.cancel_requested_at.is_some() {
            return self.cancel_instead(txn, &s, a).await;
        }
        if milestone_advances(from, ShipmentState::Synced) {
            enter(&mut a, ShipmentState::Synced);
        }
        save(&txn, &s, a).await?;
        queue_mail(self, &txn, &s, MailKind::OrderConfirmed).await?;
        if auto_ship {
            self.enqueue(&txn, &Job::AssignAwb(ShipmentJobV1 { shipment_id, courier_id: None })).await?;
        }
        txn.commit().await?;
        Ok(Committed::Advanced)
    }

    /// Shiprocket refused the order's data: the sync is failed with its message and the
    /// failure's class, the admin is told once, and the failed-sync cron tries again at
    /// `retry_at` — until `max_failed` refusals, after which the shipment needs a person.
    pub async fn record_sync_refused(
        &self,
        shipment_id: i64,
        class: SyncErrorClass,
        reason: &str,
        retry_at: DateTime<Utc>,
        max_failed: u32,
    ) -> Result<Refused> {
        let txn = self.begin_write().await?;
        let s = lock(&txn, shipment_id).await?;
        let from = state_of(&s)?;
        let failed = s.failed_syncs.saturating_add(1);
        let capped = u32::try_from(failed).unwrap_or(u32::MAX) >= max_failed;
        let mut a = s.clone().into_active_model();
        set_sync_status(&mut a, SyncStatus::Failed);
        set_sync_error(&mut a, class, reason);
        a.failed_syncs = Set(failed);
        a.next_sync_at = Set((!capped).then_some(retry_at));
        if milestone_advances(from, ShipmentState::SyncFailed) {
            enter(&mut a, ShipmentState::SyncFailed);
        }
        if capped {
            flag_attention(&mut a, AttentionReason::ValidationError, reason);
        }
        save(&txn, &s, a).await?;
        queue_mail(self, &txn, &s, MailKind::AdminSyncFailed).await?;
        txn.commit().await?;
        Ok(if capped { Refused::NeedsAttention } else { Refused::RetryLater })
    }

    /// A failed sync whose retry time has come goes back to pending with its `sync_order` job,
    /// unless it was cancelled or needs a person meanwhile. Returns whether it was promised.
    pub async fn retry_failed_sync(&self, shipment_id: i64) -> Result<bool> {
        let txn = self.begin_write().await?;
        let s = lock(&txn, shipment_id).await?;
        if sync_status_of(&s)? != SyncStatus::Failed || s.cancel_requested_at.is_some() || s.attention_reason.is_some()
        {
            txn.rollback().await?;
            return Ok(false);
        }
        let mut a = s.clone().into_active_model();
        set_sync_status(&mut a, SyncStatus::Pending);
        a.next_sync_at = Set(None);
        save(&txn, &s, a).await?;
        self.enqueue(&txn, &Job::SyncOrder(SyncOrderV1 { order_id: s.order_id, shipment_id })).await?;
        txn.commit().await?;
        Ok(true)
    }
}
