//! Tracking (four shapes for one concept, quirk #7) and NDR.

use super::{AppState, error, invalid, parse_body, text};
use crate::lifecycle;
use crate::world::{Shipment, World, fmt_ts, scan_json, schedule};
use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, Query};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use chrono::{Duration, NaiveDate};
use serde_json::{Value, json};
use std::collections::HashMap;

const NOT_FOUND: &str =
    "Aahh! There is no activities found in our DB. Please have some patience it will be updated soon.";

fn not_found() -> Value {
    json!({"tracking_data": {"track_status": 0, "error": NOT_FOUND}})
}

/// `{"tracking_data": …}` for a shipment, or the HTTP-200 not-found body before any scan.
fn tracking(w: &World, s: &Shipment) -> Value {
    let (Some(awb), Some(status)) = (&s.awb, s.status) else { return not_found() };
    if s.scans.is_empty() {
        return not_found();
    }
    let order = w.orders.get(&s.order_id);
    let consignee = order.map(|o| {
        let r = &o.request;
        format!(
            "{} {}",
            text(r, "billing_customer_name").unwrap_or_default(),
            text(r, "billing_last_name").unwrap_or_default()
        )
        .trim()
        .to_owned()
    });
    let find = |st| s.scans.iter().find(|sc| sc.status == Some(st)).map(|sc| fmt_ts(sc.at));
    let city = crate::rates::city_of(&s.delivery_pincode);
    json!({"tracking_data": {
        "track_status": 1,
        "shipment_status": status.shipment,
        "shipment_track": [{
            "id": 298_000_000 + s.id % 1_000_000,
            "awb_code": awb,
            "courier_company_id": s.courier.map(|c| c.0),
            "shipment_id": s.id,
            "order_id": s.order_id,
            "pickup_date": find(if s.is_return { lifecycle::RETURN_PICKED_UP } else { lifecycle::PICKED_UP }),
            "delivered_date": find(if s.is_return { lifecycle::RETURN_DELIVERED } else { lifecycle::DELIVERED }),
            "weight": format!("{:.2}", s.weight),
            "packages": 1,
            "current_status": status.label,
            "delivered_to": city,
            "destination": city,
            "consignee_name": consignee,
            "origin": crate::rates::city_of(&s.pickup_pincode),
            "courier_agent_details": null,
            "courier_name": s.courier.map(|c| c.1),
            "edd": s.etd.map(fmt_ts),
            "pod": "Not Available",
            "pod_status": ""
        }],
        "shipment_track_activities": s.scans.iter().rev().map(scan_json).collect::<Vec<_>>(),
        "track_url": format!("https://shiprocket.co//tracking/{awb}"),
        "etd": s.etd.map(fmt_ts),
        "qc_response": {"qc_image": "", "qc_failed_reason": ""}
    }})
}

/// `GET courier/track/awb/{awb}`.
pub async fn by_awb(state: AppState, Path(awb): Path<String>) -> Response {
    let w = state.world();
    let body = w.by_awb.get(&awb).and_then(|id| w.shipments.get(id)).map_or_else(not_found, |s| tracking(&w, s));
    Json(body).into_response()
}

/// `GET courier/track/shipment/{id}`.
pub async fn by_shipment(state: AppState, Path(id): Path<String>) -> Response {
    let w = state.world();
    let body = id.parse::<u64>().ok().and_then(|id| w.shipments.get(&id)).map_or_else(not_found, |s| tracking(&w, s));
    Json(body).into_response()
}

/// `GET courier/track?order_id=<channel order id>` — a JSON array.
pub async fn by_order(state: AppState, Query(q): Query<HashMap<String, String>>) -> Response {
    let Some(channel_order_id) = q.get("order_id").filter(|v| !v.trim().is_empty()) else {
        return invalid("Oops! Invalid Data.", json!({"order_id": ["The order id field is required."]}));
    };
    let w = state.world();
    let list: Vec<Value> = w
        .by_channel
        .get(channel_order_id)
        .and_then(|id| w.orders.get(id))
        .and_then(|o| w.shipments.get(&o.shipment_id))
        .map(|s| vec![tracking(&w, s)])
        .unwrap_or_default();
    Json(list).into_response()
}

/// `POST courier/track/awbs` — an object keyed by AWB; unknown AWBs are left out.
pub async fn by_awbs(state: AppState, headers: HeaderMap, body: Bytes) -> Response {
    let body = parse_body(&headers, &body);
    let Some(awbs) = body.get("awbs").and_then(Value::as_array) else {
        return invalid("Oops! Invalid Data.", json!({"awbs": ["The awbs must be an array."]}));
    };
    if awbs.len() > 50 {
        return invalid("Oops! Invalid Data.", json!({"awbs": ["The awbs may not have more than 50 items."]}));
    }
    let w = state.world();
    let mut out = serde_json::Map::new();
    for awb in awbs.iter().filter_map(|a| a.as_str().map(str::to_owned).or_else(|| a.as_u64().map(|n| n.to_string()))) {
        if let Some(s) = w.by_awb.get(&awb).and_then(|id| w.shipments.get(id))
            && !s.scans.is_empty()
        {
            out.insert(awb, tracking(&w, s));
        }
    }
    Json(Value::Object(out)).into_response()
}

fn ndr_item(w: &World, s: &Shipment) -> Option<Value> {
    let ndr = s.ndr.as_ref()?;
    let r = w.orders.get(&s.order_id).map(|o| o.request.clone()).unwrap_or_default();
    Some(json!({
        "id": ndr.id,
        "shipment_id": s.id,
        "customer_name": format!("{} {}", text(&r, "billing_customer_name").unwrap_or_default(), text(&r, "billing_last_name").unwrap_or_default()).trim(),
        "customer_email": text(&r, "billing_email"),
        "customer_phone": text(&r, "billing_phone"),
        "customer_address": text(&r, "billing_address"),
        "customer_address_2": text(&r, "billing_address_2").unwrap_or_default(),
        "customer_city": text(&r, "billing_city"),
        "customer_state": text(&r, "billing_state"),
        "customer_pincode": s.delivery_pincode,
        "payment_status": "2",
        "status": if ndr.open { "UNDELIVERED" } else { "ACTION TAKEN" },
        "status_code": 36,
        "payment_method": if s.cod { "cod" } else { "prepaid" },
        "created_at": w.orders.get(&s.order_id).map(|o| o.created_at.format("%d %b %Y, %I:%M %p").to_string()),
        "reason": "Customer Not Available",
        "attempts": ndr.attempts,
        "ndr_raised_at": fmt_ts(ndr.raised_at),
        "courier": s.courier.map(|c| c.1),
        "awb_code": s.awb,
        "escalation_status": "N/A",
        "product_name": r["order_items"][0]["name"],
        "product_price": format!("{:.2}", s.declared_value),
        "shipment_channel_id": 5_123_456,
        "history": (1..=ndr.attempts).map(|i| json!({
            "id": 50_300_000 + u64::from(i), "ndr_id": ndr.id, "ndr_reason": "Customer Not Available",
            "action_by": 3, "ndr_attempt": i, "medium": null, "ndr_push_status": 0, "comment": "",
            "call_center_call_recording": "", "call_center_recording_date": "", "proof_recording": null,
            "proof_image": null, "sms_response": "No Response", "ndr_raised_at": fmt_ts(ndr.raised_at)
        })).collect::<Vec<_>>(),
        "delivered_date": ""
    }))
}

fn ndr_page(items: Vec<Value>) -> Value {
    let n = items.len();
    json!({"data": items, "meta": {"pagination": {"total": n, "count": n, "per_page": 15.max(n), "current_page": 1, "total_pages": 1, "links": {}}}})
}

/// `GET ndr/all` — open NDRs; `search` by AWB.
pub async fn ndr_all(state: AppState, Query(q): Query<HashMap<String, String>>) -> Response {
    let w = state.world();
    let search = q.get("search").filter(|s| !s.trim().is_empty());
    let items = w
        .shipments
        .values()
        .filter(|s| s.ndr.as_ref().is_some_and(|n| n.open))
        .filter(|s| search.is_none_or(|a| s.awb.as_ref() == Some(a)))
        .filter_map(|s| ndr_item(&w, s))
        .collect();
    Json(ndr_page(items)).into_response()
}

/// `GET ndr/{awb}`.
pub async fn ndr_one(state: AppState, Path(awb): Path<String>) -> Response {
    let w = state.world();
    let items =
        w.by_awb.get(&awb).and_then(|id| w.shipments.get(id)).and_then(|s| ndr_item(&w, s)).into_iter().collect();
    Json(ndr_page(items)).into_response()
}

/// `POST ndr/{awb}/action` — `re-attempt` / `return` / `fake-attempt`, `comments` required;
/// 202 `{"status": "Data Updated Sucessfully"}` (sic).
pub async fn ndr_action(state: AppState, Path(awb): Path<String>, headers: HeaderMap, body: Bytes) -> Response {
    let body = parse_body(&headers, &body);
    let action = text(&body, "action").unwrap_or_default();
    if !matches!(action.as_str(), "re-attempt" | "return" | "fake-attempt") {
        return invalid("Oops! Invalid Data.", json!({"action": ["The selected action is invalid."]}));
    }
    if text(&body, "comments").is_none() {
        return invalid("Oops! Invalid Data.", json!({"comments": ["The comments field is required."]}));
    }
    let mut w = state.world();
    let now = w.now();
    let Some(&sid) = w.by_awb.get(&awb) else { return error(StatusCode::BAD_REQUEST, "No NDR found for this AWB") };
    let Some(s) = w.shipments.get_mut(&sid) else { return error(StatusCode::BAD_REQUEST, "No NDR found for this AWB") };
    let Some(ndr) = s.ndr.as_mut().filter(|n| n.open) else {
        return error(StatusCode::BAD_REQUEST, "No NDR found for this AWB");
    };
    ndr.open = false;
    ndr.actions.push(action.clone());
    let start = match text(&body, "deferred_date").and_then(|d| NaiveDate::parse_from_str(&d, "%Y-%m-%d").ok()) {
        // Out for delivery that morning: the steps start 20 h before.
        Some(day) => day
            .and_hms_opt(9, 0, 0)
            .and_then(|t| t.and_local_timezone(crate::world::ist()).single())
            .map_or(now, |t| (t - Duration::hours(20)).max(now)),
        None => now,
    };
    s.plan = match action.as_str() {
        "return" => schedule(now, &lifecycle::rto_steps()),
        _ => schedule(start, &lifecycle::reattempt_steps()),
    };
    (StatusCode::ACCEPTED, Json(json!({"status": "Data Updated Sucessfully"}))).into_response()
}
