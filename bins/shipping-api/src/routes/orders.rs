//! `POST /v1/orders` (the order-paid event), `PUT /v1/orders/{shop_order_id}` (a correction)
//! and `GET /v1/orders/{shop_order_id}/shipment`.

use crate::auth::Caller;
use crate::error::{ApiError, ApiResult, ErrorEnvelope};
use crate::extract::{ApiPath, JsonBody};
use crate::routes::shipments::{ShipmentView, TimelineEntry};
use crate::services::order_edit::{OrderEdited, edit_order};
use crate::services::orders::{draft_options, order_items, to_i64, tracking_page_url, tracking_url};
use crate::state::{AppState, new_tracking_token};
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use serde::Serialize;
use serde_json::json;
use shipping_domain::{OrderEdit, Payment, ShiprocketOrderDraft, ShopOrder};
use shipping_store::{IngestOutcome, NewOrder};

/// The answer to an accepted order; a replay gets the same body.
#[derive(Debug, Serialize, PartialEq, utoipa::ToSchema)]
pub struct OrderAccepted {
    pub order_id: i64,
    pub shop_order_id: String,
    pub shipment_id: i64,
    /// The customer's tracking data as JSON (for a tracking page of the shop's own).
    pub tracking_url: String,
    /// Give this link to the customer: the tracking page (`/track/{token}`).
    pub tracking_page_url: String,
}

fn new_order(order: &ShopOrder, draft: &ShiprocketOrderDraft) -> ApiResult<NewOrder> {
    let payload = serde_json::to_value(order).map_err(ApiError::internal)?;
    let items = order_items(order)?;
    let (payment_method, cod) = match order.payment {
        Payment::Prepaid => ("prepaid", 0),
        Payment::Cod { amount } => ("cod", to_i64(amount.paise(), "payment.amount")?),
    };
    Ok(NewOrder {
        shop_order_id: order.id.as_str().to_owned(),
        payload,
        payment_method: payment_method.to_owned(),
        cod_amount_paise: cod,
        total_paise: to_i64(draft.order_total.paise(), "total")?,
        items,
        channel_order_id: draft.order_id.as_str().to_owned(),
        tracking_token: new_tracking_token(),
        outbox_kind: "sync_order".to_owned(),
        outbox_payload: json!({"type": "sync_order"}),
        requested_courier_id: order.courier_id.and_then(|c| i64::try_from(c).ok()),
    })
}

/// Validates the order through the domain (the same draft the worker will send), stores it
/// with its shipment and, when sync is on, the `sync_order` outbox row, in one transaction.
/// 201 first time; 200 with the same body for an identical replay; 409 for the same id with
/// different content.
#[utoipa::path(post, path = "/v1/orders", tag = "orders",
    summary = "Order paid: validate, store, promise the sync (idempotent on the shop's order id)",
    request_body(content = ShopOrder, description = "The order-paid event; money in paise, weights in grams"),
    responses(
        (status = 201, description = "Stored; its Shiprocket sync is promised", body = OrderAccepted),
        (status = 200, description = "An identical replay: the first answer again", body = OrderAccepted),
        (status = 409, description = "The same order id with different content; nothing changed", body = ErrorEnvelope),
        (status = 422, description = "A field is invalid; `fields` names it", body = ErrorEnvelope),
    ),
    security(("bearer" = []), ("apiKey" = [])))]
pub async fn ingest(
    State(state): State<AppState>,
    _caller: Caller,
    JsonBody(order): JsonBody<ShopOrder>,
) -> ApiResult<(StatusCode, Json<OrderAccepted>)> {
    let draft = ShiprocketOrderDraft::build(&order, &draft_options(&state, (0, 0)))?;
    let new = new_order(&order, &draft)?;
    let token = new.tracking_token.clone();
    let flags = state.flags();
    let with_job = flags.enabled && flags.auto_sync;
    let outcome =
        if with_job { state.store.ingest_order(new).await? } else { state.store.ingest_order_without_job(new).await? };
    let shop_order_id = order.id.as_str().to_owned();
    match outcome {
        IngestOutcome::Created { order_id, shipment_id } => {
            metrics::counter!("orders_ingested_total", "outcome" => "created", "sync" => if with_job { "queued" } else { "held" })
                .increment(1);
            tracing::info!(order_id, shipment_id, shop_order_id = %shop_order_id, sync_queued = with_job, "order accepted");
            let body = OrderAccepted {
                order_id,
                shop_order_id,
                shipment_id,
                tracking_url: tracking_url(&state, &token),
                tracking_page_url: tracking_page_url(&state, &token),
            };
            Ok((StatusCode::CREATED, Json(body)))
        }
        IngestOutcome::Replayed { order_id, shipment_id } => {
            metrics::counter!("orders_ingested_total", "outcome" => "replayed").increment(1);
            let shipment = state.store.shipment(shipment_id).await?.ok_or_else(|| {
                ApiError::internal(anyhow::anyhow!("shipment {shipment_id} of order {order_id} vanished"))
            })?;
            let body = OrderAccepted {
                order_id,
                shop_order_id,
                shipment_id,
                tracking_url: tracking_url(&state, &shipment.tracking_token),
                tracking_page_url: tracking_page_url(&state, &shipment.tracking_token),
            };
            Ok((StatusCode::OK, Json(body)))
        }
        IngestOutcome::Conflict { order_id } => {
            metrics::counter!("orders_ingested_total", "outcome" => "conflict").increment(1);
            tracing::warn!(order_id, shop_order_id = %shop_order_id, "order replayed with different content");
            Err(ApiError::IdempotencyConflict(format!(
                "order {shop_order_id} was already received with different content; nothing was changed"
            )))
        }
    }
}

/// Replaces the order's editable fields (contact, addresses, items with their weights and
/// sizes; never the id, payment, shipping charges or what was paid), validated like a new
/// order. Before the Shiprocket order exists the stored order is replaced and a failed sync
/// starts again (one `sync_order` job); after, before an AWB, an `update_order` job sends the
/// correction to Shiprocket. Every edit is audited (who, which fields).
#[utoipa::path(put, path = "/v1/orders/{shop_order_id}", tag = "orders",
    summary = "Correct an order before it ships (contact, addresses, items, package)",
    params(("shop_order_id" = String, Path, description = "The shop's order id")),
    request_body(content = OrderEdit, description = "The editable fields, each replaced whole; unknown fields (payment, id) are refused"),
    responses(
        (status = 200, description = "Stored; `job` says what carries it on to Shiprocket", body = OrderEdited),
        (status = 404, description = "No such order", body = ErrorEnvelope),
        (status = 409, description = "The shipment's state does not allow an edit (AWB assigned, cancelled, sync running)", body = ErrorEnvelope),
        (status = 422, description = "A field is invalid, or the items would change what was paid; `fields` names it", body = ErrorEnvelope),
        (status = 503, description = "Shiprocket sync is switched off (an edit that must reach Shiprocket)", body = ErrorEnvelope),
    ),
    security(("bearer" = []), ("apiKey" = [])))]
pub async fn edit(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(shop_order_id): ApiPath<String>,
    JsonBody(body): JsonBody<OrderEdit>,
) -> ApiResult<Json<OrderEdited>> {
    Ok(Json(edit_order(&state, &caller.actor, &shop_order_id, &body).await?))
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct OrderShipment {
    pub order_id: i64,
    pub shop_order_id: String,
    pub payment_method: String,
    pub total_paise: i64,
    /// The current shipment (the latest re-ship, if any).
    pub shipment: ShipmentView,
    /// Its tracking events, oldest first.
    pub timeline: Vec<TimelineEntry>,
}

/// The order's current shipment with its timeline.
#[utoipa::path(get, path = "/v1/orders/{shop_order_id}/shipment", tag = "orders",
    summary = "The order's current shipment with its timeline",
    params(("shop_order_id" = String, Path, description = "The shop's order id")),
    responses(
        (status = 200, body = OrderShipment),
        (status = 404, description = "No such order", body = ErrorEnvelope),
    ),
    security(("bearer" = []), ("apiKey" = [])))]
pub async fn shipment_of_order(
    State(state): State<AppState>,
    _caller: Caller,
    ApiPath(shop_order_id): ApiPath<String>,
) -> ApiResult<Json<OrderShipment>> {
    let (order, shipment) = crate::services::order_edit::order_and_shipment(&state, &shop_order_id).await?;
    let timeline = state.store.tracking_events(shipment.id).await?.iter().map(TimelineEntry::from).collect();
    Ok(Json(OrderShipment {
        order_id: order.id,
        shop_order_id: order.shop_order_id,
        payment_method: order.payment_method,
        total_paise: order.total_paise,
        shipment: ShipmentView::from(&shipment),
        timeline,
    }))
}
