//! Orders: create (with Shiprocket's non-idempotent repeat behaviours), update, address
//! update and cancel. Lookups are in `listing`, returns in `returns`.

use super::{AppState, error, flag, invalid, number, parse_body, require, text};
use crate::world::{Order, Shipment, World};
use crate::{CancelledOrderMode, DuplicateOrderMode, lifecycle};
use axum::Json;
use axum::body::Bytes;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

const CHANNEL_ID: u64 = 5_123_456;

const ORDER_FIELDS: &[&str] = &[
    "order_id",
    "order_date",
    "pickup_location",
    "billing_customer_name",
    "billing_address",
    "billing_city",
    "billing_pincode",
    "billing_state",
    "billing_country",
    "billing_email",
    "billing_phone",
];

/// The items, payment and parcel fields every create body needs (orders and returns).
pub(super) const PARCEL_FIELDS: &[&str] =
    &["order_items", "payment_method", "sub_total", "length", "breadth", "height", "weight"];

const SHIPPING_FIELDS: &[&str] = &[
    "shipping_customer_name",
    "shipping_address",
    "shipping_city",
    "shipping_pincode",
    "shipping_country",
    "shipping_state",
    "shipping_phone",
];

pub(super) fn taken() -> Response {
    invalid("Oops! Invalid Data.", json!({"order_id": ["The order id has already been taken."]}))
}

pub(super) fn validate_items(body: &Value) -> Result<(), Response> {
    let Some(items) = body["order_items"].as_array() else {
        return Err(invalid("Oops! Invalid Data.", json!({"order_items": ["The order items must be an array."]})));
    };
    let mut errors = serde_json::Map::new();
    for (i, item) in items.iter().enumerate() {
        for f in ["name", "sku", "units", "selling_price"] {
            if text(item, f).is_none() {
                errors.insert(
                    format!("order_items.{i}.{f}"),
                    json!([format!("The order_items.{i}.{f} field is required.")]),
                );
            }
        }
        if number(item, "units").is_some_and(|u| u < 1.0) {
            errors.insert(format!("order_items.{i}.units"), json!(["The units must be at least 1."]));
        }
    }
    if errors.is_empty() { Ok(()) } else { Err(invalid("Oops! Invalid Data.", Value::Object(errors))) }
}

pub(super) fn validate_dimensions(body: &Value) -> Result<(), Response> {
    let mut errors = serde_json::Map::new();
    for f in ["length", "breadth", "height"] {
        if number(body, f).is_none_or(|v| v <= 0.5) {
            errors.insert(f.to_owned(), json!([format!("The {f} must be greater than 0.5.")]));
        }
    }
    if number(body, "weight").is_none_or(|v| v <= 0.0) {
        errors.insert("weight".to_owned(), json!(["The weight must be greater than 0."]));
    }
    if errors.is_empty() { Ok(()) } else { Err(invalid("Oops! Invalid Data.", Value::Object(errors))) }
}

/// The answer to create (and to a repeated create that hands back the order).
fn created_json(w: &World, order: &Order) -> Value {
    let s = w.shipments.get(&order.shipment_id);
    json!({
        "order_id": order.id,
        "shipment_id": order.shipment_id,
        "status": order.status,
        "status_code": order.status_code,
        "onboarding_completed_now": 0,
        "awb_code": s.and_then(|s| s.awb.clone()),
        "courier_company_id": s.and_then(|s| s.courier.map(|c| c.0)),
        "courier_name": s.and_then(|s| s.courier.map(|c| c.1)),
    })
}

/// `POST orders/create/adhoc`.
pub async fn create(state: AppState, headers: HeaderMap, body: Bytes) -> Response {
    let body = parse_body(&headers, &body);
    if let Err(r) = require(&body, &[ORDER_FIELDS, PARCEL_FIELDS].concat()) {
        return r;
    }
    if !flag(&body, "shipping_is_billing")
        && let Err(r) = require(&body, SHIPPING_FIELDS)
    {
        return r;
    }
    if let Err(r) = validate_items(&body)
        .and_then(|()| validate_dimensions(&body))
        .and_then(|()| validate_phones(&body, &["billing_phone", "shipping_phone"]))
    {
        return r;
    }
    if let Some(channel) = number(&body, "channel_id")
        && channel as u64 != CHANNEL_ID
    {
        return error(StatusCode::BAD_REQUEST, "Given channel id does not exist");
    }
    let channel_order_id = text(&body, "order_id").unwrap_or_default();
    if channel_order_id.chars().count() > 50 {
        return invalid(
            "Oops! Invalid Data.",
            json!({"order_id": ["The order id may not be greater than 50 characters."]}),
        );
    }
    let mut w = state.world();
    let pickup_location = text(&body, "pickup_location").unwrap_or_default();
    let Some(pickup_pin) = w
        .pickup_locations
        .iter()
        .find(|l| l["pickup_location"].as_str() == Some(pickup_location.as_str()))
        .and_then(|l| l["pin_code"].as_str().map(str::to_owned))
    else {
        return invalid(
            "Wrong Pickup location entered. Please choose one location from data given",
            json!({"pickup_location": ["The selected pickup location is invalid."]}),
        );
    };
    if let Some(existing) = w.by_channel.get(&channel_order_id).and_then(|id| w.orders.get(id)) {
        let cancelled = existing.status_code == 5;
        return match (cancelled, w.modes.cancelled_order, w.modes.duplicate_order) {
            (true, CancelledOrderMode::Reject422, _) => taken(),
            (true, CancelledOrderMode::ReturnCancelled, _) | (false, _, DuplicateOrderMode::ReturnExisting) => {
                Json(created_json(&w, existing)).into_response()
            }
            (false, _, DuplicateOrderMode::Reject422) => taken(),
        };
    }
    let delivery_pin = if flag(&body, "shipping_is_billing") {
        text(&body, "billing_pincode")
    } else {
        text(&body, "shipping_pincode")
    }
    .unwrap_or_default();
    let order = open_order(&mut w, channel_order_id, (1, "NEW"), false, (pickup_pin, delivery_pin), &body);
    Json(created_json_parts(&order)).into_response()
}

/// Records a new order and its shipment under fresh ids (`pins`: pickup, delivery), as create
/// and return create do, and counts it.
pub(super) fn open_order(
    w: &mut World,
    channel_order_id: String,
    (status_code, status): (u32, &str),
    is_return: bool,
    (pickup_pin, delivery_pin): (String, String),
    body: &Value,
) -> Order {
    let (order_id, shipment_id) = w.next_ids();
    let order = Order {
        id: order_id,
        channel_order_id: channel_order_id.clone(),
        channel_id: CHANNEL_ID,
        created_at: w.now(),
        status_code,
        status: status.into(),
        shipment_id,
        is_return,
        request: body.clone(),
    };
    let shipment = new_shipment(shipment_id, &order, pickup_pin, delivery_pin, body);
    w.by_channel.insert(channel_order_id.clone(), order_id);
    w.orders.insert(order_id, order.clone());
    w.shipments.insert(shipment_id, shipment);
    *w.counters.orders_created.entry(channel_order_id).or_default() += 1;
    order
}

fn created_json_parts(order: &Order) -> Value {
    json!({
        "order_id": order.id, "shipment_id": order.shipment_id, "status": order.status,
        "status_code": order.status_code, "onboarding_completed_now": 0,
        "awb_code": null, "courier_company_id": null, "courier_name": null,
    })
}

fn new_shipment(id: u64, order: &Order, pickup_pin: String, delivery_pin: String, body: &Value) -> Shipment {
    Shipment {
        id,
        order_id: order.id,
        channel_order_id: order.channel_order_id.clone(),
        is_return: order.is_return,
        pickup_pincode: pickup_pin,
        delivery_pincode: delivery_pin,
        cod: text(body, "payment_method").is_some_and(|p| p.eq_ignore_ascii_case("cod")),
        weight: number(body, "weight").unwrap_or(0.5),
        declared_value: number(body, "sub_total").unwrap_or(0.0),
        awb: None,
        courier: None,
        awb_assigned_at: None,
        reassigned_at: None,
        pickup_scheduled_at: None,
        pickup_token: None,
        status: None,
        scans: Vec::new(),
        forced_path: None,
        plan: Default::default(),
        ndr: None,
        manifested: false,
        etd: None,
    }
}

/// `POST orders/update/adhoc` — items only, before an AWB; other fields are listed as ignored.
pub async fn update(state: AppState, headers: HeaderMap, body: Bytes) -> Response {
    let body = parse_body(&headers, &body);
    if let Err(r) = require(&body, &["order_id", "order_items"]).and_then(|()| validate_items(&body)) {
        return r;
    }
    let channel_order_id = text(&body, "order_id").unwrap_or_default();
    let mut w = state.world();
    let Some(&order_id) = w.by_channel.get(&channel_order_id) else {
        return invalid("Oops! Invalid Data.", json!({"order_id": ["The selected order id is invalid."]}));
    };
    let Some(order) = w.orders.get(&order_id).cloned() else {
        return invalid("Oops! Invalid Data.", json!({"order_id": ["The selected order id is invalid."]}));
    };
    if let Some(refusal) = not_updatable(&w, &order) {
        return refusal;
    }
    let ignored: Vec<&str> = body
        .as_object()
        .map(|m| {
            m.keys().map(String::as_str).filter(|k| !matches!(*k, "order_id" | "order_items" | "is_document")).collect()
        })
        .unwrap_or_default();
    if let Some(o) = w.orders.get_mut(&order_id) {
        o.request["order_items"] = body["order_items"].clone();
    }
    Json(json!({
        "success": true,
        "partially_update": !ignored.is_empty(),
        "not_updated_fields": ignored.join(" ,"),
        "order_id": order.id,
        "shipment_id": order.shipment_id,
        "new_order_status": order.status,
        "old_order_status": order.status_code,
        "awb_code": "",
        "courier_company_id": "",
        "courier_name": "",
    }))
    .into_response()
}

/// Why an order can no longer be changed: an AWB is assigned (documented: "only before AWB
/// assignment"), or it is cancelled. The reference is silent on the cancelled case; we assume
/// Shiprocket refuses it the same way, with a 400 naming the reason.
fn not_updatable(w: &World, order: &Order) -> Option<Response> {
    if order.status_code == 5 {
        return Some(error(StatusCode::BAD_REQUEST, "Order can not be updated as it is cancelled"));
    }
    if w.shipments.get(&order.shipment_id).is_some_and(|s| s.awb.is_some()) {
        return Some(error(StatusCode::BAD_REQUEST, "Order can not be updated after AWB assignment"));
    }
    None
}

const ADDRESS_FIELDS: &[&str] = &[
    "order_id",
    "shipping_customer_name",
    "shipping_phone",
    "shipping_address",
    "shipping_city",
    "shipping_state",
    "shipping_country",
    "shipping_pincode",
];

/// `POST orders/address/update` — the delivery address, by Shiprocket order id; 202 with an
/// empty body (documented), 422 "The selected order id is invalid." for an unknown id. The body
/// is not published: we read the create body's `shipping_*` fields. Refused like an update once
/// an AWB is assigned or the order is cancelled (assumed: a courier is booked for the old
/// address). The new pincode becomes the shipment's delivery pincode.
pub async fn update_address(state: AppState, headers: HeaderMap, body: Bytes) -> Response {
    let body = parse_body(&headers, &body);
    if let Err(r) = require(&body, ADDRESS_FIELDS) {
        return r;
    }
    let invalid_id =
        || invalid("The selected order id is invalid.", json!({"order_id": ["The selected order id is invalid."]}));
    let Some(order_id) = number(&body, "order_id").map(|n| n as u64) else { return invalid_id() };
    let mut w = state.world();
    let Some(order) = w.orders.get(&order_id).cloned() else { return invalid_id() };
    if let Some(refusal) = not_updatable(&w, &order) {
        return refusal;
    }
    if let Err(r) = validate_phones(&body, &["shipping_phone"]) {
        return r;
    }
    if let Some(o) = w.orders.get_mut(&order_id) {
        for f in ADDRESS_FIELDS.iter().skip(1).chain(&["shipping_last_name", "shipping_address_2"]) {
            if let Some(v) = body.get(*f) {
                o.request[*f] = v.clone();
            }
        }
        o.request["shipping_is_billing"] = json!(false);
    }
    if let Some(s) = w.shipments.get_mut(&order.shipment_id) {
        s.delivery_pincode = text(&body, "shipping_pincode").unwrap_or_default();
    }
    StatusCode::ACCEPTED.into_response()
}

/// Phones: 10 digits (documented, "int (10 digits; strings accepted)"). Also refused, as a
/// documented rule of this simulator (see the README): ten times the same digit, the
/// placeholder a checkout gets when the buyer will not give a number. The top-level message is
/// the one the reference documents for a bad pickup-location phone.
fn validate_phones(body: &Value, fields: &[&str]) -> Result<(), Response> {
    let mut errors = serde_json::Map::new();
    for f in fields {
        let Some(phone) = text(body, f) else { continue };
        let ten_digits = phone.len() == 10 && phone.bytes().all(|b| b.is_ascii_digit());
        let placeholder = phone.bytes().all(|b| Some(b) == phone.bytes().next());
        if !ten_digits || placeholder {
            errors.insert(
                (*f).to_owned(),
                json!([format!("The {} must be a valid mobile number.", f.replace('_', " "))]),
            );
        }
    }
    if errors.is_empty() { Ok(()) } else { Err(invalid("Not a valid mobile number", Value::Object(errors))) }
}

/// Cancels an order's shipment (scan and webhook when it has an AWB) and the order.
pub(crate) fn cancel_order(w: &mut World, order_id: u64) {
    let now = w.now();
    let Some(order) = w.orders.get(&order_id) else { return };
    let shipment_id = order.shipment_id;
    if let Some(s) = w.shipments.get_mut(&shipment_id) {
        s.plan.clear();
        if s.ndr.as_ref().is_some_and(|n| n.open)
            && let Some(n) = s.ndr.as_mut()
        {
            n.open = false;
        }
    }
    let has_awb = w.shipments.get(&shipment_id).is_some_and(|s| s.awb.is_some());
    if has_awb {
        w.apply_status(shipment_id, lifecycle::CANCELLED, now);
    } else if let Some(s) = w.shipments.get_mut(&shipment_id) {
        s.status = Some(lifecycle::CANCELLED);
    }
    if let Some(o) = w.orders.get_mut(&order_id) {
        o.status_code = 5;
        o.status = "CANCELED".into();
    }
}

/// `POST orders/cancel` — 204; an unknown id is PHP's 500 (quirk #12).
pub async fn cancel(state: AppState, headers: HeaderMap, body: Bytes) -> Response {
    let body = parse_body(&headers, &body);
    let ids = match super::id_array(&body, "ids", false) {
        Ok(ids) if !ids.is_empty() => ids,
        Ok(_) => return invalid("Required field missing", json!({"ids": ["The ids field is required."]})),
        Err(r) => return r,
    };
    let mut w = state.world();
    if ids.iter().any(|id| !w.orders.contains_key(id)) {
        return error(StatusCode::INTERNAL_SERVER_ERROR, "Trying to get property of non-object");
    }
    if ids
        .iter()
        .any(|id| w.orders.get(id).and_then(|o| w.shipments.get(&o.shipment_id)).is_some_and(Shipment::picked_up))
    {
        return error(StatusCode::BAD_REQUEST, "Order cannot be cancelled once it has been picked up");
    }
    for id in ids {
        cancel_order(&mut w, id);
    }
    StatusCode::NO_CONTENT.into_response()
}
