//! The shipment lifecycle's steps, each one transaction: the step's state change and every job
//! it promises next (its follow-up, its mails) commit together or not at all, so a crash between
//! "saved" and "promised" cannot strand a shipment (ADR 0008). Every step reads the shipment
//! under its row lock and checks for a cancel inside the transaction: cancellation wins.

mod sync;

pub use crate::typed::{attention_of, state_of, sync_status_of};
pub use sync::{Refused, SyncStart};

use crate::entities::{document, shipment};
use crate::jobs::{Job, ShipmentJobV1};
use crate::{Result, Store, StoreError, now};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseTransaction, EntityTrait,
    IntoActiveModel, QueryFilter, QuerySelect,
};
use sha2::{Digest, Sha256};
use shipping_domain::{AttentionReason, MailKind, ShipmentState, milestone_advances};

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
    crate::typed::set_state(a, to);
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

pub(crate) async fn save(
    txn: &DatabaseTransaction,
    before: &shipment::Model,
    mut a: shipment::ActiveModel,
) -> Result<()> {
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

/// What a step found when it came to commit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Committed {
    /// Saved, and its follow-up promised.
    Advanced,
    /// A cancel was asked for meanwhile: what Shiprocket now has was saved and its cancel
    /// promised instead of the follow-up.
    CancelInstead,
}

pub(crate) fn cancel_job(shipment_id: i64) -> Job {
    Job::CancelShipment(ShipmentJobV1 { shipment_id, courier_id: None })
}

impl Store {
    /// A step that lands after a cancel request: what Shiprocket now has (`a`) is saved and its
    /// cancel promised instead of the step's follow-up.
    pub(crate) async fn cancel_instead(
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
                ShipmentState::Cancelled.name(),
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
