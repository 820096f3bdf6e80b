//! `/__sim/…`: the control API (clock, paths, faults, modes, counters, state) and the
//! generated documents. The same operations exist on [`crate::Simulator`].

use crate::world::{FaultRule, Modes, World, fmt_ts};
use crate::{Path, Shared};
use axum::extract::{Path as UrlPath, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get, post};
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::{Value, json};
use std::sync::Arc;

type AppState = State<Arc<Shared>>;

pub(crate) fn routes() -> Router<Arc<Shared>> {
    Router::new()
        .route("/__sim/clock/advance", post(advance))
        .route("/__sim/state", get(state))
        .route("/__sim/counters", get(counters))
        .route("/__sim/webhooks", get(webhooks))
        .route("/__sim/faults", post(add_fault).get(list_faults))
        .route("/__sim/faults", delete(clear_faults))
        .route("/__sim/modes", post(set_modes).get(get_modes))
        .route("/__sim/shipments/{id}/path", post(force_path))
        .route("/__sim/tokens/expire", post(expire_tokens))
        .route("/__sim/documents/{name}", get(document))
}

#[derive(Deserialize)]
struct Advance {
    #[serde(default)]
    hours: f64,
    #[serde(default)]
    minutes: f64,
    #[serde(default)]
    seconds: f64,
}

async fn advance(State(shared): AppState, Json(by): Json<Advance>) -> Response {
    let ms = ((by.hours * 3600.0 + by.minutes * 60.0 + by.seconds) * 1000.0) as i64;
    if ms < 0 {
        return (StatusCode::UNPROCESSABLE_ENTITY, Json(json!({"message": "the clock only moves forward"})))
            .into_response();
    }
    shared.world().clock.advance(chrono::Duration::milliseconds(ms));
    crate::webhooks::process_and_deliver(&shared).await;
    shared.world().flush_held_back();
    crate::webhooks::process_and_deliver(&shared).await;
    Json(json!({"now": fmt_ts(shared.world().now())})).into_response()
}

/// Orders and shipments in a compact form, for tests and for looking around.
pub(crate) fn state_json(w: &World) -> Value {
    json!({
        "now": fmt_ts(w.now()),
        "orders": w.orders.values().map(|o| json!({
            "id": o.id, "channel_order_id": o.channel_order_id, "status": o.status,
            "status_code": o.status_code, "shipment_id": o.shipment_id, "is_return": o.is_return
        })).collect::<Vec<_>>(),
        "shipments": w.shipments.values().map(|s| json!({
            "id": s.id, "order_id": s.order_id, "awb": s.awb, "courier_id": s.courier.map(|c| c.0),
            "status": s.status.map(|st| st.label), "shipment_status_code": s.status.map(|st| st.shipment),
            "path": s.path(w.seed), "scans": s.scans.len(), "pending_events": s.plan.len(),
            "ndr_open": s.ndr.as_ref().is_some_and(|n| n.open),
            "next_event_at": s.plan.front().map(|(t, _)| fmt_ts(*t)),
        })).collect::<Vec<_>>(),
    })
}

async fn state(State(shared): AppState) -> Json<Value> {
    Json(state_json(&shared.world()))
}

async fn counters(State(shared): AppState) -> Json<Value> {
    Json(serde_json::to_value(&shared.world().counters).unwrap_or_default())
}

async fn webhooks(State(shared): AppState) -> Json<Value> {
    Json(serde_json::to_value(&shared.world().webhooks).unwrap_or_default())
}

async fn add_fault(State(shared): AppState, Json(rule): Json<FaultRule>) -> StatusCode {
    shared.world().faults.push(rule);
    StatusCode::NO_CONTENT
}

async fn list_faults(State(shared): AppState) -> Json<Value> {
    Json(serde_json::to_value(&shared.world().faults).unwrap_or_default())
}

async fn clear_faults(State(shared): AppState) -> StatusCode {
    shared.world().faults.clear();
    StatusCode::NO_CONTENT
}

async fn set_modes(State(shared): AppState, Json(modes): Json<Modes>) -> StatusCode {
    shared.world().modes = modes;
    StatusCode::NO_CONTENT
}

async fn get_modes(State(shared): AppState) -> Json<Value> {
    Json(serde_json::to_value(&shared.world().modes).unwrap_or_default())
}

#[derive(Deserialize)]
struct ForcePath {
    path: Path,
}

async fn force_path(State(shared): AppState, UrlPath(id): UrlPath<u64>, Json(body): Json<ForcePath>) -> StatusCode {
    match shared.world().shipments.get_mut(&id) {
        Some(s) => {
            s.forced_path = Some(body.path);
            StatusCode::NO_CONTENT
        }
        None => StatusCode::NOT_FOUND,
    }
}

async fn expire_tokens(State(shared): AppState) -> StatusCode {
    shared.world().tokens.clear();
    StatusCode::NO_CONTENT
}

async fn document(State(shared): AppState, UrlPath(name): UrlPath<String>) -> Response {
    match shared.world().documents.get(&name) {
        Some(pdf) => ([(header::CONTENT_TYPE, "application/pdf")], pdf.clone()).into_response(),
        None => (StatusCode::NOT_FOUND, Json(json!({"message": "404 Not Found", "status_code": 404}))).into_response(),
    }
}
