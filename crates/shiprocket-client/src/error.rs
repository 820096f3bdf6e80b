//! The one error type of this crate.
//!
//! Every failure, whether Shiprocket said it with an HTTP status or hid it inside an HTTP 200
//! body, ends up as one of these variants. Callers decide what to do from the variant and
//! [`Error::is_retryable`], never from strings.

use std::collections::BTreeMap;
use std::time::Duration;

/// Field name → messages, as in Shiprocket's 422 bodies (`"errors": {"order_id": ["..."]}`).
pub type FieldErrors = BTreeMap<String, Vec<String>>;

/// Everything that can go wrong talking to Shiprocket.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// Credentials rejected, token refused twice, or an account without API permission.
    /// `status` is the HTTP status Shiprocket answered with (401, 403, 400 on login, ...).
    #[error("shiprocket authentication failed (HTTP {status}): {message}")]
    Auth { status: u16, message: String },

    /// HTTP 429, still failing after the configured waits (or asking for a longer wait than we
    /// are willing to sleep inside one call). `retry_after` is Shiprocket's hint, if it sent one.
    #[error("shiprocket rate limit exceeded (retry after {retry_after:?})")]
    RateLimited { retry_after: Option<Duration> },

    /// The request was rejected as invalid (422, most 400s, PHP "foreach" 500s caused by our
    /// payload, HTTP-200 bodies that flag a failure). Retrying the same request cannot help.
    #[error("shiprocket rejected the request: {message}")]
    Validation { message: String, fields: FieldErrors },

    /// No courier serves this lane (or not with these options).
    #[error("not serviceable: {message}")]
    NotServiceable { message: String },

    /// The order, shipment, AWB or route does not exist (including the 200/500 forms of it).
    #[error("not found: {message}")]
    NotFound { message: String },

    /// The thing already exists or was already done: "order id has already been taken",
    /// "AWB is already assigned", "manifest already generated", "cannot reassign courier".
    #[error("conflict: {message}")]
    Conflict { message: String },

    /// Shiprocket failed on its side (5xx, HTML error pages).
    #[error("shiprocket server error (HTTP {status}): {message}")]
    Server { status: u16, message: String },

    /// The connection failed before an answer arrived.
    #[error("network error talking to shiprocket: {message}")]
    Network { message: String },

    /// No answer within the endpoint's timeout. The request may or may not have been applied.
    #[error("shiprocket did not answer within {after:?}")]
    Timeout { after: Duration },

    /// The body did not have the shape we know; `path` names the failing JSON path.
    #[error("could not decode shiprocket response at `{path}`: {message}")]
    Decode { path: String, message: String },
}

impl Error {
    /// A refusal because the account's prepaid wallet cannot pay (AWB assignment answers
    /// "…recharge…" in `awb_assign_error`, QUIRKS.md #1); a person must top it up.
    pub fn is_wallet_low(&self) -> bool {
        match self {
            Error::Validation { message, .. } => {
                let m = message.to_ascii_lowercase();
                m.contains("recharge") || m.contains("wallet") || m.contains("insufficient balance")
            }
            _ => false,
        }
    }

    /// Whether the same request may succeed if sent again later. The client has already spent
    /// its own retries when it returns; this tells a job queue whether to reschedule.
    pub fn is_retryable(&self) -> bool {
        match self {
            Error::RateLimited { .. } | Error::Server { .. } | Error::Network { .. } | Error::Timeout { .. } => true,
            Error::Auth { .. }
            | Error::Validation { .. }
            | Error::NotServiceable { .. }
            | Error::NotFound { .. }
            | Error::Conflict { .. }
            | Error::Decode { .. } => false,
        }
    }

    /// Whether Shiprocket may have applied the request even though we got no usable answer.
    /// A create whose outcome is unknown must be looked up before it is sent again.
    pub fn outcome_unknown(&self) -> bool {
        matches!(self, Error::Timeout { .. } | Error::Network { .. } | Error::Server { .. } | Error::Decode { .. })
    }

    /// A short, stable name for the class, for metrics and logs.
    pub fn class(&self) -> &'static str {
        match self {
            Error::Auth { .. } => "auth",
            Error::RateLimited { .. } => "rate_limited",
            Error::Validation { .. } => "validation",
            Error::NotServiceable { .. } => "not_serviceable",
            Error::NotFound { .. } => "not_found",
            Error::Conflict { .. } => "conflict",
            Error::Server { .. } => "server",
            Error::Network { .. } => "network",
            Error::Timeout { .. } => "timeout",
            Error::Decode { .. } => "decode",
        }
    }

    pub(crate) fn validation(message: impl Into<String>) -> Self {
        Error::Validation { message: message.into(), fields: FieldErrors::new() }
    }

    pub(crate) fn decode(path: impl Into<String>, message: impl Into<String>) -> Self {
        Error::Decode { path: path.into(), message: message.into() }
    }
}

/// Result alias for this crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;
