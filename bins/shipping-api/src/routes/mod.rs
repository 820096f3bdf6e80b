//! The routes, one file per area, assembled in [`router`].

pub mod ops;
pub mod orders;
pub mod rates;
pub mod shipments;
pub mod track;
pub mod webhooks;

use crate::error::ApiError;
use crate::state::AppState;
use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::routing::{get, post};

/// Checkout rates are public and carry no credentials: the widget on a shop's own domain may
/// read them (simple GET; no preflight needed).
async fn allow_any_origin(req: axum::extract::Request, next: axum::middleware::Next) -> axum::response::Response {
    let mut response = next.run(req).await;
    response
        .headers_mut()
        .insert(axum::http::header::ACCESS_CONTROL_ALLOW_ORIGIN, axum::http::HeaderValue::from_static("*"));
    response
}

/// Every route with its body limit. Middleware (request ids, tracing, metrics) is added in
/// [`crate::app`].
pub fn router(state: AppState) -> Router {
    let body_limit = state.settings.server.body_limit_bytes;
    let webhook_limit = state.settings.server.webhook_body_limit_bytes;
    let api = Router::new()
        .route("/v1/orders", post(orders::ingest))
        .route("/v1/orders/{shop_order_id}/shipment", get(orders::shipment_of_order))
        .route(
            "/v1/rates",
            get(rates::rates).post(rates::cart_rates).layer(axum::middleware::from_fn(allow_any_origin)),
        )
        .route("/v1/shipments", get(shipments::list))
        .route("/v1/shipments.csv", get(shipments::export_csv))
        .route("/v1/shipments/bulk/{action}", post(shipments::bulk_action))
        .route("/v1/shipments/{id}", get(shipments::get_one))
        .route("/v1/shipments/{id}/label", get(shipments::label_link).post(shipments::generate_label))
        .route("/v1/shipments/{id}/{action}", post(shipments::action))
        .route("/v1/labels/{id}", get(shipments::download_label))
        .route("/v1/labels.zip", post(shipments::labels_zip))
        .route("/v1/track", get(track::lookup))
        .route("/v1/track/{token}", get(track::track))
        .layer(DefaultBodyLimit::max(body_limit));
    let hooks = Router::new()
        .route("/webhooks/courier-updates", post(webhooks::receive).get(webhooks::probe).head(webhooks::probe))
        .layer(DefaultBodyLimit::max(webhook_limit));
    Router::new()
        .route("/healthz", get(ops::healthz))
        .route("/readyz", get(ops::readyz))
        .route("/metrics", get(ops::metrics))
        .route("/openapi.json", get(ops::openapi))
        .merge(api)
        .merge(hooks)
        .merge(crate::pages::router().layer(DefaultBodyLimit::max(body_limit)))
        .fallback(|| async { ApiError::NotFound("no such route".into()) })
        .method_not_allowed_fallback(|| async { ApiError::MethodNotAllowed })
        .with_state(state)
}
