//! `POST /v1/orders`: validation, idempotency, concurrency, feature flags.

use crate::on_both_backends;
use crate::support::{Backend, TestApp, order};
use futures::future::join_all;
use serde_json::{Value, json};
use shipping_api::config::Flags;
use shipping_store::entities::{order as order_row, outbox, shipment};
use shipping_store::jobs::{Job, SyncOrderV1};

on_both_backends!(first_post_creates_replay_returns_same_body_conflict_is_409, |backend: Backend| async move {
    let app = TestApp::start(backend).await;
    app.expect_jobs();
    let first = app.post("/v1/orders", &order("ORD-1001")).await;
    assert_eq!(first.status(), 201);
    let first_body: Value = first.json().await.unwrap();
    assert!(first_body["tracking_url"].as_str().unwrap().starts_with("/v1/track/"));
    assert!(first_body["tracking_page_url"].as_str().unwrap().starts_with("/track/"), "the page to give the customer");

    let again = app.post("/v1/orders", &order("ORD-1001")).await;
    assert_eq!(again.status(), 200, "an identical replay is not a new order");
    assert_eq!(again.json::<Value>().await.unwrap(), first_body, "the replay gets the same body");

    // The same order written differently (another phone format) is the same order.
    let mut same = order("ORD-1001");
    same["customer"]["phone"] = json!("09876543210");
    assert_eq!(app.post("/v1/orders", &same).await.status(), 200);

    let mut changed = order("ORD-1001");
    changed["items"][0]["units"] = json!(3);
    changed["payment"]["amount"] = json!(149_700);
    let conflict = app.post("/v1/orders", &changed).await;
    assert_eq!(conflict.status(), 409);
    let err: Value = conflict.json().await.unwrap();
    assert_eq!(err["error"]["code"], "idempotency_conflict");

    assert_eq!(app.count::<order_row::Entity>().await, 1);
    assert_eq!(app.count::<shipment::Entity>().await, 1);
    let order_id = first_body["order_id"].as_i64().unwrap();
    let shipment_id = first_body["shipment_id"].as_i64().unwrap();
    assert_eq!(
        app.jobs().await,
        vec![Job::SyncOrder(SyncOrderV1 { order_id, shipment_id })],
        "exactly one sync promised, naming the order and shipment"
    );
    app.cleanup().await;
});

on_both_backends!(hundred_concurrent_identical_posts_make_one_order, |backend: Backend| async move {
    let app = TestApp::start(backend).await;
    app.expect_jobs();
    let body = order("ORD-RACE-1");
    let responses = join_all((0..100).map(|_| app.post("/v1/orders", &body))).await;
    let statuses: Vec<u16> = responses.iter().map(|r| r.status().as_u16()).collect();
    assert_eq!(statuses.iter().filter(|s| **s == 201).count(), 1, "{statuses:?}");
    assert_eq!(statuses.iter().filter(|s| **s == 200).count(), 99, "{statuses:?}");
    let bodies: Vec<Value> =
        join_all(responses.into_iter().map(|r| r.json::<Value>())).await.into_iter().map(Result::unwrap).collect();
    assert!(bodies.windows(2).all(|w| w[0] == w[1]), "every caller gets the same answer");
    assert_eq!(app.count::<order_row::Entity>().await, 1);
    assert_eq!(app.count::<outbox::Entity>().await, 1);
    app.cleanup().await;
});

async fn assert_rejected(app: &TestApp, body: Value, status: u16, field: &str) {
    let r = app.post("/v1/orders", &body).await;
    assert_eq!(r.status().as_u16(), status, "field {field}");
    let err: Value = r.json().await.unwrap();
    assert_eq!(err["error"]["fields"][0]["field"], field, "{err}");
    assert!(!err["error"]["message"].as_str().unwrap().is_empty());
}

on_both_backends!(invalid_orders_are_refused_naming_the_field_and_nothing_is_stored, |backend: Backend| async move {
    let app = TestApp::start(backend).await;
    let mut bad_pin = order("ORD-BAD-1");
    bad_pin["billing"]["pincode"] = json!("012345");
    assert_rejected(&app, bad_pin, 422, "billing.pincode").await;

    let mut bad_phone = order("ORD-BAD-2");
    bad_phone["customer"]["phone"] = json!("12345");
    assert_rejected(&app, bad_phone, 422, "customer.phone").await;

    let mut bad_email = order("ORD-BAD-3");
    bad_email["customer"]["email"] = json!("asha-at-example");
    assert_rejected(&app, bad_email, 422, "customer.email").await;

    let mut no_items = order("ORD-BAD-4");
    no_items.as_object_mut().unwrap().remove("items");
    assert_rejected(&app, no_items, 422, "items").await;

    let mut empty_items = order("ORD-BAD-5");
    empty_items["items"] = json!([]);
    assert_rejected(&app, empty_items, 422, "items").await;

    let mut negative = order("ORD-BAD-6");
    negative["items"][0]["unit_price"] = json!(-100);
    assert_rejected(&app, negative, 422, "items[0].unit_price").await;

    let mut cod_mismatch = order("ORD-BAD-7");
    cod_mismatch["payment"]["amount"] = json!(100);
    assert_rejected(&app, cod_mismatch, 422, "cod_amount").await;

    // Wrong content type.
    let r = app
        .http
        .post(app.url("/v1/orders"))
        .bearer_auth(crate::support::API_KEY)
        .header("content-type", "text/plain")
        .body(order("ORD-BAD-8").to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 415);
    assert_eq!(r.json::<Value>().await.unwrap()["error"]["code"], "unsupported_media_type");

    // Oversized body (the default limit is 64 KiB).
    let mut huge = order("ORD-BAD-9");
    huge["gift_message"] = json!("x".repeat(100_000));
    let r = app.post("/v1/orders", &huge).await;
    assert_eq!(r.status(), 413);
    assert_eq!(r.json::<Value>().await.unwrap()["error"]["code"], "payload_too_large");

    // Not JSON at all.
    let r = app
        .http
        .post(app.url("/v1/orders"))
        .bearer_auth(crate::support::API_KEY)
        .header("content-type", "application/json")
        .body("{\"id\": ")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    assert_eq!(r.json::<Value>().await.unwrap()["error"]["code"], "bad_request");

    assert_eq!(app.count::<order_row::Entity>().await, 0, "nothing stored");
    assert_eq!(app.count::<outbox::Entity>().await, 0, "nothing promised");
    app.cleanup().await;
});

on_both_backends!(ingest_needs_a_valid_api_key, |backend: Backend| async move {
    let app = TestApp::start(backend).await;
    app.expect_jobs();
    let none = app.http.post(app.url("/v1/orders")).json(&order("ORD-K-1")).send().await.unwrap();
    assert_eq!(none.status(), 401);
    assert_eq!(none.json::<Value>().await.unwrap()["error"]["code"], "unauthorized");
    let wrong = app.http.post(app.url("/v1/orders")).bearer_auth("nope").json(&order("ORD-K-1")).send().await.unwrap();
    assert_eq!(wrong.status(), 401);
    let second_key = app
        .http
        .post(app.url("/v1/orders"))
        .header("x-api-key", crate::support::OTHER_API_KEY)
        .json(&order("ORD-K-1"))
        .send()
        .await
        .unwrap();
    assert_eq!(second_key.status(), 201, "any configured key works");
    app.cleanup().await;
});

on_both_backends!(
    with_shiprocket_off_orders_are_stored_without_a_job_until_switched_on,
    |backend: Backend| async move {
        let app = TestApp::on(backend).env("SHIPROCKET_ENABLED", "false").start().await;
        app.expect_jobs();
        let r = app.post("/v1/orders", &order("ORD-OFF-1")).await;
        assert_eq!(r.status(), 201);
        let body: Value = r.json().await.unwrap();
        assert_eq!(app.count::<order_row::Entity>().await, 1);
        assert!(app.jobs().await.is_empty(), "no sync while Shiprocket is off");
        let replay = app.post("/v1/orders", &order("ORD-OFF-1")).await;
        assert_eq!(replay.status(), 200, "idempotency holds without the outbox too");
        assert_eq!(replay.json::<Value>().await.unwrap(), body);

        let id = body["shipment_id"].as_i64().unwrap();
        let refused = app.post_empty(&format!("/v1/shipments/{id}/sync")).await;
        assert_eq!(refused.status(), 503);
        assert_eq!(refused.json::<Value>().await.unwrap()["error"]["code"], "shiprocket_disabled");

        // Switched on at runtime (what SIGHUP does): auto-sync still off, so sync by action.
        app.state.set_flags(Flags { enabled: true, auto_sync: false, show_rates: true });
        assert_eq!(app.post("/v1/orders", &order("ORD-OFF-2")).await.status(), 201);
        assert!(app.jobs().await.is_empty(), "auto-sync off: stored, not synced");
        let ok = app.post_empty(&format!("/v1/shipments/{id}/sync")).await;
        assert_eq!(ok.status(), 202);
        let order_id = body["order_id"].as_i64().unwrap();
        assert_eq!(app.jobs().await, vec![Job::SyncOrder(SyncOrderV1 { order_id, shipment_id: id })]);

        app.state.set_flags(Flags { enabled: true, auto_sync: true, show_rates: true });
        let third: Value = app.post("/v1/orders", &order("ORD-OFF-3")).await.json().await.unwrap();
        assert_eq!(app.jobs().await.len(), 2, "auto-sync on again: the new order is promised");
        assert!(
            matches!(app.jobs().await[1], Job::SyncOrder(SyncOrderV1 { shipment_id, .. }) if shipment_id == third["shipment_id"].as_i64().unwrap())
        );
        app.cleanup().await;
    }
);

on_both_backends!(concurrent_posts_with_sync_held_make_one_order_and_no_job, |backend: Backend| async move {
    let app = TestApp::on(backend).env("SHIPROCKET_AUTO_SYNC", "false").start().await;
    let body = order("ORD-RACE-HELD");
    let responses = join_all((0..50).map(|_| app.post("/v1/orders", &body))).await;
    let created = responses.iter().filter(|r| r.status() == 201).count();
    let replayed = responses.iter().filter(|r| r.status() == 200).count();
    assert_eq!((created, replayed), (1, 49));
    assert_eq!(app.count::<order_row::Entity>().await, 1);
    assert_eq!(app.count::<shipment::Entity>().await, 1);
    assert_eq!(app.count::<outbox::Entity>().await, 0);
    app.cleanup().await;
});
