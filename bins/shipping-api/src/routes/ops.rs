//! `/healthz` (the process answers), `/readyz` (the database answers), `/metrics`
//! (Prometheus text) and `/openapi.json` (the route table below, as OpenAPI 3.1).

use crate::error::ApiError;
use crate::state::AppState;
use axum::Json;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Map, Value, json};

pub async fn healthz() -> Json<Value> {
    Json(json!({"status": "ok"}))
}

/// Ready when the database answers. The API writes jobs to the outbox, not to the queue, so
/// a queue outage does not make it unready; the backlog is reported instead.
pub async fn readyz(State(state): State<AppState>) -> Response {
    match state.store.ping().await {
        Ok(()) => {
            let backlog = state.store.outbox_backlog().await.ok();
            Json(json!({"status": "ready", "database": "ok", "outbox_backlog": backlog})).into_response()
        }
        Err(e) => {
            tracing::error!(error = %e, "readiness: database unreachable");
            (StatusCode::SERVICE_UNAVAILABLE, Json(json!({"status": "not_ready", "database": "unreachable"})))
                .into_response()
        }
    }
}

pub async fn metrics(State(state): State<AppState>) -> Response {
    let Some(handle) = &state.metrics else {
        return ApiError::NotFound("metrics are not enabled in this process".into()).into_response();
    };
    if let Ok(n) = state.store.outbox_backlog().await {
        metrics::gauge!("outbox_backlog").set(n as f64);
    }
    ([(header::CONTENT_TYPE, "text/plain; version=0.0.4")], handle.render()).into_response()
}

/// Every route: method, path, summary, whether it needs an API key, success status.
pub const ROUTES: &[(&str, &str, &str, bool, u16)] = &[
    (
        "post",
        "/v1/orders",
        "Order paid: validate, store, promise the sync (idempotent on the shop's order id)",
        true,
        201,
    ),
    ("get", "/v1/orders/{shop_order_id}/shipment", "The order's current shipment with its timeline", true, 200),
    ("get", "/v1/rates", "Checkout rates (cached, single-flight, stale on error)", false, 200),
    ("post", "/v1/rates", "Checkout rates for a cart (packed as the worker packs it)", false, 200),
    ("get", "/v1/shipments", "Shipments, filtered (status, sync_status, courier, from, to), newest first", true, 200),
    ("get", "/v1/shipments.csv", "The same list as CSV", true, 200),
    ("get", "/v1/shipments/{id}", "One shipment with its timeline", true, 200),
    ("get", "/v1/shipments/{id}/label", "A signed, expiring link to the current label PDF", true, 200),
    ("post", "/v1/shipments/{id}/label", "Promise a label (same as the label action)", true, 202),
    (
        "post",
        "/v1/shipments/{id}/{action}",
        "Promise an action: sync, assign-awb, label, pickup, manifest, cancel, refresh-tracking, return, ndr-action",
        true,
        202,
    ),
    ("post", "/v1/shipments/bulk/{action}", "The same action on many shipments", true, 202),
    ("post", "/v1/labels.zip", "The current labels of many shipments as one ZIP", true, 200),
    ("get", "/v1/labels/{id}", "The label PDF, for a signed unexpired link", false, 200),
    ("get", "/v1/track/{token}", "Customer tracking (no personal data)", false, 200),
    ("get", "/v1/track", "Customer tracking by order id and the order's phone or e-mail", false, 200),
    ("post", "/webhooks/courier-updates", "Shiprocket tracking webhook (x-api-key)", false, 200),
    ("get", "/webhooks/courier-updates", "Dashboard probe", false, 200),
    ("head", "/webhooks/courier-updates", "Dashboard probe", false, 200),
    ("get", "/healthz", "The process is up", false, 200),
    ("get", "/readyz", "The database answers", false, 200),
    ("get", "/metrics", "Prometheus metrics", false, 200),
    ("get", "/openapi.json", "This document", false, 200),
];

fn error_schema() -> Value {
    json!({
        "type": "object",
        "required": ["error"],
        "properties": {"error": {
            "type": "object",
            "required": ["code", "message"],
            "properties": {
                "code": {"type": "string"},
                "message": {"type": "string"},
                "fields": {"type": "array", "items": {"type": "object", "required": ["field", "message"],
                    "properties": {"field": {"type": "string"}, "message": {"type": "string"}}}}
            }
        }}
    })
}

/// The OpenAPI 3.1 document of [`ROUTES`].
pub fn document() -> Value {
    let mut paths: Map<String, Value> = Map::new();
    for (method, path, summary, keyed, ok) in ROUTES {
        let params: Vec<Value> = path
            .split('/')
            .filter_map(|seg| seg.strip_prefix('{').and_then(|s| s.strip_suffix('}')))
            .map(|name| json!({"name": name, "in": "path", "required": true, "schema": {"type": "string"}}))
            .collect();
        let mut responses = Map::new();
        responses.insert(ok.to_string(), json!({"description": "success"}));
        responses.insert("default".into(), json!({"description": "error", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}));
        let mut op = json!({
            "summary": summary,
            "operationId": format!("{method}_{}", path.trim_matches('/').replace(['/', '{', '}', '.', '-'], "_")),
            "parameters": params,
            "responses": responses,
        });
        if *keyed {
            op["security"] = json!([{"bearer": []}, {"apiKey": []}]);
        }
        let entry = paths.entry((*path).to_owned()).or_insert_with(|| json!({}));
        entry[*method] = op;
    }
    json!({
        "openapi": "3.1.0",
        "info": {"title": "shipping-api", "version": env!("CARGO_PKG_VERSION"),
                 "description": "Order ingest, checkout rates, Shiprocket webhooks and shipment actions"},
        "paths": paths,
        "components": {
            "schemas": {"Error": error_schema()},
            "securitySchemes": {
                "bearer": {"type": "http", "scheme": "bearer"},
                "apiKey": {"type": "apiKey", "in": "header", "name": "x-api-key"}
            }
        }
    })
}

pub async fn openapi() -> Json<Value> {
    Json(document())
}
