//! Server-rendered pages: the operators' admin pages (`/admin`), the customer's tracking page
//! (`/track/{token}`) and the checkout widget (`/widget/rates.js`). No front-end build: HTML is
//! written with `format!`, every dynamic value through [`esc`]; the CSS and the two small
//! scripts are compiled in and served from `/assets/`, so the Content-Security-Policy allows
//! no inline script or style at all.

pub mod action_forms;
pub mod admin;
pub mod bulk;
pub mod dead_jobs;
pub mod detail;
pub mod order_form;
pub mod returns;
pub mod session;
pub mod shipments;
pub mod track;
pub mod widget;

use crate::error::ApiError;
use crate::state::AppState;
use axum::Router;
use axum::extract::Request;
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{Html, IntoResponse, Response};
use axum::routing::{get, post};

const CSS: &str = include_str!("assets/app.css");
const ADMIN_JS: &str = include_str!("assets/admin.js");

/// Only our own scripts, styles, forms and fetches; images also from https (a shop's logo).
const CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' https: data:; \
                   connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

/// Escapes text for HTML element content and quoted attribute values.
/// A shipment's state as operators read it ("Label ready"), in a `tag` element that keeps the
/// stored name as `data-state` (for scripts and tests). An unknown stored name is shown as is.
pub fn state_element(tag: &str, s: &shipping_store::entities::shipment::Model) -> String {
    let words = shipping_store::state_of(s).map_or_else(|_| esc(&s.state), |st| esc(st.label()));
    format!("<{tag} data-state=\"{}\">{words}</{tag}>", esc(&s.state))
}

/// The sync status the same way (`data-sync`).
pub fn sync_element(tag: &str, s: &shipping_store::entities::shipment::Model) -> String {
    let words = shipping_store::sync_status_of(s).map_or_else(|_| esc(&s.sync_status), |st| esc(st.label()));
    format!("<{tag} data-sync=\"{}\">{words}</{tag}>", esc(&s.sync_status))
}

pub fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// Percent-encodes a query-string value.
pub fn url_enc(s: &str) -> String {
    form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

/// A whole document: `lang`, viewport, title, the style sheet, optional scripts.
pub fn document(title: &str, head_extra: &str, body: &str) -> String {
    format!(
        "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>{title}</title><link rel=\"icon\" href=\"data:,\"><link rel=\"stylesheet\" href=\"/assets/app.css\">{head_extra}</head>\
         <body>{body}</body></html>",
        title = esc(title),
    )
}

/// An admin page: the navigation, the sign-out form (with the session's CSRF token), content.
pub fn admin_page(title: &str, who: &session::Admin, content: &str) -> Html<String> {
    let nav = format!(
        "<header class=\"bar\"><nav aria-label=\"Main\"><a href=\"/admin\">Dashboard</a> \
         <a href=\"/admin/shipments\">Shipments</a> <a href=\"/admin/dead-jobs\">Dead jobs</a></nav>\
         <form method=\"post\" action=\"/admin/sign-out\" class=\"inline\">{csrf}\
         <span class=\"who\">{user}</span> <button type=\"submit\">Sign out</button></form></header>",
        csrf = who.csrf_field(),
        user = esc(&who.username),
    );
    let body = format!("{nav}<main><h1>{}</h1>{content}</main>", esc(title));
    Html(document(&format!("{title} · Shipping admin"), "<script src=\"/assets/admin.js\" defer></script>", &body))
}

/// A friendly error page; internal causes are logged, never shown.
#[derive(Debug)]
pub struct PageError(pub ApiError);

impl From<ApiError> for PageError {
    fn from(e: ApiError) -> Self {
        PageError(e)
    }
}

impl From<crate::services::ServiceError> for PageError {
    fn from(e: crate::services::ServiceError) -> Self {
        PageError(ApiError::from(e))
    }
}

impl From<shipping_store::StoreError> for PageError {
    fn from(e: shipping_store::StoreError) -> Self {
        PageError(ApiError::from(e))
    }
}

impl IntoResponse for PageError {
    fn into_response(self) -> Response {
        let status = self.0.status();
        if let ApiError::Internal(cause) = &self.0 {
            tracing::error!(error = %format!("{cause:#}"), "internal error on a page");
        }
        let heading = match status {
            StatusCode::NOT_FOUND => "Not found",
            StatusCode::FORBIDDEN => "Not allowed",
            StatusCode::TOO_MANY_REQUESTS => "Too many requests",
            StatusCode::CONFLICT => "Not possible right now",
            s if s.is_client_error() => "That did not work",
            _ => "Something went wrong",
        };
        let body = format!("<main class=\"narrow\"><h1>{heading}</h1><p>{}</p></main>", esc(&self.0.public_message()));
        (status, Html(document(heading, "", &body))).into_response()
    }
}

pub type PageResult<T = Response> = Result<T, PageError>;

/// A url-encoded form body, keeping repeated names (`ids=1&ids=2`).
#[derive(Debug, Default)]
pub struct FormData(pub Vec<(String, String)>);

impl FormData {
    pub fn parse(body: &[u8]) -> FormData {
        FormData(form_urlencoded::parse(body).map(|(k, v)| (k.into_owned(), v.into_owned())).collect())
    }

    pub fn get(&self, name: &str) -> Option<&str> {
        self.0.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
    }

    /// A trimmed, non-empty value.
    pub fn text(&self, name: &str) -> Option<String> {
        self.get(name).map(str::trim).filter(|v| !v.is_empty()).map(str::to_owned)
    }

    pub fn all(&self, name: &str) -> impl Iterator<Item = &str> {
        self.0.iter().filter(move |(k, _)| k == name).map(|(_, v)| v.as_str())
    }
}

/// `303 See Other` to `location` (after a POST, the browser GETs the result).
pub fn see_other(location: &str) -> Response {
    (StatusCode::SEE_OTHER, [(header::LOCATION, location.to_owned())]).into_response()
}

async fn security_headers(req: Request, next: Next) -> Response {
    let mut response = next.run(req).await;
    let h = response.headers_mut();
    h.insert(header::CONTENT_SECURITY_POLICY, HeaderValue::from_static(CSP));
    h.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    h.insert(header::REFERRER_POLICY, HeaderValue::from_static("same-origin"));
    h.entry(header::CACHE_CONTROL).or_insert(HeaderValue::from_static("no-store"));
    response
}

fn asset(content_type: &'static str, body: &'static str) -> Response {
    ([(header::CONTENT_TYPE, content_type), (header::CACHE_CONTROL, "public, max-age=300")], body).into_response()
}

/// Every page route, with the security headers.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/assets/app.css", get(|| async { asset("text/css; charset=utf-8", CSS) }))
        .route("/assets/admin.js", get(|| async { asset("text/javascript; charset=utf-8", ADMIN_JS) }))
        .route("/assets/theme.css", get(track::theme))
        .route("/admin/sign-in", get(session::sign_in_form).post(session::sign_in))
        .route("/admin/sign-out", post(session::sign_out))
        .route("/admin", get(admin::dashboard))
        .route("/admin/shipments", get(shipments::list))
        .route("/admin/shipments.csv", get(shipments::export_csv))
        .route("/admin/shipments/bulk", post(bulk::start))
        .route("/admin/bulk", get(bulk::progress))
        .route("/admin/bulk/status.json", get(bulk::status))
        .route("/admin/labels.pdf", get(bulk::labels_pdf))
        .route("/admin/labels.zip", get(bulk::labels_zip))
        .route("/admin/shipments/{id}", get(detail::show))
        .route("/admin/shipments/{id}/action", post(detail::act))
        .route("/admin/shipments/{id}/order", post(order_form::save))
        .route("/admin/shipments/{id}/documents/{doc}", get(detail::document))
        .route("/admin/dead-jobs", get(dead_jobs::list))
        .route("/admin/dead-jobs/replay", post(dead_jobs::replay))
        .route("/track/{token}", get(track::page))
        .route("/track/{token}/ndr", post(track::ndr_request))
        .route("/widget/rates.js", get(widget::script))
        .layer(axum::middleware::from_fn(security_headers))
}

/// Every admin route a signed-out visitor must be turned away from (tests walk this list).
pub const ADMIN_ROUTES: &[(&str, &str)] = &[
    ("GET", "/admin"),
    ("GET", "/admin/shipments"),
    ("GET", "/admin/shipments.csv"),
    ("POST", "/admin/shipments/bulk"),
    ("GET", "/admin/bulk?action=label&ids=1"),
    ("GET", "/admin/bulk/status.json?action=label&ids=1"),
    ("GET", "/admin/labels.pdf?ids=1"),
    ("GET", "/admin/labels.zip?ids=1"),
    ("GET", "/admin/shipments/1"),
    ("POST", "/admin/shipments/1/action"),
    ("POST", "/admin/shipments/1/order"),
    ("GET", "/admin/shipments/1/documents/1"),
    ("GET", "/admin/dead-jobs"),
    ("POST", "/admin/dead-jobs/replay"),
    ("POST", "/admin/sign-out"),
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escaping_covers_markup_and_quotes() {
        assert_eq!(
            esc("<script>alert('x')</script> & \"y\""),
            "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; &quot;y&quot;"
        );
        assert_eq!(url_enc("a b&c=d"), "a+b%26c%3Dd");
    }
}
