//! The simulated API: routes at Shiprocket's paths, a middleware that counts calls, checks the
//! bearer token and injects faults, and the error bodies Shiprocket uses.

mod account;
mod courier;
mod documents;
mod listing;
mod orders;
mod returns;
mod tracking;

use crate::Shared;
use crate::world::FaultKind;
use axum::Router;
use axum::body::Body;
use axum::extract::{MatchedPath, Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde_json::{Value, json};
use std::sync::Arc;
use std::time::Duration;
use tower::Layer;
use tower_http::normalize_path::{NormalizePath, NormalizePathLayer};

pub(crate) type AppState = State<Arc<Shared>>;

pub const PREFIX: &str = "/v1/external";

/// The whole app: API, control routes and documents. Paths work with and without a trailing
/// slash, as real clients call both.
pub(crate) fn app(shared: Arc<Shared>) -> axum::routing::IntoMakeService<NormalizePath<Router>> {
    let api = Router::new()
        .route("/auth/login", post(account::login))
        .route("/auth/logout", post(account::logout))
        .route("/account/details/wallet-balance", get(account::wallet))
        .route("/settings/company/pickup", get(account::pickup_locations))
        .route("/settings/company/addpickup", post(account::add_pickup_location))
        .route("/orders/create/adhoc", post(orders::create))
        .route("/orders/update/adhoc", post(orders::update))
        .route("/orders/address/update", post(orders::update_address))
        .route("/orders/cancel", post(orders::cancel))
        .route("/orders/show/{id}", get(listing::show))
        .route("/orders", get(listing::list))
        .route("/orders/create/return", post(returns::create_return))
        .route("/orders/processing/return", get(returns::list_returns))
        .route("/orders/print/invoice", post(documents::invoice))
        .route("/orders/cancel/shipment/awbs", post(courier::cancel_awbs))
        .route("/courier/serviceability", get(courier::serviceability))
        .route("/courier/assign/awb", post(courier::assign_awb))
        .route("/courier/generate/pickup", post(courier::generate_pickup))
        .route("/courier/generate/label", post(documents::generate_label))
        .route("/manifests/generate", post(documents::generate_manifest))
        .route("/manifests/print", post(documents::print_manifest))
        .route("/courier/track/awb/{awb}", get(tracking::by_awb))
        .route("/courier/track/shipment/{id}", get(tracking::by_shipment))
        .route("/courier/track", get(tracking::by_order))
        .route("/courier/track/awbs", post(tracking::by_awbs))
        .route("/ndr/all", get(tracking::ndr_all))
        .route("/ndr/{awb}", get(tracking::ndr_one))
        .route("/ndr/{awb}/action", post(tracking::ndr_action))
        .route_layer(axum::middleware::from_fn_with_state(shared.clone(), gatekeeper))
        .fallback(|| async { error(StatusCode::NOT_FOUND, "404 Not Found") });
    let router = Router::new().nest(PREFIX, api).merge(crate::control::routes()).with_state(shared);
    axum::ServiceExt::<Request>::into_make_service(NormalizePathLayer::trim_trailing_slash().layer(router))
}

/// `{"message": …, "status_code": …}` with that HTTP status.
pub(crate) fn error(status: StatusCode, message: &str) -> Response {
    (status, axum::Json(json!({"message": message, "status_code": status.as_u16()}))).into_response()
}

/// A Laravel-style 422: `errors` maps each field to its messages.
pub(crate) fn invalid(message: &str, errors: Value) -> Response {
    (StatusCode::UNPROCESSABLE_ENTITY, axum::Json(json!({"message": message, "errors": errors, "status_code": 422})))
        .into_response()
}

/// "The order id field is required." for `order_id`.
pub(crate) fn required_message(field: &str) -> String {
    format!("The {} field is required.", field.replace('_', " "))
}

/// Checks that every field is present and non-blank; a 422 naming the missing ones otherwise.
pub(crate) fn require(body: &Value, fields: &[&str]) -> Result<(), Response> {
    require_with(body, fields, "Oops! Invalid Data.")
}

/// [`require`] with the endpoint's own top-level message.
pub(crate) fn require_with(body: &Value, fields: &[&str], message: &str) -> Result<(), Response> {
    let mut errors = serde_json::Map::new();
    for f in fields {
        let missing = match body.get(*f) {
            None | Some(Value::Null) => true,
            Some(Value::String(s)) => s.trim().is_empty(),
            Some(Value::Array(a)) => a.is_empty(),
            _ => false,
        };
        if missing {
            errors.insert((*f).to_owned(), json!([required_message(f)]));
        }
    }
    if errors.is_empty() { Ok(()) } else { Err(invalid(message, Value::Object(errors))) }
}

/// A field as text whether it came as a string or a number.
pub(crate) fn text(body: &Value, key: &str) -> Option<String> {
    match body.get(key)? {
        Value::String(s) if !s.trim().is_empty() => Some(s.trim().to_owned()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// A field as a number whether it came as a number or a numeric string.
pub(crate) fn number(body: &Value, key: &str) -> Option<f64> {
    match body.get(key)? {
        Value::Number(n) => n.as_f64(),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

/// A 0/1/true/"1" flag.
pub(crate) fn flag(body: &Value, key: &str) -> bool {
    match body.get(key) {
        Some(Value::Bool(b)) => *b,
        Some(Value::Number(n)) => n.as_f64() == Some(1.0),
        Some(Value::String(s)) => matches!(s.trim(), "1" | "true"),
        _ => false,
    }
}

/// An array of ids. A scalar is a 422 "must be an array" (or PHP's foreach 500, where that is
/// what Shiprocket does), as quirk #11 describes.
pub(crate) fn id_array(body: &Value, key: &str, php_foreach: bool) -> Result<Vec<u64>, Response> {
    match body.get(key) {
        Some(Value::Array(items)) => Ok(items
            .iter()
            .filter_map(|v| v.as_u64().or_else(|| v.as_str().and_then(|s| s.trim().parse().ok())))
            .collect()),
        None | Some(Value::Null) => Err(invalid("Required field missing", json!({key: [required_message(key)]}))),
        Some(_) if php_foreach => {
            Err(error(StatusCode::INTERNAL_SERVER_ERROR, "Invalid argument supplied for foreach()"))
        }
        Some(_) => Err(invalid(
            "Oops! Invalid Data.",
            json!({key: [format!("The {} must be an array.", key.replace('_', " "))]}),
        )),
    }
}

/// Reads a JSON body; a form body is accepted too (login is sent both ways by real clients).
pub(crate) fn parse_body(headers: &axum::http::HeaderMap, bytes: &[u8]) -> Value {
    let is_form = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|ct| ct.starts_with("application/x-www-form-urlencoded"));
    if is_form {
        let map: serde_json::Map<String, Value> =
            url::form_urlencoded::parse(bytes).map(|(k, v)| (k.into_owned(), Value::String(v.into_owned()))).collect();
        return Value::Object(map);
    }
    serde_json::from_slice(bytes).unwrap_or(Value::Null)
}

fn endpoint_key(req: &Request) -> String {
    let path =
        req.extensions().get::<MatchedPath>().map_or_else(|| req.uri().path().to_owned(), |m| m.as_str().to_owned());
    path.trim_start_matches(PREFIX).trim_matches('/').to_owned()
}

/// Counts the call, injects faults, and checks the bearer token (everything but login).
async fn gatekeeper(State(shared): AppState, req: Request, next: Next) -> Response {
    let endpoint = endpoint_key(&req);
    let fault = shared.world().fault_for(&endpoint);
    match fault {
        Some(FaultKind::Status { status }) => return injected_status(status),
        Some(FaultKind::RateLimited { retry_after_secs }) => {
            let mut r = error(StatusCode::TOO_MANY_REQUESTS, "Too Many Attempts.");
            if let Some(s) = retry_after_secs
                && let Ok(v) = HeaderValue::from_str(&s.to_string())
            {
                r.headers_mut().insert(header::RETRY_AFTER, v);
            }
            return r;
        }
        Some(FaultKind::Latency { ms }) => tokio::time::sleep(Duration::from_millis(ms)).await,
        Some(FaultKind::Hang) => tokio::time::sleep(Duration::from_secs(3600)).await,
        Some(FaultKind::CommitThenDrop) | None => {}
    }
    if endpoint != "auth/login" {
        let token = req
            .headers()
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .map(str::trim)
            .unwrap_or_default()
            .to_owned();
        if !shared.world().token_valid(&token) {
            return (StatusCode::UNAUTHORIZED, axum::Json(json!({"message": "Unauthenticated."}))).into_response();
        }
    }
    let response = next.run(req).await;
    if fault == Some(FaultKind::CommitThenDrop) {
        return dropped(response);
    }
    response
}

fn injected_status(status: u16) -> Response {
    let code = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    if code == StatusCode::BAD_GATEWAY {
        // nginx answers for Shiprocket here, in HTML.
        let html = "<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n<center><h1>502 Bad Gateway</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n";
        return (code, [(header::CONTENT_TYPE, "text/html")], html).into_response();
    }
    let message = if code.is_server_error() { "Server Error" } else { code.canonical_reason().unwrap_or("Error") };
    error(code, message)
}

/// The work is done; the answer never arrives: headers go out, then the body breaks.
fn dropped(response: Response) -> Response {
    let (mut parts, _) = response.into_parts();
    parts.headers.remove(header::CONTENT_LENGTH);
    let stream = futures::stream::once(async {
        Err::<axum::body::Bytes, std::io::Error>(std::io::Error::other("connection dropped by fault injection"))
    });
    Response::from_parts(parts, Body::from_stream(stream))
}
