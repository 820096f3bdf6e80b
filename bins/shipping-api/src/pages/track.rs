//! `GET /track/{token}`: the customer's tracking page, in the shop's name and colours. It shows
//! what the JSON tracking shows (no names, phones, e-mails or addresses). In NDR the customer
//! can ask for a re-attempt on a date, or give a corrected phone or address: that becomes an
//! NDR action through the same code as `POST /v1/shipments/{id}/ndr-action`. The form carries a
//! token derived from the tracking token (HMAC), so another site cannot post it, and posts are
//! rate-limited per address.

use super::{FormData, PageError, PageResult, document, esc, see_other};
use crate::auth::{Caller, hex, hmac_sha256};
use crate::error::ApiError;
use crate::extract::ApiPath;
use crate::services::actions::{ActionBody, perform};
use crate::services::catalogue::Action;
use crate::services::tracking::{shipment_by_token, words};
use crate::state::AppState;
use axum::body::Bytes;
use axum::extract::{ConnectInfo, Query, State};
use axum::http::header;
use axum::response::{Html, IntoResponse, Response};
use chrono::{Duration, NaiveDate};
use serde::Deserialize;
use shipping_domain::{NdrDecision, ShipmentState as S};
use shipping_store::entities::shipment;
use std::net::SocketAddr;
use subtle::ConstantTimeEq;

fn not_found() -> PageError {
    PageError(ApiError::NotFound("We could not find this shipment. Check the link in your e-mail.".into()))
}

async fn shipment_of(state: &AppState, token: &str) -> Result<shipment::Model, PageError> {
    shipment_by_token(state, token).await?.ok_or_else(not_found)
}

/// The customer form's token: only someone who has the tracking link can make it.
fn form_token(state: &AppState, token: &str) -> String {
    hex(&hmac_sha256(&state.signing_key, format!("ndr-form:{token}").as_bytes()))
}

/// `GET /assets/theme.css`: the shop's colours (validated as hex at start).
pub async fn theme(State(state): State<AppState>) -> Response {
    let shop = &state.settings.shop;
    let css = format!(":root{{--primary:{};--accent:{};}}\n", shop.primary_color, shop.accent_color);
    ([(header::CONTENT_TYPE, "text/css; charset=utf-8"), (header::CACHE_CONTROL, "public, max-age=300")], css)
        .into_response()
}

#[derive(Debug, Deserialize)]
pub struct PageQuery {
    #[serde(default)]
    requested: Option<String>,
}

pub async fn page(
    State(state): State<AppState>,
    ApiPath(token): ApiPath<String>,
    Query(q): Query<PageQuery>,
) -> PageResult {
    let s = shipment_of(&state, &token).await?;
    let order = state.store.order(s.order_id).await?.map(|o| o.shop_order_id).unwrap_or_default();
    let events = state.store.tracking_events(s.id).await?;
    let shop = &state.settings.shop;
    let logo = if shop.logo_url.trim().is_empty() {
        String::new()
    } else {
        format!("<img class=\"logo\" src=\"{}\" alt=\"{}\">", esc(shop.logo_url.trim()), esc(&shop.name))
    };
    let now = shipping_store::steps::state_of(&s).ok();
    let delivered_at = (now == Some(S::Delivered)).then_some(s.delivered_at.or(s.last_event_at)).flatten();
    // The courier's latest estimate; before there is one, the shop's promise from the order
    // (admin.on_time_days).
    let expected = match delivered_at {
        Some(at) => format!("<p class=\"eta\">Delivered on {}</p>", at.format("%A, %e %B %Y")),
        None if matches!(
            now,
            Some(S::Cancelled | S::Lost | S::Damaged | S::RtoInitiated | S::RtoInTransit | S::RtoDelivered)
        ) =>
        {
            String::new()
        }
        None => format!(
            "<p class=\"eta\">Expected by {}</p>",
            s.expected_delivery_at
                .unwrap_or(s.created_at + Duration::days(i64::from(state.settings.admin.on_time_days)))
                .format("%A, %e %B %Y")
        ),
    };
    let courier = match (&s.courier_name, &s.awb) {
        (Some(c), Some(a)) => format!("<p>Courier: <strong>{}</strong> · AWB <strong>{}</strong></p>", esc(c), esc(a)),
        (None, Some(a)) => format!("<p>AWB <strong>{}</strong></p>", esc(a)),
        _ => "<p>A courier will be assigned soon.</p>".to_owned(),
    };
    let steps = if events.is_empty() {
        "<p>No updates from the courier yet.</p>".to_owned()
    } else {
        // Newest first: the customer wants the latest news on top.
        let items = events
            .iter()
            .rev()
            .map(|e| {
                format!(
                    "<li><time datetime=\"{iso}\">{when}</time><span class=\"what\">{status}</span><span class=\"where\">{place}</span></li>",
                    iso = e.occurred_at.to_rfc3339(),
                    when = e.occurred_at.format("%e %b %Y, %H:%M"),
                    status = esc(&e.status_label),
                    place = esc(e.location.as_deref().unwrap_or("")),
                )
            })
            .collect::<String>();
        format!("<ol class=\"steps\" id=\"timeline\">{items}</ol>")
    };
    let ndr = if matches!(now, Some(S::Ndr { .. })) {
        let asked = state.store.ndr_actions_of(s.id).await?.len() >= usize::try_from(s.ndr_attempts).unwrap_or(0);
        if asked || q.requested.is_some() {
            "<section class=\"card\" role=\"status\"><h2>Thank you</h2><p>Your request was passed to the courier.</p></section>".to_owned()
        } else {
            let today = chrono::Utc::now().date_naive();
            format!(
                "<section class=\"card\"><h2>We missed you</h2><p>The courier could not deliver. Choose a day for the next \
                 attempt, or correct your phone number or address.</p>\
                 <form method=\"post\" action=\"/track/{token}/ndr\">\
                 <input type=\"hidden\" name=\"csrf\" value=\"{csrf}\">\
                 <p><label for=\"date\">Deliver on</label><input id=\"date\" name=\"deferred_date\" type=\"date\" min=\"{min}\" max=\"{max}\"></p>\
                 <p><label for=\"phone\">Correct phone number (optional)</label><input id=\"phone\" name=\"phone\" type=\"tel\" inputmode=\"tel\" autocomplete=\"tel\"></p>\
                 <p><label for=\"address\">Correct address (optional)</label><textarea id=\"address\" name=\"address\" rows=\"2\"></textarea></p>\
                 <p><button type=\"submit\">Request a new delivery attempt</button></p></form></section>",
                token = esc(&token),
                csrf = form_token(&state, &token),
                min = today,
                max = today + Duration::days(7),
            )
        }
    } else {
        String::new()
    };
    // The return's status and scans only: no reason, no return id (see `returns_section`).
    let returns = super::returns::returns_section(&state, s.id, false).await?;
    let body = format!(
        "<header class=\"shop\">{logo}<span class=\"shop-name\">{shop_name}</span></header>\
         <main class=\"track\"><h1>Order {order}</h1><p class=\"status\" id=\"status\">{status}</p>{expected}{courier}{ndr}\
         {returns}<section><h2>Tracking history</h2>{steps}</section></main>",
        shop_name = esc(&shop.name),
        order = esc(&order),
        status = esc(words(&s)),
    );
    let title = format!("Track order {order} · {}", shop.name);
    Ok(Html(document(&title, "<link rel=\"stylesheet\" href=\"/assets/theme.css\">", &body)).into_response())
}

/// `POST /track/{token}/ndr`: the customer's re-attempt request.
pub async fn ndr_request(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    ApiPath(token): ApiPath<String>,
    body: Bytes,
) -> PageResult {
    if state.customer_form_limiter.check_key(&peer.ip()).is_err() {
        return Err(PageError(ApiError::RateLimited));
    }
    let form = FormData::parse(&body);
    let s = shipment_of(&state, &token).await?;
    let sent = form.get("csrf").unwrap_or_default();
    if !bool::from(sent.as_bytes().ct_eq(form_token(&state, &token).as_bytes())) {
        return Err(PageError(ApiError::Forbidden("csrf_failed")));
    }
    let deferred_date = form
        .text("deferred_date")
        .map(|d| {
            NaiveDate::parse_from_str(&d, "%Y-%m-%d").map_err(|_| ApiError::field("deferred_date", "must be a date"))
        })
        .transpose()?;
    let phone = form.text("phone");
    let address = form.text("address");
    if deferred_date.is_none() && phone.is_none() && address.is_none() {
        return Err(ApiError::field("deferred_date", "choose a day, or correct your phone number or address").into());
    }
    let body = ActionBody {
        action: Some(NdrDecision::ReAttempt.name().into()),
        comments: Some("Requested by the customer on the tracking page".into()),
        deferred_date,
        phone,
        address,
        ..ActionBody::default()
    };
    let customer = Caller { actor: "customer".into() };
    perform(&state, &customer, Action::NdrAction, &s, &body).await?;
    tracing::info!(shipment_id = s.id, "customer asked for a re-attempt");
    Ok(see_other(&format!("/track/{token}?requested=1")))
}
