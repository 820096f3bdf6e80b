//! The shipment lifecycle's steps, each one transaction: the step's state change and every job
//! it promises next (its follow-up, its mails) commit together or not at all, so a crash between
//! "saved" and "promised" cannot strand a shipment (ADR 0008). Every step reads the shipment
//! under its row lock and checks for a cancel inside the transaction: cancellation wins.

use crate::entities::{document, shipment};
use crate::jobs::{Job, ShipmentJobV1, SyncOrderV1};
use crate::{Result, Store, StoreError, now};
use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseTransaction, EntityTrait,
    IntoActiveModel, QueryFilter, QuerySelect,
};
use sha2::{Digest, Sha256};
use shipping_domain::{AttentionReason, MailKind, ShipmentState, SyncStatus, milestone_advances};

/// The shipment's state, typed.
pub fn state_of(s: &shipment::Model) -> Result<ShipmentState> {
    ShipmentState::from_name(&s.state, u32::try_from(s.ndr_attempts).unwrap_or(0))
        .ok_or_else(|| StoreError::Invalid(format!("shipment {} has unknown state {:?}", s.id, s.state)))
}

/// The shipment's sync status, typed.
pub fn sync_status_of(s: &shipment::Model) -> Result<SyncStatus> {
    SyncStatus::from_name(&s.sync_status)
        .ok_or_else(|| StoreError::Invalid(format!("shipment {} has unknown sync status {:?}", s.id, s.sync_status)))
}

/// The shipment's attention reason, typed (`None` while it moves).
pub fn attention_of(s: &shipment::Model) -> Option<AttentionReason> {
    s.attention_reason.as_deref().and_then(AttentionReason::from_code)
}

/// Reads a shipment for update: the row lock on Postgres; SQLite's write transaction already
/// excludes every other writer.
pub(crate) async fn lock<C: ConnectionTrait>(conn: &C, id: i64) -> Result<shipment::Model> {
    shipment::Entity::find_by_id(id)
        .lock_exclusive()
        .one(conn)
        .await?
        .ok_or_else(|| StoreError::NotFound(format!("shipment {id}")))
}

/// Moves `a` to `to`: the wait for the next step starts now, the reconciler's count restarts
/// and an attention flag is cleared (the shipment moves again).
pub(crate) fn enter(a: &mut shipment::ActiveModel, to: ShipmentState) {
    a.state = Set(to.name().to_owned());
    a.waiting_since = Set(Some(now()));
    a.reconcile_attempts = Set(0);
    clear_attention(a);
}

/// News about the parcel (a new scan, ours or the courier's) left the shipment at `to`: a new
/// state is entered like any other; the same state still restarts the wait, and a flag about
/// silence goes.
pub(crate) fn hear_news(
    a: &mut shipment::ActiveModel,
    before: &shipment::Model,
    from: ShipmentState,
    to: ShipmentState,
) {
    if from != to {
        enter(a, to);
        return;
    }
    a.waiting_since = Set(Some(now()));
    a.reconcile_attempts = Set(0);
    if attention_of(before).is_some_and(AttentionReason::cleared_by_news) {
        clear_attention(a);
    }
}

pub(crate) fn clear_attention(a: &mut shipment::ActiveModel) {
    a.attention_reason = Set(None);
    a.attention_message = Set(None);
    a.attention_since = Set(None);
}

pub(crate) fn flag_attention(a: &mut shipment::ActiveModel, reason: AttentionReason, message: &str) {
    a.attention_reason = Set(Some(reason.code().to_owned()));
    a.attention_message = Set(Some(message.to_owned()));
    a.attention_since = Set(Some(now()));
}

async fn save(txn: &DatabaseTransaction, before: &shipment::Model, mut a: shipment::ActiveModel) -> Result<()> {
    a.version = Set(before.version + 1);
    a.updated_at = Set(now());
    a.update(txn).await?;
    Ok(())
}

/// Queues a mail once per (shipment, kind) with the job that sends it, on `conn`. Once a cancel
/// was asked for, the customer gets only the cancellation notice. Returns the notification id
/// when it is new.
pub(crate) async fn queue_mail<C: ConnectionTrait>(
    store: &Store,
    conn: &C,
    s: &shipment::Model,
    kind: MailKind,
) -> Result<Option<i64>> {
    if s.cancel_requested_at.is_some() && !kind.allowed_after_cancel() {
        return Ok(None);
    }
    let recipient = if kind.to_admin() { "admin" } else { "customer" };
    Ok(match crate::records::queue_notification_on(store, conn, s.id, kind.code(), recipient).await? {
        crate::Once::New(id) => Some(id),
        crate::Once::AlreadyThere => None,
    })
}

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

/// What a step found when it came to commit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Committed {
    /// Saved, and its follow-up promised.
    Advanced,
    /// A cancel was asked for meanwhile: what Shiprocket now has was saved and its cancel
    /// promised instead of the follow-up.
    CancelInstead,
}

/// How `record_sync_refused` left the shipment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refused {
    /// The failed-sync cron tries it again at `next_sync_at`.
    RetryLater,
    /// The cap is reached: it needs a person.
    NeedsAttention,
}

fn cancel_job(shipment_id: i64) -> Job {
    Job::CancelShipment(ShipmentJobV1 { shipment_id, courier_id: None })
}

impl Store {
    /// A step that lands after a cancel request: what Shiprocket now has (`a`) is saved and its
    /// cancel promised instead of the step's follow-up.
    async fn cancel_instead(
        &self,
        txn: DatabaseTransaction,
        before: &shipment::Model,
        a: shipment::ActiveModel,
    ) -> Result<Committed> {
        save(&txn, before, a).await?;
        self.enqueue(&txn, &cancel_job(before.id)).await?;
        txn.commit().await?;
        Ok(Committed::CancelInstead)
    }

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
        a.sync_status = Set(SyncStatus::InProgress.name().to_owned());
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
        a.sync_status = Set(SyncStatus::Synced.name().to_owned());
        a.sync_error = Set(None);
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

    /// Shiprocket refused the order's data: the sync is failed with its message, the admin is
    /// told once, and the failed-sync cron tries again at `retry_at` — until `max_failed`
    /// refusals, after which the shipment needs a person.
    pub async fn record_sync_refused(
        &self,
        shipment_id: i64,
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
        a.sync_status = Set(SyncStatus::Failed.name().to_owned());
        a.sync_error = Set(Some(reason.to_owned()));
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
        a.sync_status = Set(SyncStatus::Pending.name().to_owned());
        a.next_sync_at = Set(None);
        save(&txn, &s, a).await?;
        self.enqueue(&txn, &Job::SyncOrder(SyncOrderV1 { order_id: s.order_id, shipment_id })).await?;
        txn.commit().await?;
        Ok(true)
    }

    /// The AWB is assigned: saved with the courier Shiprocket booked (and why it differs from
    /// the one asked for, if it does), and (with automatic shipping) the label and the pickup
    /// promised. After a cancel request the AWB is kept and its cancel promised instead.
    pub async fn record_awb(
        &self,
        shipment_id: i64,
        awb: &str,
        courier_id: Option<i64>,
        courier_name: Option<&str>,
        courier_note: Option<&str>,
        auto_ship: bool,
    ) -> Result<Committed> {
        let txn = self.begin_write().await?;
        let s = lock(&txn, shipment_id).await?;
        let from = state_of(&s)?;
        let mut a = s.clone().into_active_model();
        a.awb = Set(Some(awb.to_owned()));
        a.courier_id = Set(courier_id);
        a.courier_name = Set(courier_name.map(str::to_owned));
        a.courier_note = Set(courier_note.map(str::to_owned));
        if s.cancel_requested_at.is_some() {
            return self.cancel_instead(txn, &s, a).await;
        }
        if milestone_advances(from, ShipmentState::AwbAssigned) {
            enter(&mut a, ShipmentState::AwbAssigned);
        }
        save(&txn, &s, a).await?;
        if auto_ship {
            let next = ShipmentJobV1 { shipment_id, courier_id: None };
            self.enqueue(&txn, &Job::GenerateLabel(next.clone())).await?;
            self.enqueue(&txn, &Job::SchedulePickup(next)).await?;
        }
        txn.commit().await?;
        Ok(Committed::Advanced)
    }

    /// The label PDF is kept and the shipment is label-ready, together.
    pub async fn record_label(&self, shipment_id: i64, source_url: &str, pdf: Vec<u8>) -> Result<()> {
        let txn = self.begin_write().await?;
        let s = lock(&txn, shipment_id).await?;
        let from = state_of(&s)?;
        let sha = Sha256::digest(&pdf).iter().map(|b| format!("{b:02x}")).collect::<String>();
        document::ActiveModel {
            shipment_id: Set(shipment_id),
            kind: Set("label".into()),
            source_url: Set(Some(source_url.to_owned())),
            content_type: Set("application/pdf".into()),
            content: Set(pdf),
            sha256: Set(sha),
            created_at: Set(now()),
            ..Default::default()
        }
        .insert(&txn)
        .await?;
        if s.cancel_requested_at.is_none() && milestone_advances(from, ShipmentState::LabelReady) {
            let mut a = s.clone().into_active_model();
            enter(&mut a, ShipmentState::LabelReady);
            save(&txn, &s, a).await?;
        }
        txn.commit().await?;
        Ok(())
    }

    /// The pickup is scheduled (a milestone; the courier's scans take it from here).
    pub async fn record_pickup_scheduled(&self, shipment_id: i64) -> Result<()> {
        self.advance_milestone(shipment_id, ShipmentState::PickupScheduled).await
    }

    async fn advance_milestone(&self, shipment_id: i64, to: ShipmentState) -> Result<()> {
        let txn = self.begin_write().await?;
        let s = lock(&txn, shipment_id).await?;
        if s.cancel_requested_at.is_some() || !milestone_advances(state_of(&s)?, to) {
            txn.rollback().await?;
            return Ok(());
        }
        let mut a = s.clone().into_active_model();
        enter(&mut a, to);
        save(&txn, &s, a).await?;
        txn.commit().await?;
        Ok(())
    }

    /// Asks for a cancel (the API): the request is recorded, its job promised and the actor
    /// audited in one transaction. From now on every job of the shipment stops.
    pub async fn request_cancel(&self, shipment_id: i64, actor: &str) -> Result<i64> {
        let txn = self.begin_write().await?;
        let s = lock(&txn, shipment_id).await?;
        if s.cancel_requested_at.is_none() {
            let mut a = s.clone().into_active_model();
            a.cancel_requested_at = Set(Some(now()));
            a.waiting_since = Set(Some(now()));
            a.reconcile_attempts = Set(0);
            clear_attention(&mut a);
            save(&txn, &s, a).await?;
        }
        let job = cancel_job(shipment_id);
        let id = self.enqueue(&txn, &job).await?;
        crate::api_queries::insert_audit(&txn, "shipment", shipment_id, job.kind(), actor, &serde_json::json!({}))
            .await?;
        txn.commit().await?;
        Ok(id)
    }

    /// Shiprocket's side is cancelled (or never existed): the shipment is cancelled, with the
    /// Shiprocket ids found on the way (a lost create found by its channel id), the audit row
    /// and the customer's cancellation notice, once.
    pub async fn record_cancelled(&self, shipment_id: i64, found: Option<(i64, Option<i64>)>) -> Result<()> {
        let txn = self.begin_write().await?;
        let s = lock(&txn, shipment_id).await?;
        let from = state_of(&s)?;
        let mut a = s.clone().into_active_model();
        if let Some((sr_order_id, sr_shipment_id)) = found {
            a.sr_order_id = Set(Some(sr_order_id));
            a.sr_shipment_id = Set(sr_shipment_id);
        }
        if s.cancel_requested_at.is_none() {
            a.cancel_requested_at = Set(Some(now()));
        }
        let newly = from != ShipmentState::Cancelled;
        if newly {
            enter(&mut a, ShipmentState::Cancelled);
        }
        save(&txn, &s, a).await?;
        if newly {
            crate::api_queries::insert_audit(
                &txn,
                "shipment",
                shipment_id,
                "cancelled",
                "worker",
                &serde_json::json!({}),
            )
            .await?;
        }
        queue_mail(self, &txn, &s, MailKind::Cancelled).await?;
        txn.commit().await?;
        Ok(())
    }

    /// The shipment needs a person, for `reason`: shown with `message` in the API, the pages and
    /// the dashboard until it moves again or someone acts on it.
    pub async fn flag_needs_attention(&self, shipment_id: i64, reason: AttentionReason, message: &str) -> Result<()> {
        let txn = self.begin_write().await?;
        let s = lock(&txn, shipment_id).await?;
        if state_of(&s)?.is_terminal() && reason != AttentionReason::CancelUnconfirmed {
            txn.rollback().await?;
            return Ok(());
        }
        let mut a = s.clone().into_active_model();
        flag_attention(&mut a, reason, message);
        save(&txn, &s, a).await?;
        crate::api_queries::insert_audit(
            &txn,
            "shipment",
            shipment_id,
            "needs_attention",
            "worker",
            &serde_json::json!({"reason": reason.code()}),
        )
        .await?;
        txn.commit().await?;
        Ok(())
    }

    /// Shipments that need a person, newest flag first.
    pub async fn needing_attention(&self, limit: u64) -> Result<Vec<shipment::Model>> {
        use sea_orm::QueryOrder;
        Ok(shipment::Entity::find()
            .filter(shipment::Column::AttentionReason.is_not_null())
            .order_by_desc(shipment::Column::AttentionSince)
            .limit(limit)
            .all(self.db())
            .await?)
    }
}
