//! The operations the JSON routes and the HTML pages share: shipment actions and bulk actions
//! with their catalogue, listing with filters and the CSV export, label links and ZIPs,
//! checkout rates with their cache, order corrections, customer tracking. A service returns plain data or a
//! [`ServiceError`]; [`crate::routes`] turns both into JSON (the error through
//! [`crate::error::ApiError`]), [`crate::pages`] into HTML. Services know nothing of HTTP
//! requests, and the pages import nothing from the routes.

pub mod actions;
pub mod catalogue;
pub mod labels;
pub mod listing;
pub mod order_edit;
pub mod orders;
pub mod rates;
pub mod tracking;

use crate::error::FieldError;
use crate::state::AppState;
use shipping_store::entities::shipment;

/// Why a service could not do what was asked. The texts of `Display` are the ones the API
/// error has always shown (bulk results carry them per shipment).
#[derive(Debug, thiserror::Error)]
pub enum ServiceError {
    /// A value is invalid (422).
    #[error("validation failed")]
    Invalid { message: String, fields: Vec<FieldError> },
    #[error("not found: {0}")]
    NotFound(String),
    /// The shipment's state does not allow it (409).
    #[error("invalid state: {0}")]
    InvalidState(String),
    /// Switched off by configuration: a stable code and a message (503).
    #[error("disabled: {0}")]
    Disabled(&'static str, String),
    /// Shiprocket could not answer and nothing was cached (503).
    #[error("upstream unavailable: {0}")]
    Upstream(String),
    #[error("internal error")]
    Internal(#[source] anyhow::Error),
}

pub type ServiceResult<T> = Result<T, ServiceError>;

impl ServiceError {
    /// A single invalid field.
    pub fn field(field: impl Into<String>, message: impl Into<String>) -> ServiceError {
        let fe = FieldError { field: field.into(), message: message.into() };
        ServiceError::Invalid { message: format!("{}: {}", fe.field, fe.message), fields: vec![fe] }
    }

    pub fn internal(e: impl Into<anyhow::Error>) -> ServiceError {
        ServiceError::Internal(e.into())
    }
}

impl From<shipping_store::StoreError> for ServiceError {
    fn from(e: shipping_store::StoreError) -> Self {
        ServiceError::Internal(e.into())
    }
}

impl From<shipping_domain::DomainError> for ServiceError {
    fn from(e: shipping_domain::DomainError) -> Self {
        match &e {
            shipping_domain::DomainError::Invalid { field, reason } => {
                ServiceError::field(field.to_string(), reason.clone())
            }
            _ => ServiceError::field("order", e.to_string()),
        }
    }
}

/// A domain value's error on the field `field` (the domain names its own field otherwise).
pub fn invalid(field: &str, e: shipping_domain::DomainError) -> ServiceError {
    match e {
        shipping_domain::DomainError::Invalid { reason, .. } => ServiceError::field(field, reason),
        other => ServiceError::field(field, other.to_string()),
    }
}

/// Actions that reach Shiprocket need the sync switched on.
pub fn require_enabled(state: &AppState) -> ServiceResult<()> {
    if state.flags().enabled {
        Ok(())
    } else {
        Err(ServiceError::Disabled(
            "shiprocket_disabled",
            "Shiprocket sync is switched off (SHIPROCKET_ENABLED=false)".into(),
        ))
    }
}

/// The shipment `id`, or not found.
pub async fn load_shipment(state: &AppState, id: i64) -> ServiceResult<shipment::Model> {
    state.store.shipment(id).await?.ok_or_else(|| ServiceError::NotFound(format!("no shipment {id}")))
}

/// `ids` sorted without repeats, when there are 1 to `max` of them.
pub fn distinct_ids(ids: Vec<i64>, max: usize) -> ServiceResult<Vec<i64>> {
    if ids.is_empty() || ids.len() > max {
        return Err(ServiceError::field("ids", format!("must list 1 to {max} shipment ids")));
    }
    let mut ids = ids;
    ids.sort_unstable();
    ids.dedup();
    Ok(ids)
}

/// A file to download: its type, its `Content-Disposition`, whether caches must not keep it.
#[derive(Debug)]
pub struct Download {
    pub content_type: String,
    pub disposition: String,
    pub cache_control: Option<&'static str>,
    pub body: Vec<u8>,
}

impl axum::response::IntoResponse for Download {
    fn into_response(self) -> axum::response::Response {
        use axum::http::header;
        let mut response =
            ([(header::CONTENT_TYPE, self.content_type), (header::CONTENT_DISPOSITION, self.disposition)], self.body)
                .into_response();
        if let Some(cache) = self.cache_control {
            response.headers_mut().insert(header::CACHE_CONTROL, axum::http::HeaderValue::from_static(cache));
        }
        response
    }
}
