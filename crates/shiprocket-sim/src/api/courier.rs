//! Serviceability, AWB, pickup and shipment cancellation. Labels, manifests and invoices are in
//! `documents`.

use super::{AppState, error, id_array, invalid, number, parse_body, text};
use crate::lifecycle::{self, Path};
use crate::rates::{self, LaneError, Quote};
use crate::world::{Shipment, World, fmt_ts, schedule};
use axum::Json;
use axum::body::Bytes;
use axum::extract::Query;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use chrono::Duration;
use serde_json::{Value, json};
use std::collections::HashMap;

fn etd_text(w: &World, days: u32) -> String {
    (w.now() + Duration::days(i64::from(days))).format("%b %d, %Y").to_string()
}

/// `GET courier/serviceability/` — by lane and parcel, or by Shiprocket order id.
pub async fn serviceability(state: AppState, Query(q): Query<HashMap<String, String>>) -> Response {
    let mut w = state.world();
    let get = |k: &str| q.get(k).map(|v| v.trim().to_owned()).filter(|v| !v.is_empty());
    let (pickup, delivery, weight, cod, declared) = if let Some(order_id) = get("order_id") {
        let Some(s) =
            order_id.parse::<u64>().ok().and_then(|id| w.orders.get(&id)).and_then(|o| w.shipments.get(&o.shipment_id))
        else {
            return Json(json!({"status": 404, "message": "Order does not exist!"})).into_response();
        };
        (s.pickup_pincode.clone(), s.delivery_pincode.clone(), s.weight, s.cod, s.declared_value)
    } else {
        let mut errors = serde_json::Map::new();
        for (k, msg) in [
            ("weight", "The weight field is required when order id is not present."),
            ("cod", "The cod field is required when order id is not present."),
            ("pickup_postcode", "The pickup postcode field is required when order id is not present."),
            ("delivery_postcode", "The delivery postcode field is required when order id is not present."),
        ] {
            if get(k).is_none() {
                errors.insert(k.to_owned(), json!([msg]));
            }
        }
        if !errors.is_empty() {
            errors.insert(
                "order_id".into(),
                json!(["The order id field is required when pickup postcode / delivery postcode / cod / weight is not present."]),
            );
            return invalid("Required field missing", Value::Object(errors));
        }
        (
            get("pickup_postcode").unwrap_or_default(),
            get("delivery_postcode").unwrap_or_default(),
            get("weight").and_then(|w| w.parse().ok()).unwrap_or(f64::NAN),
            get("cod").is_some_and(|c| c == "1" || c == "true"),
            get("declared_value").and_then(|v| v.parse().ok()).unwrap_or(0.0),
        )
    };
    let key = format!("{pickup}|{delivery}|{weight}|{cod}|{declared}|{}", w.now().date_naive());
    if let Some(cached) = w.rate_answers.get(&key) {
        return json_bytes(cached.clone());
    }
    let answer = match rates_answer(&w, &pickup, &delivery, weight, cod, declared) {
        Ok(v) => Bytes::from(v.to_string()),
        Err(r) => return r,
    };
    if w.rate_answers.len() >= 10_000 {
        w.rate_answers.clear();
    }
    w.rate_answers.insert(key, answer.clone());
    json_bytes(answer)
}

fn json_bytes(body: Bytes) -> Response {
    ([(axum::http::header::CONTENT_TYPE, "application/json")], body).into_response()
}

/// The serviceability answer for a lane, or the error response Shiprocket gives.
fn rates_answer(
    w: &World,
    pickup: &str,
    delivery: &str,
    weight: f64,
    cod: bool,
    declared: f64,
) -> Result<Value, Response> {
    let quotes = match rates::quote(w.seed, pickup, delivery, weight, cod, declared) {
        Ok(q) => q,
        Err(LaneError::Invalid(fields)) => {
            let errors: serde_json::Map<String, Value> =
                fields.into_iter().map(|(k, m)| (k.to_owned(), json!([m]))).collect();
            return Err(invalid("Oops! Invalid Data.", Value::Object(errors)));
        }
        Err(LaneError::NotServiceable) => {
            return Ok(json!({"status": 404, "message": "Delivery postcode not serviceable"}));
        }
    };
    let recommended = rates::recommended(&quotes).map(|q| q.courier.id);
    let couriers: Vec<Value> = quotes
        .iter()
        .enumerate()
        .map(|(i, q)| {
            rates::courier_json(q, delivery, &etd_text(w, q.etd_days), 459_000_000 + q.courier.id * 10 + i as u64)
        })
        .collect();
    Ok(json!({
        "company_auto_shipment_insurance_setting": false,
        "covid_zones": {"delivery_zone": null, "pickup_zone": null},
        "currency": "INR",
        "data": {
            "available_courier_companies": couriers,
            "blocked_courier_companies": [],
            "child_courier_id": null,
            "is_recommendation_enabled": 1,
            "recommendation_advance_rule": 0,
            "recommended_by": {"id": 6, "title": "Recommendation By Shiprocket"},
            "recommended_courier_company_id": recommended,
            "shiprocket_recommended_courier_id": recommended
        },
        "dg_courier": 0,
        "eligible_for_insurance": false,
        "insurace_opted_at_order_creation": false,
        "is_allow_templatized_pricing": true,
        "is_latlong": 0,
        "is_old_zone_opted": false,
        "is_zone_from_mongo": true,
        "label_generate_type": 2,
        "on_new_zone": 2,
        "seller_address": [],
        "status": 200,
        "user_insurance_manadatory": false
    }))
}

fn awb_failure(reason: &str) -> Response {
    Json(json!({"awb_assign_status": 0, "response": {"data": {"awb_assign_error": reason}}})).into_response()
}

/// Picks the courier Shiprocket books. Delivery pincodes starting with 7 book another courier
/// than the one asked for (the cheapest other one), as the real API sometimes does.
fn booked_courier<'a>(quotes: &'a [Quote], requested: Option<u64>, delivery: &str) -> Result<&'a Quote, &'static str> {
    let recommended = rates::recommended(quotes).ok_or("No courier serviceable for this shipment")?;
    let Some(id) = requested else { return Ok(recommended) };
    let asked =
        quotes.iter().find(|q| q.courier.id == id).ok_or("Selected courier is not serviceable for this shipment")?;
    if delivery.starts_with('7') {
        return Ok(quotes.iter().find(|q| q.courier.id != id).unwrap_or(asked));
    }
    Ok(asked)
}

/// `POST courier/assign/awb` — success needs `awb_assign_status: 1`; refusals are HTTP 200.
pub async fn assign_awb(state: AppState, headers: HeaderMap, body: Bytes) -> Response {
    let body = parse_body(&headers, &body);
    if let Err(r) = super::require_with(&body, &["shipment_id"], "Required field missing") {
        return r;
    }
    let Some(shipment_id) = number(&body, "shipment_id").map(|n| n as u64) else {
        return error(StatusCode::BAD_REQUEST, "Invalid shipment id");
    };
    let reassign = text(&body, "status").as_deref() == Some("reassign");
    let mut w = state.world();
    let now = w.now();
    let seed = w.seed;
    let Some(s) = w.shipments.get(&shipment_id).cloned() else {
        return error(StatusCode::BAD_REQUEST, "Invalid shipment id");
    };
    if s.is_cancelled() {
        return awb_failure("Shipment is cancelled, AWB cannot be assigned");
    }
    if s.awb.is_some() && !reassign {
        return awb_failure("AWB is already assigned");
    }
    if reassign && (s.picked_up() || s.reassigned_at.is_some_and(|t| now - t < Duration::hours(24))) {
        return error(StatusCode::BAD_REQUEST, "Oops! Cannot reassign courier for this shipment.");
    }
    let quotes = match rates::quote(
        seed,
        &s.pickup_pincode,
        &s.delivery_pincode,
        s.weight,
        s.cod && !s.is_return,
        s.declared_value,
    ) {
        Ok(q) => q,
        Err(_) => return awb_failure("Courier not serviceable for the delivery pincode"),
    };
    let requested = number(&body, "courier_id").map(|n| n as u64).filter(|id| *id > 0);
    let quote = match booked_courier(&quotes, requested, &s.delivery_pincode) {
        Ok(q) => q.clone(),
        Err(reason) => return awb_failure(reason),
    };
    let awb = match (&s.awb, reassign) {
        (Some(old), true) => {
            w.by_awb.remove(old);
            w.next_awb()
        }
        _ => w.next_awb(),
    };
    let pickup_at = (now + Duration::days(1))
        .date_naive()
        .and_hms_opt(10, 0, 0)
        .map(|t| fmt_ts(t.and_local_timezone(crate::world::ist()).single().unwrap_or(now)));
    {
        let Some(sm) = w.shipments.get_mut(&shipment_id) else {
            return error(StatusCode::BAD_REQUEST, "Invalid shipment id");
        };
        sm.awb = Some(awb.clone());
        sm.courier = Some((quote.courier.id, quote.courier.name));
        sm.awb_assigned_at = Some(now);
        if reassign {
            sm.reassigned_at = Some(now);
        }
        sm.etd = Some(now + Duration::days(i64::from(quote.etd_days)));
    }
    w.by_awb.insert(awb.clone(), shipment_id);
    if let Some(o) = w.orders.get_mut(&s.order_id)
        && !s.is_return
    {
        o.status_code = 3;
        o.status = "READY TO SHIP".into();
    }
    let stamp = now.format("%Y-%m-%d %H:%M:%S%.6f").to_string();
    Json(json!({
        "awb_assign_status": 1,
        "response": {"data": {
            "courier_company_id": quote.courier.id,
            "awb_code": awb,
            "cod": u8::from(s.cod),
            "order_id": s.order_id,
            "shipment_id": shipment_id,
            "awb_code_status": 1,
            "assigned_date_time": {"date": stamp, "timezone_type": 3, "timezone": "Asia/Kolkata"},
            "applied_weight": quote.charge_weight,
            "company_id": 765432,
            "courier_name": quote.courier.name,
            "child_courier_name": null,
            "pickup_scheduled_date": pickup_at,
            "routing_code": format!("{}/{}", &s.delivery_pincode[..3.min(s.delivery_pincode.len())], quote.zone.to_ascii_uppercase()),
            "rto_routing_code": "",
            "invoice_no": format!("Retail{:06}", s.order_id % 1_000_000),
            "transporter_id": "",
            "transporter_name": "",
            "shipped_by": shipped_by(&s)
        }}
    }))
    .into_response()
}

fn shipped_by(s: &Shipment) -> Value {
    let pin = &s.pickup_pincode;
    json!({
        "shipper_company_name": "Example Store", "shipper_address_1": "Unit 4, Industrial Estate",
        "shipper_address_2": "Hadapsar", "shipper_city": rates::city_of(pin), "shipper_state": rates::state_of(pin),
        "shipper_country": "India", "shipper_postcode": pin, "shipper_first_mile_activated": 0,
        "shipper_phone": "9800000009", "lat": "18.508", "long": "73.926", "shipper_email": "ops@example-store.in",
        "rto_company_name": "Example Store", "rto_address_1": "Unit 4, Industrial Estate", "rto_address_2": "Hadapsar",
        "rto_city": rates::city_of(pin), "rto_state": rates::state_of(pin), "rto_country": "India", "rto_postcode": pin,
        "rto_phone": "9800000009", "rto_email": "ops@example-store.in"
    })
}

/// `POST courier/generate/pickup` — one shipment, AWB first; starts the forward lifecycle, or
/// for a return shipment the reverse pickup's (from the customer back to the warehouse).
/// The reference documents pickup for shipments without a word on returns; as for a forward
/// parcel, nothing moves before the pickup is asked for (assumption: a return's pickup is
/// generated the same way, and its first scan is "Return Pickup Generated").
pub async fn generate_pickup(state: AppState, headers: HeaderMap, body: Bytes) -> Result<Response, Response> {
    let body = parse_body(&headers, &body);
    let ids = id_array(&body, "shipment_id", false)?;
    let mut w = state.world();
    let now = w.now();
    let seed = w.seed;
    let [shipment_id] = ids.as_slice() else { return Err(error(StatusCode::BAD_REQUEST, "Invalid shipment id")) };
    let Some(s) = w.shipments.get(shipment_id).cloned() else {
        return Err(error(StatusCode::BAD_REQUEST, "Invalid shipment id"));
    };
    if s.awb.is_none() || s.is_cancelled() {
        return Err(error(StatusCode::BAD_REQUEST, "Invalid shipment id"));
    }
    if s.pickup_scheduled_at.is_some() && text(&body, "status").as_deref() != Some("retry") {
        return Err(error(StatusCode::BAD_REQUEST, "Pickup is already generated for this shipment"));
    }
    let token = format!("Reference No: 194_EXAMPLE {}_{}", s.id % 10_000_000, now.format("%d%m%Y"));
    let path: Path = s.path(seed);
    let steps = if s.is_return { lifecycle::return_steps() } else { lifecycle::forward_steps(path) };
    if let Some(sm) = w.shipments.get_mut(shipment_id) {
        sm.pickup_scheduled_at = Some(now);
        sm.pickup_token = Some(token.clone());
        sm.plan = schedule(now, &steps);
    }
    if s.is_return {
        // The return's first step ("Return Pickup Generated") is due now.
        w.process_due();
    } else {
        if let Some(o) = w.orders.get_mut(&s.order_id) {
            o.status_code = 4;
        }
        w.apply_status(*shipment_id, lifecycle::PICKUP_SCHEDULED, now);
    }
    let courier = s.courier.map(|c| c.1).unwrap_or_default();
    Ok(Json(json!({
        "pickup_status": 1,
        "response": {
            "pickup_scheduled_date": fmt_ts(now),
            "pickup_token_number": token,
            "status": 3,
            "others": "{\"tier_id\":5,\"etd_zone\":\"z_d\"}",
            "pickup_generated_date": {"date": now.format("%Y-%m-%d %H:%M:%S%.6f").to_string(), "timezone_type": 3, "timezone": "Asia/Kolkata"},
            "data": format!("Pickup is confirmed by {courier} For AWB :- {}", s.awb.unwrap_or_default())
        }
    }))
    .into_response())
}

/// `POST orders/cancel/shipment/awbs` — 204, asynchronous; only before pickup.
pub async fn cancel_awbs(state: AppState, headers: HeaderMap, body: Bytes) -> Response {
    let body = parse_body(&headers, &body);
    let awbs: Vec<String> = match body.get("awbs") {
        Some(Value::Array(a)) if !a.is_empty() => a
            .iter()
            .filter_map(|v| v.as_str().map(str::to_owned).or_else(|| v.as_u64().map(|n| n.to_string())))
            .collect(),
        Some(Value::Array(_)) | None | Some(Value::Null) => {
            return invalid("Required field missing", json!({"awbs": ["The awbs field is required."]}));
        }
        Some(_) => return invalid("Oops! Invalid Data.", json!({"awbs": ["The awbs must be an array."]})),
    };
    let mut w = state.world();
    for awb in awbs {
        let Some(&sid) = w.by_awb.get(&awb) else { continue };
        let Some(s) = w.shipments.get(&sid) else { continue };
        if s.picked_up() || s.is_cancelled() {
            continue;
        }
        let order_id = s.order_id;
        super::orders::cancel_order(&mut w, order_id);
    }
    (
        StatusCode::NO_CONTENT,
        Json(json!({"message": "Bulk Shipment cancellation is in progress. Please wait for some time."})),
    )
        .into_response()
}
