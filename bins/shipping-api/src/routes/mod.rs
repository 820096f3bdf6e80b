//! The routes, one file per area, assembled in [`router`].

pub mod actions;
pub mod labels;
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
use utoipa::OpenApi;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

/// Checkout rates are public and carry no credentials: the widget on a shop's own domain may
/// read them (simple GET; no preflight needed).
async fn allow_any_origin(req: axum::extract::Request, next: axum::middleware::Next) -> axum::response::Response {
    let mut response = next.run(req).await;
    response
        .headers_mut()
        .insert(axum::http::header::ACCESS_CONTROL_ALLOW_ORIGIN, axum::http::HeaderValue::from_static("*"));
    response
}

/// The documented routes in their groups; [`router`] gives each group its limits.
struct Groups {
    api: OpenApiRouter<AppState>,
    rates: OpenApiRouter<AppState>,
    hooks: OpenApiRouter<AppState>,
    ops: OpenApiRouter<AppState>,
}

/// Handlers sharing a path go in one `routes!`: each registers the route and its document.
fn groups() -> Groups {
    Groups {
        api: OpenApiRouter::new()
            .routes(routes!(orders::ingest))
            .routes(routes!(orders::edit))
            .routes(routes!(orders::shipment_of_order))
            .routes(routes!(shipments::list))
            .routes(routes!(shipments::export_csv))
            .routes(routes!(actions::bulk_action))
            .routes(routes!(shipments::get_one))
            .routes(routes!(labels::label_link, actions::generate_label))
            .routes(routes!(actions::action))
            .routes(routes!(labels::download_label))
            .routes(routes!(labels::labels_zip))
            .routes(routes!(track::lookup))
            .routes(routes!(track::track)),
        rates: OpenApiRouter::new().routes(routes!(rates::rates, rates::cart_rates)),
        hooks: OpenApiRouter::new().routes(routes!(webhooks::receive, webhooks::probe)),
        ops: OpenApiRouter::new()
            .routes(routes!(ops::healthz))
            .routes(routes!(ops::readyz))
            .routes(routes!(ops::metrics))
            .routes(routes!(ops::openapi)),
    }
}

/// The OpenAPI paths and schemas of every route [`router`] serves (before the document-wide
/// conventions of [`crate::openapi::document`]).
pub(crate) fn documented() -> utoipa::openapi::OpenApi {
    let g = groups();
    OpenApiRouter::with_openapi(crate::openapi::ApiDoc::openapi())
        .merge(g.ops)
        .merge(g.api)
        .merge(g.rates)
        .merge(g.hooks)
        .into_openapi()
}

/// Every route with its body limit. Middleware (request ids, tracing, metrics) is added in
/// [`crate::app`].
pub fn router(state: AppState) -> Router {
    let body_limit = state.settings.server.body_limit_bytes;
    let webhook_limit = state.settings.server.webhook_body_limit_bytes;
    let g = groups();
    let api = g
        .api
        .merge(g.rates.layer(axum::middleware::from_fn(allow_any_origin)))
        .layer(DefaultBodyLimit::max(body_limit));
    let hooks = g.hooks.layer(DefaultBodyLimit::max(webhook_limit));
    let (routes, _) = g.ops.merge(api).merge(hooks).split_for_parts();
    routes
        .merge(crate::pages::router().layer(DefaultBodyLimit::max(body_limit)))
        .fallback(|| async { ApiError::NotFound("no such route".into()) })
        .method_not_allowed_fallback(|| async { ApiError::MethodNotAllowed })
        .with_state(state)
}
