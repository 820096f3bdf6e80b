//! Failures by class: what a Shiprocket or store error means for the job that met it.

use crate::queue::{JobFailure, RetryClass};
use shipping_domain::SyncErrorClass;
use shiprocket_client::Error as Api;
use std::time::Duration;

/// Shiprocket errors → retry decision. Validation, not-found and the like are permanent; rate
/// limits wait as told; server errors, network failures and timeouts retry with the queue's
/// backoff, each class capped on its own.
pub fn from_api(e: &Api) -> JobFailure {
    crate::metrics::note_error_class(e.class());
    let reason = e.to_string();
    match e {
        Api::RateLimited { retry_after } => JobFailure::Retry {
            after: Some(retry_after.unwrap_or(Duration::from_secs(30))),
            reason,
            class: RetryClass::RateLimited,
        },
        Api::Network { .. } | Api::Timeout { .. } => {
            JobFailure::Retry { after: None, reason, class: RetryClass::Network }
        }
        _ if e.is_retryable() => JobFailure::Retry { after: None, reason, class: RetryClass::Server },
        // A refused login may be fixed by rotating credentials; keep trying, slowly.
        Api::Auth { .. } => {
            JobFailure::Retry { after: Some(Duration::from_secs(300)), reason, class: RetryClass::Other }
        }
        _ => JobFailure::Permanent { reason },
    }
}

/// The class a failed create-order is stored with, from the client's typed error (and, for a
/// validation refusal, the fields Shiprocket named), never from its message's words.
pub fn sync_error_class(e: &Api) -> SyncErrorClass {
    match e {
        Api::Validation { fields, .. } => SyncErrorClass::of_refused_fields(fields.keys().map(String::as_str)),
        Api::NotServiceable { .. } => SyncErrorClass::NotServiceable,
        Api::Auth { .. } => SyncErrorClass::Auth,
        Api::RateLimited { .. } => SyncErrorClass::RateLimited,
        Api::Network { .. } | Api::Timeout { .. } | Api::Server { .. } => SyncErrorClass::Unreachable,
        _ => SyncErrorClass::Other,
    }
}

/// Store errors are retried: a database hiccup should not lose a job.
pub fn from_store(e: &shipping_store::StoreError) -> JobFailure {
    crate::metrics::note_error_class("store");
    match e {
        shipping_store::StoreError::Invalid(_) => JobFailure::Permanent { reason: e.to_string() },
        _ => JobFailure::retry(e.to_string()),
    }
}

pub fn permanent(reason: impl Into<String>) -> JobFailure {
    JobFailure::Permanent { reason: reason.into() }
}

/// `?` on store results inside jobs.
pub trait StoreResultExt<T> {
    fn job(self) -> Result<T, JobFailure>;
}

impl<T> StoreResultExt<T> for Result<T, shipping_store::StoreError> {
    fn job(self) -> Result<T, JobFailure> {
        self.map_err(|e| from_store(&e))
    }
}

impl<T> StoreResultExt<T> for Result<T, sea_orm::DbErr> {
    fn job(self) -> Result<T, JobFailure> {
        self.map_err(|e| {
            crate::metrics::note_error_class("store");
            JobFailure::retry(format!("database: {e}"))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use shiprocket_client::FieldErrors;

    fn refused(fields: &[&str]) -> Api {
        let fields: FieldErrors = fields.iter().map(|f| ((*f).to_owned(), vec!["is invalid".to_owned()])).collect();
        Api::Validation { message: "Oops! Invalid Data.".into(), fields }
    }

    #[test]
    fn a_sync_failure_is_classed_by_the_error_and_its_fields_not_its_words() {
        assert_eq!(sync_error_class(&refused(&["pickup_location"])), SyncErrorClass::PickupLocation);
        assert_eq!(sync_error_class(&refused(&["billing_phone"])), SyncErrorClass::Refused);
        assert_eq!(sync_error_class(&refused(&[])), SyncErrorClass::Refused);
        let not_serviceable = Api::NotServiceable { message: "rate limit of couriers".into() };
        assert_eq!(sync_error_class(&not_serviceable), SyncErrorClass::NotServiceable);
        assert_eq!(sync_error_class(&Api::Auth { status: 403, message: "x".into() }), SyncErrorClass::Auth);
        assert_eq!(sync_error_class(&Api::RateLimited { retry_after: None }), SyncErrorClass::RateLimited);
        let timeout = Api::Timeout { after: Duration::from_secs(30) };
        assert_eq!(sync_error_class(&timeout), SyncErrorClass::Unreachable);
        assert_eq!(sync_error_class(&Api::NotFound { message: "invalid".into() }), SyncErrorClass::Other);
    }
}
