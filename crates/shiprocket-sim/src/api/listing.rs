//! Order lookups: `orders` (list) and `orders/show/{id}`, and the order and shipment shapes
//! they (and the return list) answer with.

use super::{AppState, error, number, text};
use crate::lifecycle;
use crate::world::{Order, Shipment, World, fmt_ts};
use axum::Json;
use axum::extract::{Path, Query};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};
use std::collections::HashMap;

/// The order as the list endpoint shows it (`shipments` is an array here).
pub(super) fn list_item(w: &World, o: &Order) -> Value {
    let s = w.shipments.get(&o.shipment_id);
    let r = &o.request;
    let name = format!(
        "{} {}",
        text(r, "billing_customer_name").or_else(|| text(r, "pickup_customer_name")).unwrap_or_default(),
        text(r, "billing_last_name").unwrap_or_default()
    );
    let items = r["order_items"].as_array().cloned().unwrap_or_default();
    let products: Vec<Value> = items
        .iter()
        .enumerate()
        .map(|(i, it)| {
            json!({
                "id": 555_000_111 + i as u64, "channel_order_product_id": (555_000_111 + i as u64).to_string(),
                "name": text(it, "name"), "channel_sku": text(it, "sku"),
                "quantity": number(it, "units").unwrap_or(1.0) as u64, "product_id": 7_001_234 + i as u64,
                "available": 0, "status": "UNDEFINED", "hsn": text(it, "hsn").unwrap_or_default()
            })
        })
        .collect();
    let payment = text(r, "payment_method").unwrap_or_else(|| "prepaid".into()).to_ascii_lowercase();
    json!({
        "id": o.id,
        "channel_id": o.channel_id,
        "channel_name": "CUSTOM",
        "base_channel_code": "CS",
        "channel_order_id": o.channel_order_id,
        "customer_name": name.trim(),
        "customer_email": text(r, "billing_email").or_else(|| text(r, "pickup_email")),
        "customer_phone": text(r, "billing_phone").or_else(|| text(r, "pickup_phone")),
        "pickup_location": text(r, "pickup_location").unwrap_or_else(|| "Primary WH".into()),
        "payment_status": "",
        "total": format!("{:.2}", number(r, "sub_total").unwrap_or(0.0)),
        "tax": "0.00",
        "sla": "2 days",
        "shipping_method": "SR",
        "expedited": 0,
        "status": o.status,
        "status_code": o.status_code,
        "payment_method": payment,
        "is_international": 0,
        "purpose_of_shipment": 0,
        "channel_created_at": o.created_at.format("%d %b %Y, %I:%M %p").to_string(),
        "created_at": o.created_at.format("%d %b %Y, %I:%M %p").to_string(),
        "products": products,
        "shipments": s.map(|s| vec![shipment_item(s)]).unwrap_or_default(),
        "activities": ["ORDER_CREATED"],
        "allow_return": 0,
        "is_incomplete": 0,
        "errors": [],
        "show_escalation_btn": 0,
        "escalation_status": "",
        "escalation_history": []
    })
}

fn shipment_item(s: &Shipment) -> Value {
    let delivered = s.scans.iter().find(|sc| sc.status == Some(lifecycle::DELIVERED)).map(|sc| fmt_ts(sc.at));
    let rto = s
        .scans
        .iter()
        .find(|sc| sc.status == Some(lifecycle::RTO_DELIVERED))
        .map_or_else(|| "0000-00-00 00:00:00".to_owned(), |sc| fmt_ts(sc.at));
    json!({
        "id": s.id,
        "isd_code": "+91",
        "courier": s.courier.map(|c| c.1).unwrap_or_default(),
        "weight": s.weight,
        "dimensions": "25.000x20.000x4.000",
        "pickup_scheduled_date": s.pickup_scheduled_at.map(fmt_ts),
        "pickup_token_number": s.pickup_token,
        "awb": s.awb.clone().unwrap_or_default(),
        "return_awb": "",
        "volumetric_weight": 0.4,
        "pod": null,
        "etd": s.etd.map_or_else(|| "NA".to_owned(), fmt_ts),
        "rto_delivered_date": rto,
        "delivered_date": delivered,
        "etd_escalation_btn": false
    })
}

pub(super) fn paginate(items: Vec<Value>, query: &HashMap<String, String>) -> Value {
    let per_page = query.get("per_page").and_then(|p| p.parse::<usize>().ok()).filter(|p| *p > 0).unwrap_or(15);
    let page = query.get("page").and_then(|p| p.parse::<usize>().ok()).filter(|p| *p > 0).unwrap_or(1);
    let total = items.len();
    let total_pages = total.div_ceil(per_page);
    let data: Vec<Value> = items.into_iter().skip((page - 1) * per_page).take(per_page).collect();
    let mut links = serde_json::Map::new();
    if page < total_pages {
        links.insert("next".into(), json!(format!("?page={}", page + 1)));
    }
    if page > 1 && total_pages > 0 {
        links.insert("previous".into(), json!(format!("?page={}", page - 1)));
    }
    json!({"data": data, "meta": {"pagination": {
        "total": total, "count": data.len(), "per_page": per_page, "current_page": page,
        "total_pages": total_pages, "links": links
    }}})
}

/// `GET orders` — `search` matches the channel order id or an AWB; `filter_by=status&filter=…`.
pub async fn list(state: AppState, Query(query): Query<HashMap<String, String>>) -> Response {
    let w = state.world();
    let search = query.get("search").map(|s| s.trim().to_owned()).filter(|s| !s.is_empty());
    let status_filter: Option<Vec<u32>> = (query.get("filter_by").map(String::as_str) == Some("status")).then(|| {
        query.get("filter").map(|f| f.split(',').filter_map(|c| c.trim().parse().ok()).collect()).unwrap_or_default()
    });
    let items: Vec<Value> = w
        .orders
        .values()
        .rev()
        .filter(|o| !o.is_return)
        .filter(|o| {
            search.as_ref().is_none_or(|s| {
                o.channel_order_id == *s || w.shipments.get(&o.shipment_id).and_then(|sh| sh.awb.as_ref()) == Some(s)
            })
        })
        .filter(|o| status_filter.as_ref().is_none_or(|codes| codes.contains(&o.status_code)))
        .map(|o| list_item(&w, o))
        .collect();
    Json(paginate(items, &query)).into_response()
}

/// `GET orders/show/{id}` — `shipments` is an object here, `total` a number.
pub async fn show(state: AppState, Path(id): Path<String>) -> Response {
    let w = state.world();
    let Some(order) = id.parse::<u64>().ok().and_then(|id| w.orders.get(&id)) else {
        return error(StatusCode::BAD_REQUEST, "Order ID not found");
    };
    let mut data = list_item(&w, order);
    let total = number(&order.request, "sub_total").unwrap_or(0.0);
    data["total"] = json!(total);
    data["net_total"] = json!(format!("{total:.2}"));
    data["shipments"] = w.shipments.get(&order.shipment_id).map(shipment_item).unwrap_or(Value::Null);
    data["awb_data"] = json!({"awb": data["shipments"]["awb"], "charges": {}});
    data["others"] = json!({});
    Json(json!({"data": data})).into_response()
}
