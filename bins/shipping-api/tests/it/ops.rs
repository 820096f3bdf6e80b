//! Health, readiness, metrics, request ids, the error envelope on unknown routes (the OpenAPI
//! document has its own file).

use crate::on_both_backends;
use crate::support::{Backend, TestApp};
use serde_json::Value;

on_both_backends!(health_ready_metrics_and_request_ids, |backend: Backend| async move {
    let app = TestApp::start(backend).await;
    assert_eq!(app.get_public("/healthz").await.status(), 200);
    let ready = app.get_public("/readyz").await;
    assert_eq!(ready.status(), 200);
    assert_eq!(ready.json::<Value>().await.unwrap()["database"], "ok");
    let r = app.get_public("/healthz").await;
    assert!(r.headers().contains_key("x-request-id"), "a request id is made");
    let r = app.http.get(app.url("/healthz")).header("x-request-id", "abc-123").send().await.unwrap();
    assert_eq!(r.headers()["x-request-id"], "abc-123", "a caller's request id is kept");
    let m = app.metrics().await;
    assert!(m.contains("http_requests_total"), "{m}");
    assert!(m.contains("http_request_duration_seconds_bucket"), "{m}");
    assert!(m.contains("route=\"/healthz\""));
    let missing = app.get_public("/nope").await;
    assert_eq!(missing.status(), 404);
    assert_eq!(missing.json::<Value>().await.unwrap()["error"]["code"], "not_found");
    app.cleanup().await;
});

on_both_backends!(a_slow_request_is_cut_at_the_deadline_with_the_envelope, |backend: Backend| async move {
    let app = TestApp::on(backend).env("SHIPPING__SERVER__REQUEST_TIMEOUT_MS", "200").start().await;
    app.sim.add_fault(shiprocket_sim::FaultRule {
        endpoint: "courier/serviceability".into(),
        kind: shiprocket_sim::FaultKind::Latency { ms: 1_000 },
        probability: 1.0,
        times: None,
    });
    let r = app.get_public("/v1/rates?delivery_pincode=560038&weight=1").await;
    assert_eq!(r.status(), 503);
    assert!(r.headers().contains_key("x-request-id"));
    assert_eq!(r.json::<Value>().await.unwrap()["error"]["code"], "timeout");
    app.cleanup().await;
});

on_both_backends!(business_metrics_are_exported, |backend: Backend| async move {
    let app = TestApp::start(backend).await;
    app.expect_jobs();
    assert_eq!(app.post("/v1/orders", &crate::support::order("ORD-M-1")).await.status(), 201);
    assert_eq!(app.post("/v1/orders", &crate::support::order("ORD-M-1")).await.status(), 200);
    let hook = serde_json::json!({"awb": "AWB9", "current_status_id": 6, "current_timestamp": "23 05 2023 11:43:52"});
    app.http.post(app.url("/webhooks/courier-updates")).json(&hook).send().await.unwrap();
    app.get_public("/v1/rates?delivery_pincode=560038&weight=1").await;
    let m = app.metrics().await;
    for needle in [
        "orders_ingested_total{outcome=\"created\"",
        "orders_ingested_total{outcome=\"replayed\"}",
        "webhooks_received_total{outcome=\"probe\"}",
        "rate_cache_total{result=\"miss\"}",
        "shiprocket_call_duration_seconds_bucket",
        "outbox_backlog 1",
    ] {
        assert!(m.contains(needle), "{needle} missing from:\n{m}");
    }
    app.cleanup().await;
});
