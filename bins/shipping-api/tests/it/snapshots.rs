//! Snapshots of representative answer bodies (ids, times and tokens redacted), so a change to a
//! body shows up in review as a diff of `snapshots/*.snap`. Both backends answer the same bodies.

use crate::on_both_backends;
use crate::support::{Backend, TestApp, order, redacted};
use serde_json::{Value, json};

on_both_backends!(answer_bodies_match_their_snapshots, |backend: Backend| async move {
    let app = TestApp::on(backend).env("SHIPROCKET_AUTO_SYNC", "false").start().await;
    app.expect_jobs(); // no worker runs here: the order's sync stays promised
    let accepted = app.post("/v1/orders", &order("ORD-SNAP-1")).await;
    assert_eq!(accepted.status(), 201);
    let accepted: Value = accepted.json().await.unwrap();
    let id = accepted["shipment_id"].as_i64().unwrap();
    let detail: Value = app.get(&format!("/v1/shipments/{id}")).await.json().await.unwrap();
    let page: Value = app.get("/v1/shipments?limit=1").await.json().await.unwrap();
    let mut invalid = order("ORD-SNAP-2");
    invalid["billing"]["pincode"] = json!("12");
    let refused = app.post("/v1/orders", &invalid).await;
    assert_eq!(refused.status(), 422);
    let refused: Value = refused.json().await.unwrap();
    let unkeyed: Value = app.get_public("/v1/shipments").await.json().await.unwrap();
    redacted(|| {
        insta::assert_json_snapshot!("order_accepted", accepted);
        insta::assert_json_snapshot!("shipment_detail", detail);
        insta::assert_json_snapshot!("shipment_list_page", page);
        insta::assert_json_snapshot!("error_envelope_invalid_order", refused);
        insta::assert_json_snapshot!("error_envelope_unauthorized", unkeyed);
    });
    app.cleanup().await;
});
