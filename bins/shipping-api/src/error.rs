//! The one application error and its one JSON envelope:
//! `{"error": {"code": "...", "message": "...", "fields": [{"field": "...", "message": "..."}]}}`.
//! Causes of internal errors are logged (never shown); messages shown never contain secrets.

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use utoipa::ToSchema;

/// One rejected field, named by its JSON path (`billing.pincode`, `items[0].unit_price`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct FieldError {
    pub field: String,
    pub message: String,
}

#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// The input is well-formed but a value is invalid (422).
    #[error("validation failed")]
    Validation { message: String, fields: Vec<FieldError> },
    /// The body is not JSON, or a query string does not parse (400).
    #[error("bad request: {0}")]
    BadRequest(String),
    #[error("unsupported media type")]
    UnsupportedMediaType,
    #[error("payload too large")]
    PayloadTooLarge,
    #[error("unauthorized")]
    Unauthorized,
    #[error("method not allowed")]
    MethodNotAllowed,
    /// A signed URL that is wrong or expired (403).
    #[error("forbidden: {0}")]
    Forbidden(&'static str),
    #[error("not found: {0}")]
    NotFound(String),
    /// The same shop order id with different content.
    #[error("idempotency conflict")]
    IdempotencyConflict(String),
    /// The shipment is not in a state that allows the action.
    #[error("invalid state: {0}")]
    InvalidState(String),
    /// A feature switched off by configuration.
    #[error("disabled: {0}")]
    Disabled(&'static str, String),
    #[error("rate limited")]
    RateLimited,
    /// The request took longer than `server.request_timeout_ms`.
    #[error("timed out")]
    Timeout,
    /// Shiprocket could not answer and nothing was cached.
    #[error("upstream unavailable: {0}")]
    Upstream(String),
    #[error("internal error")]
    Internal(#[source] anyhow::Error),
}

/// The body of every error answer.
#[derive(Debug, Serialize, ToSchema)]
pub struct ErrorEnvelope {
    pub error: ErrorBody,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ErrorBody {
    /// Stable and machine-readable: `validation_failed`, `not_found`, `idempotency_conflict`,
    /// `invalid_state`, `unauthorized`, `rate_limited`, `rates_disabled`, ...
    pub code: String,
    /// For a person; never an internal cause.
    pub message: String,
    /// The rejected fields (validation failures only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fields: Option<Vec<FieldError>>,
}

impl ApiError {
    /// A single invalid field.
    pub fn field(field: impl Into<String>, message: impl Into<String>) -> ApiError {
        let fe = FieldError { field: field.into(), message: message.into() };
        ApiError::Validation { message: format!("{}: {}", fe.field, fe.message), fields: vec![fe] }
    }

    pub fn internal(e: impl Into<anyhow::Error>) -> ApiError {
        ApiError::Internal(e.into())
    }

    pub fn status(&self) -> StatusCode {
        match self {
            ApiError::Validation { .. } => StatusCode::UNPROCESSABLE_ENTITY,
            ApiError::BadRequest(_) => StatusCode::BAD_REQUEST,
            ApiError::UnsupportedMediaType => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            ApiError::PayloadTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            ApiError::Unauthorized => StatusCode::UNAUTHORIZED,
            ApiError::MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
            ApiError::Forbidden(_) => StatusCode::FORBIDDEN,
            ApiError::NotFound(_) => StatusCode::NOT_FOUND,
            ApiError::IdempotencyConflict(_) | ApiError::InvalidState(_) => StatusCode::CONFLICT,
            ApiError::Disabled(..) | ApiError::Upstream(_) | ApiError::Timeout => StatusCode::SERVICE_UNAVAILABLE,
            ApiError::RateLimited => StatusCode::TOO_MANY_REQUESTS,
            ApiError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    pub fn code(&self) -> &'static str {
        match self {
            ApiError::Validation { .. } => "validation_failed",
            ApiError::BadRequest(_) => "bad_request",
            ApiError::UnsupportedMediaType => "unsupported_media_type",
            ApiError::PayloadTooLarge => "payload_too_large",
            ApiError::Unauthorized => "unauthorized",
            ApiError::MethodNotAllowed => "method_not_allowed",
            ApiError::Forbidden(code) => code,
            ApiError::NotFound(_) => "not_found",
            ApiError::IdempotencyConflict(_) => "idempotency_conflict",
            ApiError::InvalidState(_) => "invalid_state",
            ApiError::Disabled(code, _) => code,
            ApiError::RateLimited => "rate_limited",
            ApiError::Timeout => "timeout",
            ApiError::Upstream(_) => "upstream_unavailable",
            ApiError::Internal(_) => "internal",
        }
    }

    /// What the caller is told (never an internal cause).
    pub fn public_message(&self) -> String {
        self.message()
    }

    fn message(&self) -> String {
        match self {
            ApiError::Validation { message, .. } => message.clone(),
            ApiError::BadRequest(m)
            | ApiError::NotFound(m)
            | ApiError::IdempotencyConflict(m)
            | ApiError::InvalidState(m)
            | ApiError::Disabled(_, m)
            | ApiError::Upstream(m) => m.clone(),
            ApiError::UnsupportedMediaType => "send the body as JSON with Content-Type: application/json".into(),
            ApiError::PayloadTooLarge => "the request body is larger than this route accepts".into(),
            ApiError::MethodNotAllowed => "this route does not accept that method".into(),
            ApiError::Unauthorized => "a valid API key is required (Authorization: Bearer <key>)".into(),
            ApiError::Forbidden(_) => "this link is not valid or has expired; ask for a new one".into(),
            ApiError::RateLimited => "too many requests; slow down".into(),
            ApiError::Timeout => {
                "the request took too long; it may or may not have been applied, retrying is safe".into()
            }
            ApiError::Internal(_) => "something went wrong on our side; it has been logged".into(),
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let status = self.status();
        if let ApiError::Internal(cause) = &self {
            // Causes come from the store or the client, whose errors carry no PII.
            tracing::error!(error = %format!("{cause:#}"), "internal error");
        }
        let fields = match &self {
            ApiError::Validation { fields, .. } if !fields.is_empty() => Some(fields.clone()),
            _ => None,
        };
        let body = ErrorEnvelope { error: ErrorBody { code: self.code().to_owned(), message: self.message(), fields } };
        (status, Json(body)).into_response()
    }
}

impl From<shipping_store::StoreError> for ApiError {
    fn from(e: shipping_store::StoreError) -> Self {
        ApiError::Internal(e.into())
    }
}

/// A domain value's error names its field, as the services report it.
impl From<shipping_domain::DomainError> for ApiError {
    fn from(e: shipping_domain::DomainError) -> Self {
        crate::services::ServiceError::from(e).into()
    }
}

impl From<crate::services::ServiceError> for ApiError {
    fn from(e: crate::services::ServiceError) -> Self {
        use crate::services::ServiceError as S;
        match e {
            S::Invalid { message, fields } => ApiError::Validation { message, fields },
            S::NotFound(m) => ApiError::NotFound(m),
            S::InvalidState(m) => ApiError::InvalidState(m),
            S::Disabled(code, m) => ApiError::Disabled(code, m),
            S::Upstream(m) => ApiError::Upstream(m),
            S::Internal(cause) => ApiError::Internal(cause),
        }
    }
}

pub type ApiResult<T> = Result<T, ApiError>;
