//! Shipment reads: one shipment with its timeline and returns, the filtered list, its CSV.
//! The JSON views of shipments live here; the actions are in [`super::actions`], the labels in
//! [`super::labels`].

use crate::auth::Caller;
use crate::error::{ApiResult, ErrorEnvelope};
use crate::extract::{ApiPath, ApiQuery};
use crate::services::listing::{ListQuery, filter};
use crate::services::orders::tracking_url;
use crate::services::{Download, load_shipment};
use crate::state::AppState;
use axum::Json;
use axum::extract::State;
use chrono::{DateTime, Utc};
use serde::Serialize;
use shipping_domain::{OrderLine, ReplacementShips};
use shipping_store::entities::{return_request, shipment, tracking_event};

/// A shipment as the shop's staff see it.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ShipmentView {
    pub id: i64,
    pub order_id: i64,
    pub channel_order_id: String,
    pub state: String,
    pub sync_status: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sync_error: Option<String>,
    pub awb: Option<String>,
    pub courier_id: Option<i64>,
    pub courier_name: Option<String>,
    pub ndr_attempts: i32,
    pub last_event_at: Option<DateTime<Utc>>,
    /// Present while the shipment waits for a person: why, and what resolves it.
    pub attention: Option<AttentionView>,
    /// When a cancel was asked for (every later step stops).
    pub cancel_requested_at: Option<DateTime<Utc>>,
    /// The courier the customer picked at checkout.
    pub requested_courier_id: Option<i64>,
    /// Why the booked courier is not the one asked for, when it is not.
    pub courier_note: Option<String>,
    /// An exchange's replacement: the return it replaces (its lines ship instead of the
    /// order's; channel order id `-X<n>`).
    pub replacement_for_return_id: Option<i64>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// Why a shipment needs a person.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct AttentionView {
    /// `not_serviceable`, `couriers_refused`, `wallet_too_low`, `validation_error`,
    /// `retries_exhausted`, `cancel_unconfirmed`, `lost` or `stalled`.
    pub reason: &'static str,
    pub label: &'static str,
    pub message: Option<String>,
    pub since: Option<DateTime<Utc>>,
    /// What resolves it.
    pub resolution: &'static str,
    /// The shipment action that does, when one does.
    pub action: Option<&'static str>,
}

impl AttentionView {
    pub fn of(s: &shipment::Model) -> Option<AttentionView> {
        let reason = shipping_store::steps::attention_of(s)?;
        Some(AttentionView {
            reason: reason.code(),
            label: reason.label(),
            message: s.attention_message.clone(),
            since: s.attention_since,
            resolution: reason.resolution(),
            action: reason.resolving_action(),
        })
    }
}

impl From<&shipment::Model> for ShipmentView {
    fn from(s: &shipment::Model) -> Self {
        ShipmentView {
            id: s.id,
            order_id: s.order_id,
            channel_order_id: s.channel_order_id.clone(),
            state: s.state.clone(),
            sync_status: s.sync_status.clone(),
            sync_error: s.sync_error.clone(),
            awb: s.awb.clone(),
            courier_id: s.courier_id,
            courier_name: s.courier_name.clone(),
            ndr_attempts: s.ndr_attempts,
            last_event_at: s.last_event_at,
            attention: AttentionView::of(s),
            cancel_requested_at: s.cancel_requested_at,
            requested_courier_id: s.requested_courier_id,
            courier_note: s.courier_note.clone(),
            replacement_for_return_id: s.replacement_for_return_id,
            created_at: s.created_at,
            updated_at: s.updated_at,
        }
    }
}

/// One tracking event.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct TimelineEntry {
    pub status: String,
    pub at: DateTime<Utc>,
    pub location: Option<String>,
    pub activity: Option<String>,
    pub source: String,
}

impl From<&tracking_event::Model> for TimelineEntry {
    fn from(e: &tracking_event::Model) -> Self {
        TimelineEntry {
            status: e.status_label.clone(),
            at: e.occurred_at,
            location: e.location.clone(),
            activity: e.activity.clone(),
            source: e.source.clone(),
        }
    }
}

/// A customer return of the shipment.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ReturnView {
    pub id: i64,
    pub channel_return_id: String,
    /// `requested`, `created`, `pickup_scheduled`, `cancelled`, `picked_up`, `in_transit`,
    /// `failed` or `delivered_to_warehouse`; only ever moves forward.
    pub status: String,
    pub awb: Option<String>,
    pub courier_name: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// The return's scans, oldest first.
    pub timeline: Vec<TimelineEntry>,
    /// Set when the return is an exchange.
    pub exchange: Option<ExchangeView>,
    /// Why Shiprocket refused the return, or why its replacement could not be created.
    pub error: Option<String>,
}

/// What an exchange sends instead, and where it stands.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ExchangeView {
    /// The replacement's lines.
    pub items: Vec<OrderLine>,
    /// `on_pickup` (when the courier has the return) or `at_once`.
    pub ships: ReplacementShips,
    /// The replacement's shipment, once created.
    pub replacement_shipment_id: Option<i64>,
}

impl ReturnView {
    /// The view of return `r`, with its scans.
    pub async fn load(state: &AppState, r: return_request::Model) -> ApiResult<ReturnView> {
        let timeline = state.store.return_events(r.id).await?.iter().map(TimelineEntry::from).collect();
        let exchange = shipping_store::exchange_of(&r)?.map(|e| ExchangeView {
            items: e.lines,
            ships: e.ships,
            replacement_shipment_id: e.replacement_shipment_id,
        });
        Ok(ReturnView {
            id: r.id,
            channel_return_id: r.channel_return_id,
            status: r.status,
            awb: r.awb,
            courier_name: r.courier_name,
            created_at: r.created_at,
            updated_at: r.updated_at,
            timeline,
            exchange,
            error: r.error,
        })
    }
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ShipmentDetail {
    #[serde(flatten)]
    pub shipment: ShipmentView,
    pub shop_order_id: String,
    pub tracking_url: String,
    pub timeline: Vec<TimelineEntry>,
    /// Customer returns, oldest first.
    pub returns: Vec<ReturnView>,
}

/// `GET /v1/shipments/{id}`.
#[utoipa::path(get, path = "/v1/shipments/{id}", tag = "shipments",
    summary = "One shipment with its timeline",
    params(("id" = i64, Path, description = "Shipment id")),
    responses((status = 200, body = ShipmentDetail), (status = 404, description = "No such shipment", body = ErrorEnvelope)),
    security(("bearer" = []), ("apiKey" = [])))]
pub async fn get_one(
    State(state): State<AppState>,
    _caller: Caller,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<Json<ShipmentDetail>> {
    let s = load_shipment(&state, id).await?;
    let order = state.store.order(s.order_id).await?.map(|o| o.shop_order_id).unwrap_or_default();
    let timeline = state.store.tracking_events(id).await?.iter().map(TimelineEntry::from).collect();
    let mut returns = Vec::new();
    for r in state.store.returns_of_shipment(id).await? {
        returns.push(ReturnView::load(&state, r).await?);
    }
    Ok(Json(ShipmentDetail {
        shipment: ShipmentView::from(&s),
        shop_order_id: order,
        tracking_url: tracking_url(&state, &s.tracking_token),
        timeline,
        returns,
    }))
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ListItem {
    #[serde(flatten)]
    pub shipment: ShipmentView,
    pub shop_order_id: String,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ListPage {
    pub items: Vec<ListItem>,
    /// Pass as `before` for the next page; absent on the last page.
    pub next_before: Option<i64>,
}

/// `GET /v1/shipments?status=&sync_status=&courier=&from=&to=&limit=&before=`, newest first.
#[utoipa::path(get, path = "/v1/shipments", tag = "shipments",
    summary = "Shipments, filtered, newest first (keyset pages)",
    params(ListQuery),
    responses((status = 200, body = ListPage), (status = 422, description = "A filter is invalid", body = ErrorEnvelope)),
    security(("bearer" = []), ("apiKey" = [])))]
pub async fn list(
    State(state): State<AppState>,
    _caller: Caller,
    ApiQuery(q): ApiQuery<ListQuery>,
) -> ApiResult<Json<ListPage>> {
    let f = filter(&q, 200, 50)?;
    let rows = state.store.list_shipments(&f).await?;
    let next_before = (rows.len() as u64 == f.limit).then(|| rows.last().map(|r| r.shipment.id)).flatten();
    let items = rows
        .iter()
        .map(|r| ListItem { shipment: ShipmentView::from(&r.shipment), shop_order_id: r.shop_order_id.clone() })
        .collect();
    Ok(Json(ListPage { items, next_before }))
}

/// `GET /v1/shipments.csv` with the list's filters (up to 10,000 rows).
#[utoipa::path(get, path = "/v1/shipments.csv", tag = "shipments",
    summary = "The same list as CSV (up to 10,000 rows)",
    params(ListQuery),
    responses(
        (status = 200, description = "One row per shipment", content_type = "text/csv", body = String),
        (status = 422, description = "A filter is invalid", body = ErrorEnvelope),
    ),
    security(("bearer" = []), ("apiKey" = [])))]
pub async fn export_csv(
    State(state): State<AppState>,
    _caller: Caller,
    ApiQuery(q): ApiQuery<ListQuery>,
) -> ApiResult<Download> {
    Ok(crate::services::listing::export_csv(&state, &q).await?)
}
