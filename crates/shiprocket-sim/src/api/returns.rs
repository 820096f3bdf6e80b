//! Returns: `orders/create/return` and `orders/processing/return` (list).

use super::listing::{list_item, paginate};
use super::orders::{PARCEL_FIELDS, open_order, taken, validate_dimensions, validate_items};
use super::{AppState, parse_body, require, text};
use axum::Json;
use axum::body::Bytes;
use axum::extract::Query;
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};
use std::collections::HashMap;

/// What a return body needs besides [`PARCEL_FIELDS`].
const RETURN_FIELDS: &[&str] = &[
    "order_id",
    "order_date",
    "pickup_customer_name",
    "pickup_address",
    "pickup_city",
    "pickup_state",
    "pickup_country",
    "pickup_pincode",
    "pickup_email",
    "pickup_phone",
    "shipping_customer_name",
    "shipping_address",
    "shipping_city",
    "shipping_country",
    "shipping_pincode",
    "shipping_state",
    "shipping_phone",
];

/// `POST orders/create/return` — a repeated id is always a 422 here (documented).
pub async fn create_return(state: AppState, headers: HeaderMap, body: Bytes) -> Response {
    let body = parse_body(&headers, &body);
    if let Err(r) = require(&body, &[RETURN_FIELDS, PARCEL_FIELDS].concat())
        .and_then(|()| validate_items(&body))
        .and_then(|()| validate_dimensions(&body))
    {
        return r;
    }
    let channel_order_id = text(&body, "order_id").unwrap_or_default();
    let mut w = state.world();
    if w.by_channel.contains_key(&channel_order_id) {
        return taken();
    }
    let pins = (text(&body, "pickup_pincode").unwrap_or_default(), text(&body, "shipping_pincode").unwrap_or_default());
    let order = open_order(&mut w, channel_order_id, (21, "RETURN PENDING"), true, pins, &body);
    let (order_id, shipment_id) = (order.id, order.shipment_id);
    Json(json!({"order_id": order_id, "shipment_id": shipment_id, "status": "RETURN PENDING", "status_code": 21, "company_name": "Example Store"}))
        .into_response()
}

/// `GET orders/processing/return`.
pub async fn list_returns(state: AppState, Query(query): Query<HashMap<String, String>>) -> Response {
    let w = state.world();
    let items: Vec<Value> = w
        .orders
        .values()
        .rev()
        .filter(|o| o.is_return)
        .map(|o| {
            let mut item = list_item(&w, o);
            item["shipment_id"] = json!(o.shipment_id);
            item["in_queue"] = json!(0);
            item
        })
        .collect();
    Json(paginate(items, &query)).into_response()
}
