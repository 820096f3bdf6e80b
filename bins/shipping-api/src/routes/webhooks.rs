//! `POST /webhooks/courier-updates`: Shiprocket's tracking webhook. The path avoids the words
//! Shiprocket refuses in webhook URLs ("shiprocket", "kartrocket", "sr", "kr").
//!
//! - no `x-api-key` header: the dashboard's test call → 200, nothing stored;
//! - a wrong key → 401, nothing stored (constant-time compare);
//! - otherwise the raw payload goes to the inbox (deduplicated on AWB + status + timestamp)
//!   with its `apply_webhook` job in one transaction, and we answer 200 at once.
//!
//! `GET`/`HEAD` answer 200 for the dashboard's probe. A per-source-address limit guards the
//! route; the body size is capped.

use crate::error::{ApiError, ErrorEnvelope};
use crate::state::AppState;
use axum::Json;
use axum::extract::{ConnectInfo, Request, State};
use axum::response::{IntoResponse, Response};
use shipping_store::Once;
use shiprocket_client::webhook::{API_KEY_HEADER, TrackingWebhook, verify_api_key};
use std::net::{IpAddr, Ipv4Addr, SocketAddr};

/// What the webhook route answers.
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub struct WebhookAnswer {
    /// `accepted` (stored, will be applied), `duplicate` (stored before), `ignored` (a test
    /// call without a key) or `ok` (the probe).
    pub status: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<&'static str>,
}

impl WebhookAnswer {
    fn new(status: &'static str) -> Json<WebhookAnswer> {
        Json(WebhookAnswer { status, reason: None })
    }
}

#[utoipa::path(get, path = "/webhooks/courier-updates", tag = "webhooks",
    summary = "The Shiprocket dashboard's probe of the webhook URL",
    responses((status = 200, body = WebhookAnswer)))]
pub async fn probe() -> Json<WebhookAnswer> {
    WebhookAnswer::new("ok")
}

fn outcome(label: &'static str) {
    metrics::counter!("webhooks_received_total", "outcome" => label).increment(1);
}

#[utoipa::path(post, path = "/webhooks/courier-updates", tag = "webhooks",
    summary = "Shiprocket's tracking webhook, authenticated by the static x-api-key header",
    request_body(content = serde_json::Value, description = "Shiprocket's tracking update as it sends it (`awb` required; numbers may be strings)"),
    params(("x-api-key" = Option<String>, Header, description = "The token configured in Shiprocket's webhook settings; without it the call is the dashboard's test and is not processed")),
    responses(
        (status = 200, description = "Stored (or a duplicate, or a keyless test call)", body = WebhookAnswer),
        (status = 401, description = "Wrong key; nothing stored", body = ErrorEnvelope),
        (status = 413, description = "The body is too large", body = ErrorEnvelope),
        (status = 422, description = "Not a tracking update", body = ErrorEnvelope),
        (status = 429, description = "Too many calls from this address", body = ErrorEnvelope),
    ))]
pub async fn receive(State(state): State<AppState>, req: Request) -> Response {
    match handle(&state, req).await {
        Ok(r) => r,
        Err(e) => e.into_response(),
    }
}

async fn handle(state: &AppState, req: Request) -> Result<Response, ApiError> {
    let source = req
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|c| c.0.ip())
        .unwrap_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED));
    if state.webhook_limiter.check_key(&source).is_err() {
        outcome("rate_limited");
        return Err(ApiError::RateLimited);
    }
    let Some(key) = req.headers().get(API_KEY_HEADER) else {
        outcome("probe");
        let answer = WebhookAnswer { status: "ignored", reason: Some("no x-api-key header (test call)") };
        return Ok(Json(answer).into_response());
    };
    let key_ok =
        key.to_str().ok().is_some_and(|k| verify_api_key(Some(k), state.settings.shiprocket.webhook_token.expose()));
    if !key_ok {
        outcome("unauthorized");
        tracing::warn!(%source, "webhook with a wrong x-api-key");
        return Err(ApiError::Unauthorized);
    }
    let limit = state.settings.server.webhook_body_limit_bytes;
    let body = axum::body::to_bytes(req.into_body(), limit).await.map_err(|_| {
        outcome("too_large");
        ApiError::PayloadTooLarge
    })?;
    let hook = TrackingWebhook::parse(&body).map_err(|e| {
        outcome("invalid");
        tracing::warn!(error_class = e.class(), "unreadable webhook payload");
        ApiError::field("body", "is not a Shiprocket tracking update (an awb is required)")
    })?;
    let raw = String::from_utf8_lossy(&body);
    let once = state.store.inbox_webhook_and_enqueue(&hook.dedupe_key(), &hook.awb, &raw).await?;
    let status = match once {
        Once::New(id) => {
            outcome("accepted");
            tracing::info!(inbox_id = id, awb = %hook.awb, "webhook stored");
            "accepted"
        }
        Once::AlreadyThere => {
            outcome("duplicate");
            "duplicate"
        }
    };
    Ok(WebhookAnswer::new(status).into_response())
}
