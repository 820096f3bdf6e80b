//! Correcting a stored order (`PUT /v1/orders/{id}` and the admin form): the new payload, its
//! items, the shipment's sync reset, the job that carries the correction and the audit row, in
//! one transaction.

use crate::api_queries::insert_audit;
use crate::entities::{order, order_item, shipment};
use crate::jobs::{Job, SyncOrderV1, UpdateOrderV1};
use crate::{NewOrderItem, Result, Store, now};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, EntityTrait, IntoActiveModel, QueryFilter, QuerySelect,
};
use serde_json::{Value, json};
use shipping_domain::{ShipmentState, SyncStatus};

/// What carries the correction on to Shiprocket.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EditFollowUp {
    /// Nothing now: the sync still pending (its job, or the operator's sync) reads the new order.
    None,
    /// The sync had failed: it is reset to pending and one new `sync_order` job is promised.
    Resync,
    /// The sync had failed and automatic sync is off: reset to pending, no job.
    ResetOnly,
    /// The Shiprocket order exists: an `update_order` job is promised.
    UpdateAtShiprocket,
}

/// A validated correction of an order.
#[derive(Debug, Clone)]
pub struct OrderEditWrite {
    pub order_id: i64,
    pub shipment_id: i64,
    /// The shipment's `version` when its state was checked: the edit applies only if no one
    /// changed the shipment since (the worker starting the sync, an AWB arriving).
    pub shipment_version: i32,
    /// The corrected order (validated). The payload hash is kept: it identifies the order-paid
    /// event as first received, so the shop's replays of that event stay replays.
    pub payload: Value,
    pub items: Vec<NewOrderItem>,
    pub follow_up: EditFollowUp,
    pub actor: String,
    /// The field paths that changed (no values: they are personal data).
    pub changed: Vec<String>,
}

/// What an edit did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EditOutcome {
    /// Stored; `job` is the kind of job promised, if any.
    Applied { job: Option<&'static str> },
    /// The shipment changed since its state was checked; nothing was written.
    Stale,
}

impl Store {
    /// Applies a correction exactly as `edit.follow_up` says, all or nothing: the shipment's
    /// row is claimed by its version first, so a concurrent change (the worker marking the
    /// sync in progress, an AWB) makes the edit [`EditOutcome::Stale`] instead of lost.
    pub async fn edit_order(&self, edit: &OrderEditWrite) -> Result<EditOutcome> {
        let at = now();
        let txn = self.begin_write().await?;
        // Claimed under the row lock, by the version the caller checked.
        let current = shipment::Entity::find_by_id(edit.shipment_id).lock_exclusive().one(&txn).await?;
        let Some(s) = current.filter(|s| s.order_id == edit.order_id && s.version == edit.shipment_version) else {
            txn.rollback().await?;
            return Ok(EditOutcome::Stale);
        };
        let mut a = s.clone().into_active_model();
        a.version = Set(s.version + 1);
        a.updated_at = Set(at);
        if matches!(edit.follow_up, EditFollowUp::Resync | EditFollowUp::ResetOnly) {
            crate::typed::set_sync_status(&mut a, SyncStatus::Pending);
            crate::typed::clear_sync_error(&mut a);
            a.next_sync_at = Set(None);
            // Like every step's new state: the wait starts now, a flag on the old data goes.
            crate::steps::enter(&mut a, ShipmentState::PendingSync);
        }
        a.update(&txn).await?;
        order::Entity::update_many()
            .col_expr(order::Column::Payload, Expr::value(edit.payload.to_string()))
            .col_expr(order::Column::UpdatedAt, Expr::value(at))
            .filter(order::Column::Id.eq(edit.order_id))
            .exec(&txn)
            .await?;
        order_item::Entity::delete_many().filter(order_item::Column::OrderId.eq(edit.order_id)).exec(&txn).await?;
        crate::ingest::insert_items(&txn, edit.order_id, &edit.items).await?;
        let (order_id, shipment_id) = (edit.order_id, edit.shipment_id);
        let job = match edit.follow_up {
            EditFollowUp::Resync => Some(Job::SyncOrder(SyncOrderV1 { order_id, shipment_id })),
            EditFollowUp::UpdateAtShiprocket => Some(Job::UpdateOrder(UpdateOrderV1 { order_id, shipment_id })),
            EditFollowUp::None | EditFollowUp::ResetOnly => None,
        };
        if let Some(job) = &job {
            self.enqueue(&txn, job).await?;
        }
        let kind = job.as_ref().map(Job::kind);
        let details = json!({"fields": edit.changed, "job": kind, "sync_reset": matches!(edit.follow_up, EditFollowUp::Resync | EditFollowUp::ResetOnly)});
        insert_audit(&txn, "shipment", shipment_id, "edit_order", &edit.actor, &details).await?;
        txn.commit().await?;
        Ok(EditOutcome::Applied { job: kind })
    }
}
