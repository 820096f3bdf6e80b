//! Correcting an order: one function for `PUT /v1/orders/{shop_order_id}` and the admin edit
//! form, so both check the same state, validate the same way and promise the same job.
//!
//! The edit is validated like a new order (the domain's parsing and the same Shiprocket draft),
//! and goes one of three ways by the current shipment's state (`shipping_domain::edit_route`):
//! before the Shiprocket order exists the stored order is replaced (a failed sync starts again,
//! once); once it exists and has no AWB an `update_order` job sends the correction; after an
//! AWB, or for a cancelled shipment, the answer is 409 with the reason.

use super::orders::{draft_options, order_items};
use super::{ServiceError, ServiceResult, require_enabled};
use crate::state::AppState;
use serde::Serialize;
use shipping_domain::{EditRoute, OrderEdit, ShiprocketOrderDraft, ShopOrder, SyncStatus, changed_fields, edit_route};
use shipping_store::entities::{order, shipment};
use shipping_store::steps::{state_of, sync_status_of};
use shipping_store::{EditFollowUp, EditOutcome, OrderEditWrite};

/// The answer to an edit.
#[derive(Debug, Serialize, PartialEq, utoipa::ToSchema)]
pub struct OrderEdited {
    pub order_id: i64,
    pub shop_order_id: String,
    pub shipment_id: i64,
    /// The field paths that changed (`shipping.line1`, `items[0].weight`); empty when the edit
    /// changed nothing (then nothing was written).
    pub changed_fields: Vec<String>,
    /// The job promised: `sync_order` (a failed sync starts again), `update_order` (the
    /// Shiprocket order is updated), or none (the pending sync sends the corrected order).
    pub job: Option<String>,
}

/// The order with its current shipment (the latest re-ship).
pub async fn order_and_shipment(
    state: &AppState,
    shop_order_id: &str,
) -> ServiceResult<(order::Model, shipment::Model)> {
    let order = state
        .store
        .order_by_shop_id(shop_order_id)
        .await?
        .ok_or_else(|| ServiceError::NotFound(format!("no order {shop_order_id}")))?;
    let shipment = state
        .store
        .shipments_of_order(order.id)
        .await?
        .into_iter()
        .next_back()
        .ok_or_else(|| ServiceError::NotFound(format!("order {shop_order_id} has no shipment")))?;
    Ok((order, shipment))
}

/// The order with its current shipment and the stored order-paid event.
pub async fn load(state: &AppState, shop_order_id: &str) -> ServiceResult<(order::Model, shipment::Model, ShopOrder)> {
    let (order, shipment) = order_and_shipment(state, shop_order_id).await?;
    let stored: ShopOrder = serde_json::from_str(&order.payload)
        .map_err(|e| ServiceError::internal(anyhow::anyhow!("stored order {} does not decode: {e}", order.id)))?;
    Ok((order, shipment, stored))
}

/// Whether the shipment's state allows an edit, and which way it goes; the error is the 409.
pub fn route_for(s: &shipment::Model) -> ServiceResult<EditRoute> {
    let in_progress = sync_status_of(s)? == SyncStatus::InProgress;
    let route = edit_route(state_of(s)?, in_progress)
        .map_err(|why| ServiceError::InvalidState(format!("the order of shipment {} cannot be edited: {why}", s.id)))?;
    if s.replacement_for_return_id.is_some() {
        return Err(ServiceError::InvalidState(format!(
            "shipment {} is an exchange's replacement: it ships the exchange's lines, not the order; \
             cancel it and request a new exchange instead",
            s.id
        )));
    }
    if s.awb.is_some() {
        return Err(ServiceError::InvalidState(format!(
            "the order of shipment {} cannot be edited: {}",
            s.id,
            shipping_domain::EditRefused::AwbAssigned
        )));
    }
    Ok(route)
}

/// Validates and applies `edit` to the order `shop_order_id` on behalf of `actor`.
pub async fn edit_order(
    state: &AppState,
    actor: &str,
    shop_order_id: &str,
    edit: &OrderEdit,
) -> ServiceResult<OrderEdited> {
    let (order, s, stored) = load(state, shop_order_id).await?;
    let route = route_for(&s)?;
    if route == EditRoute::UpdateAtShiprocket {
        require_enabled(state)?;
    }
    let corrected = edit.apply(&stored)?;
    let options = draft_options(state, shipping_store::parcel_of(&s));
    ShiprocketOrderDraft::build(&corrected, &options)?;
    let changed = changed_fields(&stored, &corrected);
    let mut answer = OrderEdited {
        order_id: order.id,
        shop_order_id: order.shop_order_id.clone(),
        shipment_id: s.id,
        changed_fields: changed.clone(),
        job: None,
    };
    if changed.is_empty() {
        return Ok(answer);
    }
    let flags = state.flags();
    let follow_up = match route {
        EditRoute::BeforeSync { resync: false } => EditFollowUp::None,
        EditRoute::BeforeSync { resync: true } if flags.enabled && flags.auto_sync => EditFollowUp::Resync,
        EditRoute::BeforeSync { resync: true } => EditFollowUp::ResetOnly,
        EditRoute::UpdateAtShiprocket => EditFollowUp::UpdateAtShiprocket,
    };
    let write = OrderEditWrite {
        order_id: order.id,
        shipment_id: s.id,
        shipment_version: s.version,
        payload: serde_json::to_value(&corrected).map_err(ServiceError::internal)?,
        items: order_items(&corrected)?,
        follow_up,
        actor: actor.to_owned(),
        changed: changed.clone(),
    };
    match state.store.edit_order(&write).await? {
        EditOutcome::Applied { job } => {
            metrics::counter!("order_edits_total", "job" => job.unwrap_or("none")).increment(1);
            // Field names only: the values are personal data.
            tracing::info!(order_id = order.id, shipment_id = s.id, fields = %changed.join(","), job = job.unwrap_or("none"), %actor, "order edited");
            answer.job = job.map(str::to_owned);
            Ok(answer)
        }
        EditOutcome::Stale => Err(ServiceError::InvalidState(format!(
            "shipment {} changed while the edit was being checked; load it again and retry",
            s.id
        ))),
    }
}
