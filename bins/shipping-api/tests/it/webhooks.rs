//! `POST /webhooks/courier-updates`: probe, key check, inbox dedupe, the promised job.

use crate::on_both_backends;
use crate::support::{Backend, TestApp, WEBHOOK_TOKEN};
use serde_json::{Value, json};
use shipping_store::entities::{outbox, webhook_inbox};
use shipping_store::jobs::{ApplyWebhookV1, Job};

fn hook(awb: &str, status_id: i64, ts: &str) -> Value {
    json!({
        "awb": awb, "courier_name": "Delhivery Surface", "current_status": "IN TRANSIT",
        "current_status_id": status_id, "shipment_status": "IN TRANSIT", "shipment_status_id": 18,
        "current_timestamp": ts, "order_id": "ORD-1001", "sr_order_id": 348456385,
        "etd": "2023-05-25 18:00:00",
        "scans": [{"date": "2023-05-23 11:43:52", "activity": "Bag received", "location": "Mumbai_Hub",
                   "sr-status": "18", "sr-status-label": "IN TRANSIT"}],
        "is_return": 0, "channel_id": 1234
    })
}

async fn send(app: &TestApp, key: Option<&str>, body: &Value) -> reqwest::Response {
    let mut req = app.http.post(app.url("/webhooks/courier-updates")).json(body);
    if let Some(k) = key {
        req = req.header("x-api-key", k);
    }
    req.send().await.unwrap()
}

on_both_backends!(probe_without_key_is_200_and_wrong_key_is_401_and_neither_stores, |backend: Backend| async move {
    let app = TestApp::start(backend).await;
    assert!(shiprocket_client::webhook::is_acceptable_webhook_url(&app.url("/webhooks/courier-updates")));
    let probe = send(&app, None, &hook("AWB1", 20, "23 05 2023 11:43:52")).await;
    assert_eq!(probe.status(), 200);
    assert_eq!(probe.json::<Value>().await.unwrap()["status"], "ignored");
    let wrong = send(&app, Some("not-the-token"), &hook("AWB1", 20, "23 05 2023 11:43:52")).await;
    assert_eq!(wrong.status(), 401);
    assert_eq!(wrong.json::<Value>().await.unwrap()["error"]["code"], "unauthorized");
    for method in [reqwest::Method::GET, reqwest::Method::HEAD] {
        let r = app.http.request(method.clone(), app.url("/webhooks/courier-updates")).send().await.unwrap();
        assert_eq!(r.status(), 200, "{method}");
    }
    assert_eq!(app.count::<webhook_inbox::Entity>().await, 0);
    assert_eq!(app.count::<outbox::Entity>().await, 0);
    app.cleanup().await;
});

on_both_backends!(a_webhook_is_stored_once_with_its_job, |backend: Backend| async move {
    let app = TestApp::start(backend).await;
    app.expect_jobs();
    let body = hook("19041424751540", 20, "23 05 2023 11:43:52");
    let first = send(&app, Some(WEBHOOK_TOKEN), &body).await;
    assert_eq!(first.status(), 200);
    assert_eq!(first.json::<Value>().await.unwrap()["status"], "accepted");
    let dup = send(&app, Some(WEBHOOK_TOKEN), &body).await;
    assert_eq!(dup.status(), 200, "Shiprocket must always see 200");
    assert_eq!(dup.json::<Value>().await.unwrap()["status"], "duplicate");
    // A later event of the same parcel is a new one.
    let next = send(&app, Some(WEBHOOK_TOKEN), &hook("19041424751540", 17, "24 05 2023 09:10:00")).await;
    assert_eq!(next.json::<Value>().await.unwrap()["status"], "accepted");

    let rows = webhook_inbox::Entity::find_all(&app).await;
    assert_eq!(rows.len(), 2, "the duplicate is stored once");
    assert!(rows[0].payload.contains("19041424751540"), "the raw payload is kept");
    let jobs = app.jobs().await;
    assert_eq!(
        jobs,
        rows.iter().map(|r| Job::ApplyWebhook(ApplyWebhookV1 { inbox_id: r.id })).collect::<Vec<_>>(),
        "one apply_webhook per stored webhook"
    );
    app.cleanup().await;
});

on_both_backends!(unreadable_or_oversized_webhooks_are_refused, |backend: Backend| async move {
    let app = TestApp::on(backend).env("SHIPPING__SERVER__WEBHOOK_BODY_LIMIT_BYTES", "4096").start().await;
    let no_awb = send(&app, Some(WEBHOOK_TOKEN), &json!({"current_status": "IN TRANSIT"})).await;
    assert_eq!(no_awb.status(), 422);
    let mut big = hook("AWB2", 20, "23 05 2023 11:43:52");
    big["pod"] = json!("x".repeat(10_000));
    let r = send(&app, Some(WEBHOOK_TOKEN), &big).await;
    assert_eq!(r.status(), 413);
    assert_eq!(app.count::<webhook_inbox::Entity>().await, 0);
    app.cleanup().await;
});

on_both_backends!(webhooks_are_rate_limited_per_source, |backend: Backend| async move {
    let app = TestApp::on(backend).env("SHIPPING__WEBHOOKS__RATE_LIMIT_PER_MINUTE", "3").start().await;
    app.expect_jobs();
    let mut statuses = Vec::new();
    for i in 0..5 {
        statuses.push(send(&app, Some(WEBHOOK_TOKEN), &hook("AWB3", i, "23 05 2023 11:43:52")).await.status().as_u16());
    }
    assert_eq!(statuses, [200, 200, 200, 429, 429]);
    app.cleanup().await;
});

trait FindAll {
    async fn find_all(app: &TestApp) -> Vec<webhook_inbox::Model>;
}

impl FindAll for webhook_inbox::Entity {
    async fn find_all(app: &TestApp) -> Vec<webhook_inbox::Model> {
        use sea_orm::{EntityTrait, QueryOrder};
        webhook_inbox::Entity::find().order_by_asc(webhook_inbox::Column::Id).all(app.state.store.db()).await.unwrap()
    }
}

/// The simulator as Shiprocket: a parcel goes from pickup to delivered while every webhook is
/// sent twice and out of order. Each distinct event is stored once, each with one job, and
/// Shiprocket always got 200.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_simulators_duplicated_out_of_order_webhooks_are_stored_once_each() {
    let app = TestApp::start(Backend::Sqlite).await;
    app.expect_jobs();
    app.sim.set_webhook_url(Some(app.url("/webhooks/courier-updates")));
    let mut modes = app.sim.modes();
    modes.webhook_duplicates = true;
    modes.webhook_out_of_order = true;
    app.sim.set_modes(modes);

    let base = app.sim.base_url();
    let http = reqwest::Client::new();
    let login: Value = http
        .post(format!("{base}auth/login"))
        .json(&json!({"email": "api@shop.example", "password": "x"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let token = login["token"].as_str().unwrap().to_owned();
    let fixture = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../tests/fixtures/shiprocket/order_create_adhoc_request.json");
    let mut draft: Value = serde_json::from_slice(&std::fs::read(fixture).unwrap()).unwrap();
    draft["order_id"] = json!("ORD-SIM-1");
    draft["billing_pincode"] = json!("560001");
    let post = |path: &str, body: Value| {
        let req = http.post(format!("{base}{path}")).bearer_auth(&token).json(&body);
        async move { req.send().await.unwrap().json::<Value>().await.unwrap() }
    };
    let created = post("orders/create/adhoc", draft).await;
    let shipment_id = created["shipment_id"].as_u64().unwrap();
    let awb = post("courier/assign/awb", json!({"shipment_id": shipment_id, "courier_id": 43})).await["response"]["data"]
        ["awb_code"]
        .as_str()
        .unwrap()
        .to_owned();
    post("courier/generate/pickup", json!({"shipment_id": [shipment_id]})).await;
    app.sim.advance(chrono::Duration::hours(60)).await;

    let sent = app.sim.webhooks();
    assert!(sent.len() >= 12, "every change twice: {}", sent.len());
    assert!(sent.iter().all(|w| w.api_key_sent && w.response_status == Some(200)), "Shiprocket always saw 200");
    let distinct: std::collections::HashSet<_> =
        sent.iter().map(|w| (w.current_status_id, w.payload["current_timestamp"].to_string())).collect();
    let rows = webhook_inbox::Entity::find_all(&app).await;
    assert_eq!(rows.len(), distinct.len(), "each event stored once");
    assert!(rows.iter().all(|r| r.awb == awb));
    assert_eq!(app.jobs().await.len(), rows.len(), "one apply_webhook per stored event");
    app.cleanup().await;
}
