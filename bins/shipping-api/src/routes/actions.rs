//! `POST /v1/shipments/{id}/{action}` and `POST /v1/shipments/bulk/{action}`: the body is read
//! here, the action checked and promised by [`crate::services::actions`] (202). The worker
//! does the Shiprocket calls.

use crate::auth::Caller;
use crate::error::{ApiError, ApiResult, ErrorEnvelope};
use crate::extract::{ApiPath, parse_json};
use crate::services::actions::{Accepted, ActionBody, BulkResult, bulk, perform};
use crate::services::catalogue::{Action, ActionCatalogue};
use crate::services::{load_shipment, require_enabled};
use crate::state::AppState;
use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use serde::Deserialize;

/// Whether the request says its body is JSON.
fn is_json(headers: &HeaderMap) -> bool {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.trim().to_ascii_lowercase().starts_with("application/json"))
}

/// An empty body is "no parameters"; otherwise it must be JSON.
fn optional_body<T: for<'de> Deserialize<'de> + Default>(headers: &HeaderMap, body: &Bytes) -> ApiResult<T> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(T::default());
    }
    if !is_json(headers) {
        return Err(ApiError::UnsupportedMediaType);
    }
    parse_json(body)
}

/// `POST /v1/shipments/{id}/{action}`.
#[utoipa::path(post, path = "/v1/shipments/{id}/{action}", tag = "shipments",
    summary = "Promise an action: the shipment's state is checked, the job is queued",
    params(("id" = i64, Path, description = "Shipment id"), ("action" = inline(ActionPath), Path)),
    request_body(content = Option<ActionBody>, description = "Only what the action needs; may be empty"),
    responses(
        (status = 202, description = "The job is promised", body = Accepted),
        (status = 404, description = "No such shipment or action", body = ErrorEnvelope),
        (status = 409, description = "The shipment's state does not allow it", body = ErrorEnvelope),
        (status = 422, description = "A parameter is invalid", body = ErrorEnvelope),
        (status = 503, description = "Shiprocket sync is switched off", body = ErrorEnvelope),
    ),
    security(("bearer" = []), ("apiKey" = [])))]
pub async fn action(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath((id, action)): ApiPath<(i64, String)>,
    headers: HeaderMap,
    body: Bytes,
) -> ApiResult<(StatusCode, Json<Accepted>)> {
    run_action(&state, &caller, id, Action::parse(&action)?, &headers, &body).await
}

/// `POST /v1/shipments/{id}/label` (its own route because `GET` of the same path gives the
/// label link).
#[utoipa::path(post, path = "/v1/shipments/{id}/label", tag = "shipments",
    summary = "Promise a label (the label action)",
    params(("id" = i64, Path, description = "Shipment id")),
    request_body(content = Option<ActionBody>, description = "Nothing is needed; may be empty"),
    responses(
        (status = 202, description = "The job is promised", body = Accepted),
        (status = 404, description = "No such shipment", body = ErrorEnvelope),
        (status = 409, description = "The shipment has no AWB yet, or is past pickup", body = ErrorEnvelope),
    ),
    security(("bearer" = []), ("apiKey" = [])))]
pub async fn generate_label(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<i64>,
    headers: HeaderMap,
    body: Bytes,
) -> ApiResult<(StatusCode, Json<Accepted>)> {
    run_action(&state, &caller, id, Action::Label, &headers, &body).await
}

async fn run_action(
    state: &AppState,
    caller: &Caller,
    id: i64,
    action: Action,
    headers: &HeaderMap,
    body: &Bytes,
) -> ApiResult<(StatusCode, Json<Accepted>)> {
    let body: ActionBody = optional_body(headers, body)?;
    let state = state.clone();
    let caller = caller.clone();
    require_enabled(&state)?;
    let s = load_shipment(&state, id).await?;
    let accepted = perform(&state, &caller, action, &s, &body).await?;
    tracing::info!(shipment_id = id, action = action.path(), actor = %caller.actor, "action accepted");
    Ok((StatusCode::ACCEPTED, Json(accepted)))
}

#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BulkBody {
    pub ids: Vec<i64>,
    #[serde(default)]
    pub courier_id: Option<i64>,
}

/// `POST /v1/shipments/bulk/{action}` with `{"ids": [...]}`: each id is checked on its own;
/// the accepted ones are promised (manifest and refresh-tracking as one batch job). Returns
/// and NDR decisions need per-shipment details and have no bulk form.
#[utoipa::path(post, path = "/v1/shipments/bulk/{action}", tag = "shipments",
    summary = "The same action on many shipments (not return or ndr-action)",
    params(("action" = inline(ActionPath), Path)),
    request_body = BulkBody,
    responses(
        (status = 202, description = "At least one shipment accepted; each id has its result", body = BulkResult),
        (status = 409, description = "None accepted; each id says why", body = BulkResult),
        (status = 422, description = "No ids, or too many", body = ErrorEnvelope),
    ),
    security(("bearer" = []), ("apiKey" = [])))]
pub async fn bulk_action(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(action): ApiPath<String>,
    headers: HeaderMap,
    body: Bytes,
) -> ApiResult<(StatusCode, Json<BulkResult>)> {
    let action = Action::parse(&action)?;
    if !action.has_bulk_form() {
        return Err(ApiError::NotFound(format!("{} has no bulk form", action.path())));
    }
    if !is_json(&headers) {
        return Err(ApiError::UnsupportedMediaType);
    }
    let body: BulkBody = parse_json(&body)?;
    let result = bulk(&state, &caller, action, body.ids, body.courier_id).await?;
    let status = if result.accepted > 0 { StatusCode::ACCEPTED } else { StatusCode::CONFLICT };
    Ok((status, Json(result)))
}

/// The action names as they appear in paths (the path parameter's schema).
#[derive(Debug)]
pub struct ActionPath;

impl utoipa::PartialSchema for ActionPath {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        utoipa::openapi::ObjectBuilder::new()
            .schema_type(utoipa::openapi::schema::Type::String)
            .enum_values(Some(Action::ALL.map(Action::path)))
            .into()
    }
}

impl utoipa::ToSchema for ActionPath {}
