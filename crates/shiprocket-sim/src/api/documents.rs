//! Documents: shipping labels, manifests and invoices, rendered as PDFs and served from public
//! URLs as Shiprocket's S3 links are.

use super::{AppState, error, flag, id_array, number, parse_body, text};
use crate::pdf::{Document, render};
use crate::rates;
use crate::world::{Shipment, World, fmt_ts};
use axum::Json;
use axum::body::Bytes;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::json;

/// Stores a PDF and returns its public URL (real labels live on public S3 URLs).
fn store_document(state: &AppState, w: &mut World, name: String, doc: &Document) -> String {
    w.documents.insert(name.clone(), render(doc));
    format!("{}/__sim/documents/{name}", state.base_url)
}

fn address_lines(w: &World, s: &Shipment) -> Vec<String> {
    let r = w.orders.get(&s.order_id).map(|o| o.request.clone()).unwrap_or_default();
    let (prefix, pin) = if text(&r, "shipping_address").is_some() && !flag(&r, "shipping_is_billing") {
        ("shipping", text(&r, "shipping_pincode"))
    } else {
        ("billing", text(&r, "billing_pincode"))
    };
    let name_key =
        if prefix == "billing" { "billing_customer_name".to_owned() } else { "shipping_customer_name".to_owned() };
    vec![
        format!(
            "Ship to: {} {}",
            text(&r, &name_key).or_else(|| text(&r, "shipping_customer_name")).unwrap_or_default(),
            text(&r, &format!("{prefix}_last_name")).unwrap_or_default()
        ),
        format!(
            "  {} {}",
            text(&r, &format!("{prefix}_address")).or_else(|| text(&r, "pickup_address")).unwrap_or_default(),
            text(&r, &format!("{prefix}_address_2")).unwrap_or_default()
        ),
        format!(
            "  {}, {} {}",
            text(&r, &format!("{prefix}_city")).unwrap_or_default(),
            text(&r, &format!("{prefix}_state")).unwrap_or_default(),
            pin.unwrap_or_else(|| s.delivery_pincode.clone())
        ),
        format!(
            "From: Example Store, Unit 4, Industrial Estate, {} {}",
            rates::city_of(&s.pickup_pincode),
            s.pickup_pincode
        ),
    ]
}

/// `POST courier/generate/label` — `shipment_id` must be an array; `label_created: 0` in a 200
/// when none has an AWB.
pub async fn generate_label(state: AppState, headers: HeaderMap, body: Bytes) -> Result<Response, Response> {
    let body = parse_body(&headers, &body);
    let ids = id_array(&body, "shipment_id", false)?;
    let mut w = state.world();
    let (ok, not_created): (Vec<u64>, Vec<u64>) =
        ids.iter().partition(|id| w.shipments.get(id).is_some_and(|s| s.awb.is_some() && !s.is_cancelled()));
    if ok.is_empty() {
        return Err(Json(
            json!({"label_created": 0, "not_created": not_created, "response": "No valid shipment ids to print label"}),
        )
        .into_response());
    }
    let mut lines = Vec::new();
    let mut barcode = None;
    for id in &ok {
        let Some(s) = w.shipments.get(id).cloned() else { continue };
        let awb = s.awb.clone().unwrap_or_default();
        barcode.get_or_insert(awb.clone());
        lines.push(format!("AWB: {awb}"));
        lines.push(format!("Courier: {}", s.courier.map(|c| c.1).unwrap_or_default()));
        lines.push(format!("Order: {}   Shipment: {}", s.channel_order_id, s.id));
        lines.push(format!(
            "Payment: {}   Weight: {:.2} kg",
            if s.cod { format!("COD Rs {:.2}", s.declared_value) } else { "Prepaid".into() },
            s.weight
        ));
        lines.extend(address_lines(&w, &s));
        lines.push(String::new());
    }
    let name = format!("shipping-label-{}.pdf", ok.iter().map(u64::to_string).collect::<Vec<_>>().join("-"));
    let url = store_document(&state, &mut w, name, &Document { title: "Shipping Label".into(), lines, barcode });
    Ok(Json(json!({"label_created": 1, "label_url": url, "response": "Label has been created and uploaded successfully!", "not_created": not_created}))
        .into_response())
}

/// `POST manifests/generate` — needs AWB and pickup; a repeat is a 400 listing the ids.
pub async fn generate_manifest(state: AppState, headers: HeaderMap, body: Bytes) -> Result<Response, Response> {
    let body = parse_body(&headers, &body);
    let ids = id_array(&body, "shipment_id", false)?;
    if ids.is_empty() {
        return Ok(Json(json!({"status": 1, "manifest_url": ""})).into_response());
    }
    let mut w = state.world();
    let already: Vec<u64> =
        ids.iter().copied().filter(|id| w.shipments.get(id).is_some_and(|s| s.manifested)).collect();
    if !already.is_empty() {
        return Err((
            StatusCode::BAD_REQUEST,
            Json(json!({
                "message": "Manifest already generated for some shipment_ids, Please try again after removin them",
                "status_code": 400,
                "already_manifested_shipment_ids": already
            })),
        )
            .into_response());
    }
    if ids.iter().any(|id| w.shipments.get(id).is_none_or(|s| s.pickup_scheduled_at.is_none() || s.is_cancelled())) {
        return Err(error(StatusCode::BAD_REQUEST, "Invalid shipment id"));
    }
    let mut lines = vec![format!("Generated: {}", fmt_ts(w.now())), String::new()];
    for id in &ids {
        if let Some(s) = w.shipments.get_mut(id) {
            s.manifested = true;
            lines.push(format!(
                "{}  AWB {}  {}  {}",
                s.channel_order_id,
                s.awb.clone().unwrap_or_default(),
                s.courier.map(|c| c.1).unwrap_or_default(),
                if s.cod { "COD" } else { "Prepaid" }
            ));
        }
    }
    let name = format!("MANIFEST-{:04}.pdf", w.documents.len() + 1);
    let url = store_document(&state, &mut w, name, &Document { title: "Pickup Manifest".into(), lines, barcode: None });
    Ok(Json(json!({"status": 1, "manifest_url": url})).into_response())
}

/// `POST manifests/print` — by Shiprocket order ids; a scalar is PHP's foreach 500.
pub async fn print_manifest(state: AppState, headers: HeaderMap, body: Bytes) -> Result<Response, Response> {
    let body = parse_body(&headers, &body);
    let ids = id_array(&body, "order_ids", true)?;
    let mut w = state.world();
    let rows: Vec<String> = ids
        .iter()
        .filter_map(|id| w.orders.get(id))
        .filter_map(|o| w.shipments.get(&o.shipment_id))
        .filter(|s| s.manifested)
        .map(|s| format!("{}  AWB {}", s.channel_order_id, s.awb.clone().unwrap_or_default()))
        .collect();
    if rows.is_empty() {
        return Ok(Json(json!({"manifest_url": ""})).into_response());
    }
    let name = format!("print-manifest-{}.pdf", ids.iter().map(u64::to_string).collect::<Vec<_>>().join("-"));
    let url =
        store_document(&state, &mut w, name, &Document { title: "Pickup Manifest".into(), lines: rows, barcode: None });
    Ok(Json(json!({"manifest_url": url})).into_response())
}

/// `POST orders/print/invoice`.
pub async fn invoice(state: AppState, headers: HeaderMap, body: Bytes) -> Result<Response, Response> {
    let body = parse_body(&headers, &body);
    let ids = id_array(&body, "ids", false)?;
    let mut w = state.world();
    let (known, not_created): (Vec<u64>, Vec<u64>) = ids.iter().partition(|id| w.orders.contains_key(id));
    if known.is_empty() {
        return Err((StatusCode::BAD_REQUEST, Json(json!({"is_invoice_created": false, "message": "Invoice could not be created", "not_created": not_created})))
            .into_response());
    }
    let mut lines = Vec::new();
    for id in &known {
        let Some(o) = w.orders.get(id) else { continue };
        lines.push(format!("Invoice Retail{:06}  Order {}", o.id % 1_000_000, o.channel_order_id));
        for item in o.request["order_items"].as_array().cloned().unwrap_or_default() {
            lines.push(format!(
                "  {} x {}  @ Rs {:.2}",
                number(&item, "units").unwrap_or(1.0),
                text(&item, "name").unwrap_or_default(),
                number(&item, "selling_price").unwrap_or(0.0)
            ));
        }
        lines.push(format!("  Total: Rs {:.2}", number(&o.request, "sub_total").unwrap_or(0.0)));
    }
    let name = format!("invoice-{}.pdf", known.iter().map(u64::to_string).collect::<Vec<_>>().join("-"));
    let url = store_document(&state, &mut w, name, &Document { title: "Tax Invoice".into(), lines, barcode: None });
    Ok(Json(json!({"is_invoice_created": true, "invoice_url": url, "not_created": not_created})).into_response())
}
