//! Admin sign-in: users from `[[admin.users]]` (argon2 PHC strings), a random session token in
//! an `HttpOnly; SameSite=Strict` cookie (`Secure` behind https), the session itself in the
//! database (only the token's SHA-256), a per-session CSRF token every admin form carries and
//! every POST checks, and sign-out. The sign-in form itself is protected by a double-submit
//! token (cookie = form field), so nobody can sign a browser in to another account.

use super::{FormData, PageError, PageResult, document, esc, see_other, url_enc};
use crate::auth::{Caller, hex};
use crate::error::ApiError;
use crate::state::{AppState, new_tracking_token};
use axum::body::Bytes;
use axum::extract::{ConnectInfo, FromRequestParts, Query, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use chrono::Utc;
use serde::Deserialize;
use sha2::{Digest, Sha256};
use std::net::SocketAddr;
use subtle::ConstantTimeEq;

const SESSION_COOKIE: &str = "sid";
const SIGN_IN_COOKIE: &str = "signin";

/// A signed-in operator.
#[derive(Debug, Clone)]
pub struct Admin {
    pub username: String,
    pub csrf: String,
    session_id: String,
}

impl Admin {
    /// The hidden field every admin form carries.
    pub fn csrf_field(&self) -> String {
        format!("<input type=\"hidden\" name=\"csrf\" value=\"{}\">", esc(&self.csrf))
    }

    /// Refuses a form without this session's token (403).
    pub fn check_csrf(&self, form: &FormData) -> Result<(), PageError> {
        let sent = form.get("csrf").unwrap_or_default();
        if !sent.is_empty() && bool::from(sent.as_bytes().ct_eq(self.csrf.as_bytes())) {
            Ok(())
        } else {
            Err(PageError(ApiError::Forbidden("csrf_failed")))
        }
    }

    /// Who is acting, for the audit log.
    pub fn caller(&self) -> Caller {
        Caller { actor: format!("admin:{}", self.username) }
    }
}

fn cookie<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.trim())
}

fn session_id(token: &str) -> String {
    hex(&Sha256::digest(token.as_bytes()))
}

fn set_cookie(state: &AppState, name: &str, value: &str, path: &str, max_age: i64) -> String {
    let secure = if state.settings.is_https() { "; Secure" } else { "" };
    format!("{name}={value}; Path={path}; Max-Age={max_age}; HttpOnly; SameSite=Strict{secure}")
}

/// Signed out: JSON routes answer 401 in the API's envelope, pages go to the sign-in form.
#[derive(Debug)]
pub struct SignedOut {
    json: bool,
    next: String,
}

impl IntoResponse for SignedOut {
    fn into_response(self) -> Response {
        if self.json {
            return ApiError::Unauthorized.into_response();
        }
        see_other(&format!("/admin/sign-in?next={}", url_enc(&self.next)))
    }
}

impl FromRequestParts<AppState> for Admin {
    type Rejection = SignedOut;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let path = parts.uri.path();
        let json = path.ends_with(".json");
        let next = if parts.method == axum::http::Method::GET { path.to_owned() } else { "/admin".to_owned() };
        let signed_out = || SignedOut { json, next: next.clone() };
        let token = cookie(&parts.headers, SESSION_COOKIE).filter(|t| !t.is_empty()).ok_or_else(signed_out)?;
        let id = session_id(token);
        let session = match state.store.admin_session(&id, Utc::now()).await {
            Ok(Some(s)) => s,
            Ok(None) => return Err(signed_out()),
            Err(e) => {
                tracing::error!(error = %e, "reading an admin session");
                return Err(signed_out());
            }
        };
        // A user removed from the configuration loses their sessions at once.
        if !state.settings.admin.users.iter().any(|u| u.name == session.username) {
            return Err(signed_out());
        }
        Ok(Admin { username: session.username, csrf: session.csrf_token, session_id: id })
    }
}

#[derive(Debug, Deserialize)]
pub struct NextQuery {
    #[serde(default)]
    next: Option<String>,
}

/// Only our own admin pages: never another site (`//evil`, `/\evil`) after signing in.
fn safe_next(next: Option<&str>) -> String {
    match next {
        Some(n) if n.starts_with("/admin") && !n.contains("//") && !n.contains('\\') => n.to_owned(),
        _ => "/admin".to_owned(),
    }
}

fn sign_in_page(state: &AppState, status: StatusCode, message: Option<&str>, next: &str) -> Response {
    let token = new_tracking_token();
    let error = message.map(|m| format!("<p class=\"error\" role=\"alert\">{}</p>", esc(m))).unwrap_or_default();
    let body = format!(
        "<main class=\"narrow\"><h1>Sign in</h1>{error}\
         <form method=\"post\" action=\"/admin/sign-in\">\
         <input type=\"hidden\" name=\"csrf\" value=\"{token}\"><input type=\"hidden\" name=\"next\" value=\"{next}\">\
         <p><label for=\"username\">User name</label><input id=\"username\" name=\"username\" autocomplete=\"username\" required></p>\
         <p><label for=\"password\">Password</label><input id=\"password\" name=\"password\" type=\"password\" \
         autocomplete=\"current-password\" required></p>\
         <p><button type=\"submit\">Sign in</button></p></form></main>",
        next = esc(next),
    );
    let cookie = set_cookie(state, SIGN_IN_COOKIE, &token, "/admin/sign-in", 3600);
    (status, [(header::SET_COOKIE, cookie)], Html(document("Sign in · Shipping admin", "", &body))).into_response()
}

/// `GET /admin/sign-in`.
pub async fn sign_in_form(State(state): State<AppState>, Query(q): Query<NextQuery>) -> Response {
    sign_in_page(&state, StatusCode::OK, None, &safe_next(q.next.as_deref()))
}

/// `POST /admin/sign-in`: 303 to where the operator was going, or the form again (401).
pub async fn sign_in(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    body: Bytes,
) -> PageResult {
    if state.signin_limiter.check_key(&peer.ip()).is_err() {
        return Err(PageError(ApiError::RateLimited));
    }
    let form = FormData::parse(&body);
    let next = safe_next(form.get("next"));
    let sent = form.get("csrf").unwrap_or_default();
    let expected = cookie(&headers, SIGN_IN_COOKIE).unwrap_or_default();
    if sent.is_empty() || !bool::from(sent.as_bytes().ct_eq(expected.as_bytes())) {
        return Ok(sign_in_page(&state, StatusCode::FORBIDDEN, Some("The form expired; please sign in again."), &next));
    }
    let username = form.text("username").unwrap_or_default();
    let password = form.get("password").unwrap_or_default().to_owned();
    let user = state.settings.admin.users.iter().find(|u| u.name == username);
    let phc = user.map_or(crate::password::DUMMY_HASH.to_owned(), |u| u.password_hash.expose().to_owned());
    let matches = tokio::task::spawn_blocking(move || crate::password::verify(&password, &phc))
        .await
        .map_err(ApiError::internal)?;
    if !(matches && user.is_some()) {
        tracing::info!("admin sign-in refused");
        return Ok(sign_in_page(&state, StatusCode::UNAUTHORIZED, Some("Wrong user name or password."), &next));
    }
    let token = new_tracking_token();
    let ttl = i64::try_from(state.settings.admin.session_ttl_secs).unwrap_or(28_800);
    let expires = Utc::now() + chrono::Duration::seconds(ttl);
    state.store.create_admin_session(&session_id(&token), &username, &new_tracking_token(), expires).await?;
    tracing::info!(user = %username, "admin signed in");
    let mut response = see_other(&next);
    let h = response.headers_mut();
    h.append(
        header::SET_COOKIE,
        set_cookie(&state, SESSION_COOKIE, &token, "/", ttl).parse().map_err(ApiError::internal)?,
    );
    h.append(
        header::SET_COOKIE,
        set_cookie(&state, SIGN_IN_COOKIE, "", "/admin/sign-in", 0).parse().map_err(ApiError::internal)?,
    );
    Ok(response)
}

/// `POST /admin/sign-out`: the session is deleted server-side, the cookie cleared.
pub async fn sign_out(State(state): State<AppState>, admin: Admin, body: Bytes) -> PageResult {
    admin.check_csrf(&FormData::parse(&body))?;
    state.store.delete_admin_session(&admin.session_id).await?;
    let mut response = see_other("/admin/sign-in");
    response.headers_mut().append(
        header::SET_COOKIE,
        set_cookie(&state, SESSION_COOKIE, "", "/", 0).parse().map_err(ApiError::internal)?,
    );
    Ok(response)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_admin_paths_are_followed_after_sign_in() {
        assert_eq!(safe_next(Some("/admin/shipments?status=ndr")), "/admin/shipments?status=ndr");
        assert_eq!(safe_next(Some("//evil.example/admin")), "/admin");
        assert_eq!(safe_next(Some("/admin//evil.example")), "/admin");
        assert_eq!(safe_next(Some("https://evil.example")), "/admin");
        assert_eq!(safe_next(None), "/admin");
    }

    #[test]
    fn cookies_are_read_by_exact_name() {
        let mut h = HeaderMap::new();
        h.insert(header::COOKIE, "xsid=no; sid=yes; other=1".parse().unwrap_or_else(|_| unreachable!()));
        assert_eq!(cookie(&h, "sid"), Some("yes"));
        assert_eq!(cookie(&h, "signin"), None);
    }
}
