//! The OpenAPI 3.1 document, generated: each handler carries its `#[utoipa::path]` annotation
//! and the routes are registered from those annotations ([`crate::routes`]), so a route cannot
//! be served without being documented. Request and response bodies are the types the handlers
//! (de)serialise, the domain's included (feature `openapi` of `shipping-domain`).

use crate::error::ErrorEnvelope;
use std::sync::LazyLock;
use utoipa::openapi::security::{ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::openapi::{OpenApi, RefOr, ResponseBuilder, schema::Schema};
use utoipa::{Modify, PartialSchema, ToSchema};

#[derive(utoipa::OpenApi)]
#[openapi(
    info(
        title = "shipping-api",
        description = "Order-paid ingest, checkout rates, Shiprocket webhooks and shipment actions. \
            Every change is stored and its Shiprocket work queued; only checkout rates call Shiprocket \
            inside the request. Money is in paise, weights in grams. Errors are one JSON envelope."
    ),
    tags(
        (name = "orders", description = "The shop tells us an order is paid"),
        (name = "rates", description = "Checkout rates, for the shop's checkout page"),
        (name = "shipments", description = "Shipment reads and actions, for the shop's staff and systems"),
        (name = "tracking", description = "What the customer sees"),
        (name = "webhooks", description = "Shiprocket calls us"),
        (name = "operations", description = "Health, readiness, metrics, this document"),
    )
)]
pub(crate) struct ApiDoc;

/// Applied to the assembled document: the security schemes the `security(...)` annotations
/// name, and a `default` error answer on every operation (any route may answer 401, 413, 415,
/// 429, 500 or 503 in the envelope besides the statuses it lists).
struct Conventions;

impl Modify for Conventions {
    fn modify(&self, doc: &mut OpenApi) {
        let components = doc.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
        components.add_security_scheme("apiKey", SecurityScheme::ApiKey(ApiKey::Header(ApiKeyValue::new("x-api-key"))));
        let error = ResponseBuilder::new()
            .description("An error, in the envelope")
            .content("application/json", utoipa::openapi::ContentBuilder::new().schema(Some(error_ref())).build())
            .build();
        for item in doc.paths.paths.values_mut() {
            for op in [
                &mut item.get,
                &mut item.post,
                &mut item.put,
                &mut item.patch,
                &mut item.delete,
                &mut item.head,
                &mut item.options,
                &mut item.trace,
            ]
            .into_iter()
            .flatten()
            {
                op.responses.responses.entry("default".to_owned()).or_insert_with(|| error.clone().into());
            }
        }
    }
}

fn error_ref() -> RefOr<Schema> {
    RefOr::Ref(utoipa::openapi::Ref::from_schema_name(ErrorEnvelope::name()))
}

/// The document of every route [`crate::routes::router`] serves.
pub fn document() -> OpenApi {
    let mut doc = crate::routes::documented();
    Conventions.modify(&mut doc);
    doc
}

static DOCUMENT_JSON: LazyLock<String> =
    LazyLock::new(|| document().to_json().unwrap_or_else(|e| serde_json::json!({"error": e.to_string()}).to_string()));

/// [`document`] as JSON, made once per process.
pub fn document_json() -> &'static str {
    &DOCUMENT_JSON
}

/// A file body (PDF, ZIP): bytes, not JSON.
#[derive(Debug)]
pub struct Binary;

impl PartialSchema for Binary {
    fn schema() -> RefOr<Schema> {
        utoipa::openapi::ObjectBuilder::new()
            .schema_type(utoipa::openapi::schema::Type::String)
            .format(Some(utoipa::openapi::SchemaFormat::KnownFormat(utoipa::openapi::KnownFormat::Binary)))
            .into()
    }
}

impl ToSchema for Binary {}
