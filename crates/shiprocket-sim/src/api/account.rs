//! Login, logout, wallet and pickup locations.

use super::{AppState, error, invalid, parse_body, require, text};
use axum::Json;
use axum::body::Bytes;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

/// `POST auth/login` — JSON or form. No `expires_in` in the answer, as in the real one.
pub async fn login(state: AppState, headers: HeaderMap, body: Bytes) -> Response {
    let body = parse_body(&headers, &body);
    let (email, password) = (text(&body, "email").unwrap_or_default(), text(&body, "password").unwrap_or_default());
    let mut w = state.world();
    let accepted = match &w.credentials {
        Some((e, p)) => *e == email && *p == password,
        None => !email.is_empty() && !password.is_empty(),
    };
    if !accepted {
        return error(StatusCode::BAD_REQUEST, "Invalid email and password combination");
    }
    let token = w.issue_token();
    let created = crate::world::fmt_ts(w.now() - chrono::Duration::days(200));
    Json(json!({
        "id": 1234567, "first_name": "API", "last_name": "User", "email": email,
        "company_id": 765432, "created_at": created, "token": token
    }))
    .into_response()
}

/// `POST auth/logout` — the token stops working.
pub async fn logout(state: AppState, headers: HeaderMap) -> Response {
    let token = headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .unwrap_or_default()
        .to_owned();
    state.world().tokens.remove(&token);
    Json(json!({})).into_response()
}

/// `GET account/details/wallet-balance` — a string amount.
pub async fn wallet() -> Response {
    Json(json!({"data": {"balance_amount": "1532.40"}})).into_response()
}

/// `GET settings/company/pickup`.
pub async fn pickup_locations(state: AppState) -> Response {
    let w = state.world();
    Json(json!({"data": {
        "shipping_address": w.pickup_locations,
        "allow_more": "true",
        "is_blackbox_seller": false,
        "company_name": "Example Store",
        "recent_addresses": []
    }}))
    .into_response()
}

/// `POST settings/company/addpickup`.
pub async fn add_pickup_location(state: AppState, headers: HeaderMap, body: Bytes) -> Response {
    let body = parse_body(&headers, &body);
    if let Err(r) = require(
        &body,
        &["pickup_location", "name", "email", "phone", "address", "city", "state", "country", "pin_code"],
    ) {
        return r;
    }
    let nickname = text(&body, "pickup_location").unwrap_or_default();
    let phone = text(&body, "phone").unwrap_or_default();
    if phone.len() != 10 || !phone.bytes().all(|b| b.is_ascii_digit()) {
        return invalid("Not a valid mobile number", json!({"phone": ["The phone must be 10 digits."]}));
    }
    let pin = text(&body, "pin_code").unwrap_or_default();
    if !crate::rates::valid_pincode(&pin) {
        return invalid("Oops! Invalid Data.", json!({"pin_code": ["The pin code must be 6 digits."]}));
    }
    if nickname.chars().count() > 36 {
        return invalid(
            "Oops! Invalid Data.",
            json!({"pickup_location": ["The pickup location may not be greater than 36 characters."]}),
        );
    }
    let mut w = state.world();
    if w.pickup_locations.iter().any(|l| l["pickup_location"] == Value::String(nickname.clone())) {
        return invalid(
            "Address nick name already in use",
            json!({"pickup_location": ["Address nick name already in use"]}),
        );
    }
    let id = 4_980_001 + w.pickup_locations.len() as u64;
    let now = crate::world::fmt_ts(w.now());
    let field = |k: &str| body.get(k).cloned().unwrap_or(Value::Null);
    let location = json!({
        "id": id, "pickup_location": nickname, "address_type": null, "address": field("address"),
        "address_2": field("address_2"), "updated_address": false, "old_address": "", "old_address2": "",
        "tag": "", "tag_value": "", "instruction": "", "city": field("city"), "state": field("state"),
        "country": field("country"), "pin_code": pin, "email": field("email"), "is_first_mile_pickup": 0,
        "phone": phone, "name": field("name"), "company_id": 765432, "gstin": field("gstin"),
        "vendor_name": null, "status": 1, "phone_verified": 0, "lat": null, "long": null, "open_time": null,
        "close_time": null, "warehouse_code": null, "alternate_phone": "", "rto_address_id": id,
        "lat_long_status": 0, "new": 1, "associated_rto_address": null, "is_primary_location": 0
    });
    w.pickup_locations.push(location.clone());
    let address = json!({
        "company_id": 765432, "pickup_code": location["pickup_location"], "address": location["address"],
        "address_2": location["address_2"], "address_type": null, "city": location["city"],
        "state": location["state"], "country": location["country"], "gstin": location["gstin"],
        "pin_code": location["pin_code"], "phone": location["phone"], "email": location["email"],
        "name": location["name"], "alternate_phone": null, "lat": null, "long": null, "status": 1,
        "phone_verified": 0, "rto_address_id": id, "extra_info": "{\"source\":3}", "updated_at": now,
        "created_at": now, "id": id
    });
    Json(json!({"success": true, "address": address, "pickup_id": id, "company_name": "Example Store", "full_name": "API User"}))
        .into_response()
}
