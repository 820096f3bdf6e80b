//! One request type per Shiprocket endpoint, each knowing its path, method, timeout class and
//! how to turn the answer into its response type (including the failures Shiprocket hides in
//! HTTP 200 bodies).

use crate::error::{Error, FieldErrors, Result};
use reqwest::Method;
use serde::Deserialize;
use serde::de::DeserializeOwned;
use serde_json::Value;
use std::borrow::Cow;
use std::time::Duration;

pub mod auth;
pub mod awb;
pub mod documents;
pub mod ndr;
pub mod orders;
pub mod pickup;
pub mod pickup_locations;
pub mod returns;
pub mod serviceability;
pub mod shipments;
pub mod tracking;
pub mod wallet;

/// Which timeout applies: PDFs take longer to render than anything else.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TimeoutClass {
    Standard,
    Document,
}

/// A Shiprocket endpoint: the request value plus everything the client needs to send it and
/// read the answer.
pub trait Endpoint: Send + Sync {
    /// What a successful call yields.
    type Response: Send;
    /// Stable name for logs and metrics, e.g. `"orders.create"`.
    const NAME: &'static str;
    const METHOD: Method;
    /// Whether the call needs the bearer token (everything but login).
    const AUTH: bool = true;
    const TIMEOUT: TimeoutClass = TimeoutClass::Standard;

    /// Path relative to the API base URL, without a leading slash.
    fn path(&self) -> Cow<'static, str>;

    /// Query parameters, if any.
    fn query(&self) -> Vec<(&'static str, String)> {
        Vec::new()
    }

    /// JSON body, if any.
    fn body(&self) -> Result<Option<Value>> {
        Ok(None)
    }

    /// Turns a 2xx answer into the response, or into the error hiding in it.
    fn decode(&self, status: u16, body: &[u8]) -> Result<Self::Response>;

    /// Adjusts the generic classification of a non-2xx answer (login maps every 4xx to `Auth`).
    fn refine_error(&self, _status: u16, error: Error) -> Error {
        error
    }
}

/// A validation error with `message` when `missing` (checked before a call is spent on it).
pub(crate) fn refuse_if(missing: bool, message: &str) -> Result<()> {
    if missing { Err(Error::validation(message)) } else { Ok(()) }
}

/// Serialises a request body.
pub(crate) fn to_body<T: serde::Serialize>(value: &T) -> Result<Option<Value>> {
    serde_json::to_value(value).map(Some).map_err(|e| Error::validation(format!("could not encode the request: {e}")))
}

/// Decodes JSON, naming the failing path in the error.
pub(crate) fn json<T: DeserializeOwned>(body: &[u8]) -> Result<T> {
    let mut de = serde_json::Deserializer::from_slice(body);
    serde_path_to_error::deserialize(&mut de).map_err(|e| {
        let path = e.path().to_string();
        Error::decode(if path.is_empty() { ".".to_owned() } else { path }, e.into_inner().to_string())
    })
}

/// Decodes an already parsed part of a body; `at` names where it sits, for the error path.
pub(crate) fn from_value<T: DeserializeOwned>(value: Value, at: &str) -> Result<T> {
    serde_path_to_error::deserialize(value)
        .map_err(|e| Error::decode(format!("{at}.{}", e.path()), e.into_inner().to_string()))
}

/// The shapes of Shiprocket error bodies, read tolerantly: `message`, `errors` (map of arrays,
/// or of strings), `status_code` (not always present, not always the HTTP status).
#[derive(Debug, Default, Deserialize)]
struct ErrorBody {
    #[serde(default, deserialize_with = "crate::de::text_or_empty")]
    message: String,
    #[serde(default)]
    errors: Option<Value>,
    #[serde(default, deserialize_with = "crate::de::opt_i64")]
    status_code: Option<i64>,
}

fn field_errors(v: Option<Value>) -> FieldErrors {
    let mut out = FieldErrors::new();
    if let Some(Value::Object(map)) = v {
        for (field, msgs) in map {
            let msgs = match msgs {
                Value::Array(items) => {
                    items.into_iter().map(|m| m.as_str().map_or_else(|| m.to_string(), str::to_owned)).collect()
                }
                Value::String(s) => vec![s],
                other => vec![other.to_string()],
            };
            out.insert(field, msgs);
        }
    }
    out
}

fn contains_any(haystack: &str, needles: &[&str]) -> bool {
    let h = haystack.to_ascii_lowercase();
    needles.iter().any(|n| h.contains(n))
}

const CONFLICT_HINTS: &[&str] = &[
    "already been taken",
    "already assigned",
    "already generated",
    "already manifested",
    "cannot reassign",
    "already exists",
    "already cancelled",
];
const NOT_FOUND_HINTS: &[&str] = &[
    "not found",
    "order does not exist",
    "shipment does not exist",
    "invalid shipment id",
    "non-object",
    "selected order id is invalid",
    "no activities found",
];
const NOT_SERVICEABLE_HINTS: &[&str] = &["not serviceable", "no courier", "serviceability"];

/// Classifies a message Shiprocket sent with a failure, whatever the HTTP status was.
fn classify_message(message: String, fields: FieldErrors) -> Error {
    let all_text = std::iter::once(message.as_str())
        .chain(fields.values().flatten().map(String::as_str))
        .collect::<Vec<_>>()
        .join(" | ");
    if contains_any(&all_text, CONFLICT_HINTS) {
        Error::Conflict { message: all_text }
    } else if contains_any(&all_text, NOT_SERVICEABLE_HINTS) {
        Error::NotServiceable { message }
    } else if contains_any(&all_text, NOT_FOUND_HINTS) {
        Error::NotFound { message }
    } else {
        Error::Validation { message, fields }
    }
}

/// Classifies a non-2xx answer. `retry_after` is the parsed `Retry-After` header.
pub fn classify_http_error(status: u16, retry_after: Option<Duration>, body: &[u8]) -> Error {
    let parsed: ErrorBody = serde_json::from_slice(body).unwrap_or_default();
    let message = if parsed.message.is_empty() {
        if body.is_empty() || serde_json::from_slice::<Value>(body).is_ok() {
            format!("HTTP {status}")
        } else {
            format!("HTTP {status} with a non-JSON body of {} bytes", body.len())
        }
    } else {
        parsed.message
    };
    let fields = field_errors(parsed.errors);
    let _ = parsed.status_code;
    match status {
        401 | 403 => Error::Auth { status, message },
        429 => Error::RateLimited { retry_after },
        404 => Error::NotFound { message },
        408 => Error::Timeout { after: Duration::ZERO },
        400..=499 => classify_message(message, fields),
        500..=599 => {
            // PHP errors caused by our request (quirks #11, #12) are not worth retrying.
            if contains_any(&message, &["foreach", "must be an array"]) {
                Error::Validation { message, fields }
            } else if contains_any(&message, &["non-object"]) {
                Error::NotFound { message }
            } else {
                Error::Server { status, message }
            }
        }
        _ => Error::Server { status, message },
    }
}

/// Looks for a failure inside a 2xx body: an empty object, `success: false`, or a body
/// `status`/`status_code` of 400 or more with a message (quirk #1, #14).
pub(crate) fn embedded_failure(value: &Value) -> Option<Error> {
    let obj = match value {
        Value::Object(o) if o.is_empty() => {
            return Some(Error::NotFound { message: "Shiprocket answered with an empty object".into() });
        }
        Value::Object(o) => o,
        _ => return None,
    };
    let message = obj.get("message").and_then(Value::as_str).unwrap_or_default().to_owned();
    if obj.get("success").is_some_and(|s| s == &Value::Bool(false)) {
        return Some(classify_message(
            if message.is_empty() { "Shiprocket reported success: false".into() } else { message },
            FieldErrors::new(),
        ));
    }
    let code = ["status_code", "status"]
        .iter()
        .find_map(|k| obj.get(*k).and_then(|v| v.as_i64().or_else(|| v.as_str().and_then(|s| s.trim().parse().ok()))));
    match code {
        Some(c) if c >= 400 => {
            let message = if message.is_empty() { format!("Shiprocket reported status {c}") } else { message };
            let fields = field_errors(obj.get("errors").cloned());
            Some(match c {
                401 | 403 => Error::Auth { status: c as u16, message },
                429 => Error::RateLimited { retry_after: None },
                404 if contains_any(&message, NOT_SERVICEABLE_HINTS) => Error::NotServiceable { message },
                404 => Error::NotFound { message },
                500..=599 => Error::Server { status: c as u16, message },
                _ => classify_message(message, fields),
            })
        }
        _ => None,
    }
}

/// Decodes a 2xx body after checking it for an embedded failure.
pub(crate) fn checked_json<T: DeserializeOwned>(body: &[u8]) -> Result<T> {
    let value: Value = json(body)?;
    if let Some(e) = embedded_failure(&value) {
        return Err(e);
    }
    json(body)
}

/// Pagination block of list endpoints (`meta.pagination`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
pub struct Pagination {
    #[serde(default, deserialize_with = "crate::de::u64")]
    pub total: u64,
    #[serde(default, deserialize_with = "crate::de::u64")]
    pub count: u64,
    #[serde(default, deserialize_with = "crate::de::u64")]
    pub per_page: u64,
    #[serde(default, deserialize_with = "crate::de::u64")]
    pub current_page: u64,
    #[serde(default, deserialize_with = "crate::de::u64")]
    pub total_pages: u64,
}

impl Pagination {
    /// Whether a later page exists.
    pub fn has_next(&self) -> bool {
        self.current_page < self.total_pages
    }
}

#[derive(Debug, Default, Deserialize)]
pub(crate) struct Meta {
    #[serde(default)]
    pub pagination: Pagination,
}

/// A page of a list endpoint.
#[derive(Debug, Clone)]
pub struct Page<T> {
    pub items: Vec<T>,
    pub pagination: Pagination,
}

/// `page`/`per_page` query parameters shared by the list endpoints.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, Deserialize)]
pub struct PageRequest {
    pub page: Option<u32>,
    pub per_page: Option<u32>,
}

impl PageRequest {
    pub(crate) fn push(&self, q: &mut Vec<(&'static str, String)>) {
        if let Some(p) = self.page {
            q.push(("page", p.to_string()));
        }
        if let Some(p) = self.per_page {
            q.push(("per_page", p.to_string()));
        }
    }
}

/// Decodes `{"data": [...], "meta": {"pagination": {...}}}`.
pub(crate) fn decode_page<T: DeserializeOwned>(body: &[u8]) -> Result<Page<T>> {
    #[derive(Deserialize)]
    #[serde(bound = "T: DeserializeOwned")]
    struct Raw<T> {
        #[serde(default, deserialize_with = "crate::de::vec_or_empty")]
        data: Vec<T>,
        #[serde(default)]
        meta: Meta,
    }
    let value: Value = json(body)?;
    if let Some(e) = embedded_failure(&value).filter(|e| !matches!(e, Error::NotFound { .. })) {
        return Err(e);
    }
    let raw: Raw<T> = json(body)?;
    Ok(Page { items: raw.data, pagination: raw.meta.pagination })
}

/// Acknowledgement of an asynchronous action (cancel endpoints answer 204, sometimes with a
/// message).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Accepted {
    pub status: u16,
    pub message: Option<String>,
}

/// Reads a 2xx answer whose body may be empty or a message; checks for an embedded failure.
pub(crate) fn decode_accepted(status: u16, body: &[u8]) -> Result<Accepted> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(Accepted { status, message: None });
    }
    let value: Value = match serde_json::from_slice(body) {
        Ok(v) => v,
        // Non-JSON text on a 2xx is still an acknowledgement; keep it for the logs.
        Err(_) => return Ok(Accepted { status, message: Some(String::from_utf8_lossy(body).into_owned()) }),
    };
    match &value {
        Value::Object(o) if o.is_empty() => return Ok(Accepted { status, message: None }),
        _ => {}
    }
    if let Some(e) = embedded_failure(&value) {
        return Err(e);
    }
    let message = ["message", "status"].iter().find_map(|k| value.get(*k).and_then(Value::as_str)).map(str::to_owned);
    Ok(Accepted { status, message })
}
