//! Shiprocket's non-idempotent create, fault injection reproducible from the seed, auth and
//! the small things real clients rely on (trailing slashes, form logins).
#![allow(clippy::unwrap_used)]

mod support;

use chrono::Duration;
use serde_json::json;
use shiprocket_sim::{CancelledOrderMode, DuplicateOrderMode, FaultKind, FaultRule, SimConfig};
use support::{Api, fixture};

fn order(id: &str) -> serde_json::Value {
    let mut o = fixture("order_create_adhoc_request.json");
    o["order_id"] = json!(id);
    o
}

#[tokio::test]
async fn a_repeated_create_returns_the_same_order_and_search_finds_it() {
    let api = Api::start(SimConfig::default()).await;
    let first = api.post("orders/create/adhoc", order("DUP-1")).await.body;
    let second = api.post("orders/create/adhoc", order("DUP-1")).await.body;

    assert_eq!(first["order_id"], second["order_id"]);
    assert_eq!(first["shipment_id"], second["shipment_id"]);
    assert_eq!(api.sim.counters().orders_created["DUP-1"], 1);
    let found = api.get("orders?search=DUP-1").await.body;
    assert_eq!(found["data"].as_array().unwrap().len(), 1);
    assert_eq!(found["data"][0]["id"], first["order_id"]);
    assert!(api.get("orders?search=NOPE").await.body["data"].as_array().unwrap().is_empty());
}

#[tokio::test]
async fn in_reject_mode_a_repeated_create_is_a_422() {
    let mut config = SimConfig::default();
    config.modes.duplicate_order = DuplicateOrderMode::Reject422;
    let api = Api::start(config).await;
    api.post("orders/create/adhoc", order("DUP-2")).await;

    let again = api.post("orders/create/adhoc", order("DUP-2")).await;

    assert_eq!(again.status, 422);
    assert_eq!(again.body["errors"]["order_id"][0], "The order id has already been taken.");
    assert_eq!(api.sim.counters().orders_created["DUP-2"], 1);
}

#[tokio::test]
async fn a_cancelled_id_cannot_be_reused_in_either_mode() {
    let api = Api::start(SimConfig::default()).await;
    let created = api.post("orders/create/adhoc", order("CAN-9")).await.body;
    let cancelled = api.post("orders/cancel", json!({"ids": [created["order_id"]]})).await;
    assert_eq!(cancelled.status, 204);

    let again = api.post("orders/create/adhoc", order("CAN-9")).await;
    assert_eq!(again.status, 422, "documented: a cancelled order id cannot be reused");

    let mut modes = api.sim.modes();
    modes.cancelled_order = CancelledOrderMode::ReturnCancelled;
    api.sim.set_modes(modes);
    let again = api.post("orders/create/adhoc", order("CAN-9")).await;
    assert_eq!(again.status, 200, "the reported production behaviour: the old order comes back");
    assert_eq!((again.body["status"].as_str(), again.body["status_code"].as_u64()), (Some("CANCELED"), Some(5)));
    assert_eq!(again.body["order_id"], created["order_id"]);
    assert_eq!(api.sim.counters().orders_created["CAN-9"], 1);
}

#[tokio::test]
async fn commit_then_drop_on_create_still_makes_exactly_one_order() {
    let api = Api::start(SimConfig::default()).await;
    api.sim.add_fault(FaultRule {
        endpoint: "orders/create/adhoc".into(),
        kind: FaultKind::CommitThenDrop,
        probability: 1.0,
        times: Some(1),
    });

    let dropped = api
        .http
        .post(format!("{}orders/create/adhoc", api.sim.base_url()))
        .bearer_auth(&api.token)
        .json(&order("DROP-1"))
        .send()
        .await;
    let outcome = match dropped {
        Ok(resp) => resp.bytes().await.map(|_| ()),
        Err(e) => Err(e),
    };
    assert!(outcome.is_err(), "the caller never sees an answer");
    assert_eq!(api.sim.counters().orders_created["DROP-1"], 1, "but the order exists");

    let retried = api.post("orders/create/adhoc", order("DROP-1")).await;
    assert_eq!(retried.status, 200);
    assert_eq!(api.sim.counters().orders_created["DROP-1"], 1, "a retried create makes no second order");
}

#[tokio::test]
async fn status_and_rate_limit_faults() {
    let api = Api::start(SimConfig::default()).await;
    api.sim.add_fault(FaultRule {
        endpoint: "orders".into(),
        kind: FaultKind::Status { status: 503 },
        probability: 1.0,
        times: Some(2),
    });
    api.sim.add_fault(FaultRule {
        endpoint: "courier/track/awb/{awb}".into(),
        kind: FaultKind::RateLimited { retry_after_secs: Some(7) },
        probability: 1.0,
        times: Some(1),
    });

    assert_eq!(api.get("orders").await.status, 503);
    assert_eq!(api.get("orders").await.status, 503);
    assert_eq!(api.get("orders").await.status, 200, "the rule is spent");
    let limited = api
        .http
        .get(format!("{}courier/track/awb/1", api.sim.base_url()))
        .bearer_auth(&api.token)
        .send()
        .await
        .unwrap();
    assert_eq!(limited.status(), 429);
    assert_eq!(limited.headers()["retry-after"], "7");
    assert_eq!(api.sim.counters().calls["orders"], 3);

    api.sim.add_fault(FaultRule {
        endpoint: "*".into(),
        kind: FaultKind::Status { status: 502 },
        probability: 1.0,
        times: Some(1),
    });
    let html = api.get("settings/company/pickup").await;
    assert_eq!(html.status, 502);
    assert!(String::from_utf8_lossy(&html.raw).contains("nginx"), "502s come from nginx, in HTML");
}

#[tokio::test]
async fn latency_and_hang_delay_the_answer() {
    let api = Api::start(SimConfig::default()).await;
    api.sim.add_fault(FaultRule {
        endpoint: "account/details/wallet-balance".into(),
        kind: FaultKind::Latency { ms: 300 },
        probability: 1.0,
        times: Some(1),
    });
    let started = std::time::Instant::now();
    assert_eq!(api.get("account/details/wallet-balance").await.status, 200);
    assert!(started.elapsed() >= std::time::Duration::from_millis(300));

    api.sim.add_fault(FaultRule {
        endpoint: "account/details/wallet-balance".into(),
        kind: FaultKind::Hang,
        probability: 1.0,
        times: Some(1),
    });
    let hung = api
        .http
        .get(format!("{}account/details/wallet-balance", api.sim.base_url()))
        .bearer_auth(&api.token)
        .timeout(std::time::Duration::from_millis(300))
        .send()
        .await;
    assert!(hung.unwrap_err().is_timeout());
}

#[tokio::test]
async fn fault_rolls_are_reproducible_from_the_seed() {
    async fn outcomes(seed: u64) -> Vec<u16> {
        let api = Api::start(SimConfig { seed, ..SimConfig::default() }).await;
        api.sim.add_fault(FaultRule {
            endpoint: "orders".into(),
            kind: FaultKind::Status { status: 500 },
            probability: 0.5,
            times: None,
        });
        let mut out = Vec::new();
        for _ in 0..40 {
            out.push(api.get("orders").await.status);
        }
        out
    }
    let a = outcomes(7).await;
    assert_eq!(a, outcomes(7).await);
    assert_ne!(a, outcomes(8).await);
    let failures = a.iter().filter(|s| **s == 500).count();
    assert!((8..=32).contains(&failures), "about half fail: {failures}");
}

#[tokio::test]
async fn auth_tokens_trailing_slashes_and_form_logins() {
    let sim = shiprocket_sim::Simulator::start(SimConfig {
        credentials: Some(("api@shop.in".into(), "right".into())),
        ..SimConfig::default()
    })
    .await
    .unwrap();
    let http = reqwest::Client::new();
    let base = sim.base_url();
    let bad = http
        .post(format!("{base}auth/login"))
        .json(&json!({"email": "api@shop.in", "password": "wrong"}))
        .send()
        .await
        .unwrap();
    assert_eq!(bad.status(), 400);
    let form = http
        .post(format!("{base}auth/login/"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body("email=api%40shop.in&password=right")
        .send()
        .await
        .unwrap();
    assert_eq!(form.status(), 200, "form body and trailing slash");
    let login = form.json::<serde_json::Value>().await.unwrap();
    assert!(login.get("expires_in").is_none(), "like the real one, no expiry is given");
    let token = login["token"].as_str().unwrap().to_owned();

    let ok = http.get(format!("{base}settings/company/pickup/")).bearer_auth(&token).send().await.unwrap();
    assert_eq!(ok.status(), 200);
    sim.advance(Duration::hours(241)).await;
    let expired = http.get(format!("{base}settings/company/pickup")).bearer_auth(&token).send().await.unwrap();
    assert_eq!(expired.status(), 401, "tokens live 240 h");
}

#[tokio::test]
async fn awb_assignment_may_book_another_courier_for_some_pincodes() {
    let api = Api::start(SimConfig::default()).await;
    let mut o = order("SWAP-1");
    o["billing_pincode"] = json!("700001");
    let created = api.post("orders/create/adhoc", o).await.body;
    let a = api.post("courier/assign/awb", json!({"shipment_id": created["shipment_id"], "courier_id": 43})).await.body;
    assert_eq!(a["awb_assign_status"], 1);
    assert_ne!(a["response"]["data"]["courier_company_id"], 43, "7xxxxx pincodes get another courier");

    let mut o = order("NOSWAP-1");
    o["billing_pincode"] = json!("560001");
    let created = api.post("orders/create/adhoc", o).await.body;
    let a = api.post("courier/assign/awb", json!({"shipment_id": created["shipment_id"], "courier_id": 43})).await.body;
    assert_eq!(a["response"]["data"]["courier_company_id"], 43);
}

#[tokio::test]
async fn updates_change_items_and_the_delivery_address_until_an_awb_or_a_cancellation() {
    let api = Api::start(SimConfig::default()).await;
    let created = api.post("orders/create/adhoc", order("UPD-1")).await.body;
    let sr_id = created["order_id"].clone();
    let mut items = order("UPD-1");
    items["order_items"][0]["units"] = json!(3);
    let updated = api.post("orders/update/adhoc", items.clone()).await;
    assert_eq!(updated.status, 200);
    assert_eq!(updated.body["partially_update"], true);
    assert!(updated.body["not_updated_fields"].as_str().unwrap().contains("billing_address"), "a string of keys");

    let address = json!({"order_id": sr_id, "shipping_customer_name": "Ravi", "shipping_phone": "9123456780",
        "shipping_address": "42 Lake View Road", "shipping_city": "Mumbai", "shipping_state": "Maharashtra",
        "shipping_country": "India", "shipping_pincode": "400050"});
    let moved = api.post("orders/address/update", address.clone()).await;
    assert_eq!(moved.status, 202);
    let (held, pincode) = api.sim.order_request("UPD-1").unwrap();
    assert_eq!((held["shipping_address"].as_str(), pincode.as_str()), (Some("42 Lake View Road"), "400050"));
    assert_eq!(held["order_items"][0]["units"], 3);
    let mut unknown = address.clone();
    unknown["order_id"] = json!(1);
    assert_eq!(api.post("orders/address/update", unknown).await.status, 422);
    let mut placeholder = address.clone();
    placeholder["shipping_phone"] = json!("9999999999");
    assert_eq!(api.post("orders/address/update", placeholder).await.status, 422);

    assert_eq!(api.post("orders/cancel", json!({"ids": [sr_id]})).await.status, 204);
    let refused = api.post("orders/update/adhoc", items).await;
    assert_eq!(
        (refused.status, refused.body["message"].as_str()),
        (400, Some("Order can not be updated as it is cancelled"))
    );
    assert_eq!(api.post("orders/address/update", address).await.status, 400);
}

#[tokio::test]
async fn a_placeholder_phone_is_refused_on_create() {
    let api = Api::start(SimConfig::default()).await;
    let mut o = order("PH-1");
    o["billing_phone"] = json!("9999999999");
    let refused = api.post("orders/create/adhoc", o).await;
    assert_eq!(refused.status, 422);
    assert_eq!(refused.body["message"], "Not a valid mobile number");
    assert!(refused.body["errors"]["billing_phone"].is_array());
    assert!(!api.sim.counters().orders_created.contains_key("PH-1"));
}
