//! `/healthz` (the process answers), `/readyz` (the database answers), `/metrics`
//! (Prometheus text) and `/openapi.json` (the document generated from the routes' annotations).

use crate::error::{ApiError, ErrorEnvelope};
use crate::state::AppState;
use axum::Json;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Health {
    /// `ok`.
    pub status: &'static str,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Readiness {
    /// `ready` or `not_ready`.
    pub status: &'static str,
    /// `ok` or `unreachable`.
    pub database: &'static str,
    /// Jobs written but not yet handed to the queue (absent when not ready).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub outbox_backlog: Option<u64>,
}

#[utoipa::path(get, path = "/healthz", tag = "operations", summary = "The process is up",
    responses((status = 200, body = Health)))]
pub async fn healthz() -> Json<Health> {
    Json(Health { status: "ok" })
}

/// Ready when the database answers. The API writes jobs to the outbox, not to the queue, so
/// a queue outage does not make it unready; the backlog is reported instead.
#[utoipa::path(get, path = "/readyz", tag = "operations",
    summary = "The database answers (a queue outage does not make the API unready: jobs wait in the outbox)",
    responses(
        (status = 200, body = Readiness),
        (status = 503, description = "The database does not answer", body = Readiness),
    ))]
pub async fn readyz(State(state): State<AppState>) -> Response {
    match state.store.ping().await {
        Ok(()) => {
            let outbox_backlog = state.store.outbox_backlog().await.ok();
            Json(Readiness { status: "ready", database: "ok", outbox_backlog }).into_response()
        }
        Err(e) => {
            tracing::error!(error = %e, "readiness: database unreachable");
            let body = Readiness { status: "not_ready", database: "unreachable", outbox_backlog: None };
            (StatusCode::SERVICE_UNAVAILABLE, Json(body)).into_response()
        }
    }
}

#[utoipa::path(get, path = "/metrics", tag = "operations", summary = "Prometheus metrics",
    responses(
        (status = 200, description = "Prometheus text format", content_type = "text/plain", body = String),
        (status = 404, description = "Metrics are off in this process", body = ErrorEnvelope),
    ))]
pub async fn metrics(State(state): State<AppState>) -> Response {
    let Some(handle) = &state.metrics else {
        return ApiError::NotFound("metrics are not enabled in this process".into()).into_response();
    };
    if let Ok(n) = state.store.outbox_backlog().await {
        metrics::gauge!("outbox_backlog").set(n as f64);
    }
    ([(header::CONTENT_TYPE, "text/plain; version=0.0.4")], handle.render()).into_response()
}

#[utoipa::path(get, path = "/openapi.json", tag = "operations", summary = "This document (OpenAPI 3.1)",
    responses((status = 200, description = "The OpenAPI document", body = serde_json::Value)))]
pub async fn openapi() -> Response {
    ([(header::CONTENT_TYPE, "application/json")], crate::openapi::document_json()).into_response()
}
