//! `GET /v1/track/{token}`: what the customer sees. The token is unguessable (244 random bits)
//! and is only known to whoever got the tracking link; the answer holds nothing the customer
//! does not already know: no names, phones, e-mails or addresses.

use crate::error::{ApiError, ApiResult, ErrorEnvelope};
use crate::extract::{ApiPath, ApiQuery};
use crate::services::tracking::{shipment_by_token, words};
use crate::state::AppState;
use axum::Json;
use axum::extract::{ConnectInfo, State};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use shipping_domain::{Email, Phone, ShopOrder};
use std::net::SocketAddr;
use subtle::ConstantTimeEq;

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Tracking {
    pub order: String,
    /// Our state name (`in_transit`, `delivered`, ...).
    pub status: String,
    /// The same in words.
    pub status_text: &'static str,
    pub courier: Option<String>,
    pub awb: Option<String>,
    pub last_update: Option<DateTime<Utc>>,
    /// The courier's latest delivery estimate, once there is one.
    pub expected_delivery: Option<DateTime<Utc>>,
    pub events: Vec<TrackingStep>,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct TrackingStep {
    pub status: String,
    pub at: DateTime<Utc>,
    pub location: Option<String>,
}

#[utoipa::path(get, path = "/v1/track/{token}", tag = "tracking",
    summary = "Customer tracking by the link's token (no personal data)",
    params(("token" = String, Path, description = "The unguessable token of the tracking link")),
    responses((status = 200, body = Tracking), (status = 404, description = "No such shipment", body = ErrorEnvelope)))]
pub async fn track(State(state): State<AppState>, ApiPath(token): ApiPath<String>) -> ApiResult<Json<Tracking>> {
    let s = shipment_by_token(&state, &token).await?.ok_or_else(not_found)?;
    tracking_of(&state, s).await.map(Json)
}

fn not_found() -> ApiError {
    ApiError::NotFound("no shipment for these details".into())
}

async fn tracking_of(state: &AppState, s: shipping_store::entities::shipment::Model) -> ApiResult<Tracking> {
    let order = state.store.order(s.order_id).await?.map(|o| o.shop_order_id).unwrap_or_default();
    let events = state
        .store
        .tracking_events(s.id)
        .await?
        .into_iter()
        .map(|e| TrackingStep { status: e.status_label, at: e.occurred_at, location: e.location })
        .collect();
    Ok(Tracking {
        order,
        status_text: words(&s),
        status: s.state,
        courier: s.courier_name,
        awb: s.awb,
        last_update: s.last_event_at,
        expected_delivery: s.expected_delivery_at,
        events,
    })
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct LookupQuery {
    /// The shop's order id.
    pub order: String,
    /// The phone or e-mail the order was placed with.
    pub contact: String,
}

/// `GET /v1/track?order=…&contact=…`: the same answer for whoever knows the order id and the
/// phone or e-mail it was placed with. A wrong pair and an unknown order get the same 404, the
/// comparison is constant-time, and lookups are rate-limited per source address.
#[utoipa::path(get, path = "/v1/track", tag = "tracking",
    summary = "Customer tracking by order id and the order's phone or e-mail",
    params(LookupQuery),
    responses(
        (status = 200, body = Tracking),
        (status = 404, description = "No such order, or the contact does not match (the same answer)", body = ErrorEnvelope),
        (status = 429, description = "Too many lookups from this address", body = ErrorEnvelope),
    ))]
pub async fn lookup(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    ApiQuery(q): ApiQuery<LookupQuery>,
) -> ApiResult<Json<Tracking>> {
    if state.lookup_limiter.check_key(&peer.ip()).is_err() {
        return Err(ApiError::RateLimited);
    }
    let contact = q.contact.trim();
    let presented = if contact.contains('@') {
        Email::parse(contact).map(String::from).map_err(|_| not_found())?
    } else {
        Phone::parse(contact).map(String::from).map_err(|_| not_found())?
    };
    let order = state.store.order_by_shop_id(q.order.trim()).await?.ok_or_else(not_found)?;
    let stored: ShopOrder = serde_json::from_str(&order.payload).map_err(ApiError::internal)?;
    let known = [String::from(stored.customer.email.clone()), String::from(stored.customer.phone.clone())];
    let matches = known.iter().fold(false, |acc, k| acc | bool::from(k.as_bytes().ct_eq(presented.as_bytes())));
    if !matches {
        return Err(not_found());
    }
    let s = state.store.shipments_of_order(order.id).await?.into_iter().next_back().ok_or_else(not_found)?;
    tracking_of(&state, s).await.map(Json)
}
