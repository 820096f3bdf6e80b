//! `GET /v1/rates`: cache hit, single flight, stale on error, not serviceable, flags.

use crate::on_both_backends;
use crate::support::{Backend, TestApp};
use futures::future::join_all;
use serde_json::Value;
use shiprocket_sim::{FaultKind, FaultRule};

const Q: &str = "/v1/rates?delivery_pincode=560038&weight=0.4&cod=0&value=998";

fn metric(text: &str, name: &str, label: &str) -> f64 {
    text.lines()
        .filter(|l| l.starts_with(name) && l.contains(label))
        .filter_map(|l| l.rsplit(' ').next()?.parse::<f64>().ok())
        .sum()
}

on_both_backends!(second_call_is_a_cache_hit, |backend: Backend| async move {
    let app = TestApp::start(backend).await;
    let first: Value = app.get_public(Q).await.json().await.unwrap();
    assert_eq!(first["cache"], "miss");
    assert_eq!(first["serviceable"], true);
    assert_eq!(first["weight_slab_grams"], 500, "0.4 kg is quoted as the 0.5 kg slab");
    let couriers = first["couriers"].as_array().unwrap();
    assert!(couriers.len() >= 5);
    // Configured preference is cost: the recommendation is the cheapest quote.
    let cheapest = couriers.iter().map(|c| c["rate_paise"].as_u64().unwrap()).min().unwrap();
    let rec = &first["recommended"];
    let rec_rate =
        couriers.iter().find(|c| c["courier_id"] == rec["courier_id"]).unwrap()["rate_paise"].as_u64().unwrap();
    assert_eq!(rec_rate, cheapest, "{rec}");
    assert!(rec["reason"].as_str().unwrap().contains("cheapest"));

    // Same slab (0.3 kg), same key: served from the cache.
    let second: Value =
        app.get_public("/v1/rates?delivery_pincode=560038&weight=300g&cod=false").await.json().await.unwrap();
    assert_eq!(second["cache"], "hit");
    assert_eq!(second["couriers"], first["couriers"]);
    assert_eq!(app.serviceability_calls(), 1);
    let m = app.metrics().await;
    assert!(metric(&m, "rate_cache_total", "result=\"hit\"") >= 1.0, "{m}");
    assert!(metric(&m, "rate_cache_total", "result=\"miss\"") >= 1.0);
    app.cleanup().await;
});

on_both_backends!(fifty_concurrent_misses_make_one_upstream_call, |backend: Backend| async move {
    let app = TestApp::start(backend).await;
    // Slow Shiprocket down so all fifty arrive while the first call is in flight.
    app.sim.add_fault(FaultRule {
        endpoint: "courier/serviceability".into(),
        kind: FaultKind::Latency { ms: 300 },
        probability: 1.0,
        times: None,
    });
    let answers = join_all((0..50).map(|_| app.get_public(Q))).await;
    for a in answers {
        assert_eq!(a.status(), 200);
    }
    assert_eq!(app.serviceability_calls(), 1, "single flight per key");
    app.cleanup().await;
});

on_both_backends!(when_shiprocket_fails_the_stale_answer_is_served_and_marked, |backend: Backend| async move {
    // TTL 0: every cached answer is expired at once, so each call goes upstream.
    let app = TestApp::on(backend).env("SHIPROCKET_RATE_CACHE_TTL", "0").start().await;
    // Nothing cached and Shiprocket down: a clear 503.
    app.sim.add_fault(FaultRule {
        endpoint: "courier/serviceability".into(),
        kind: FaultKind::Status { status: 502 },
        probability: 1.0,
        times: Some(1),
    });
    let down = app.get_public(Q).await;
    assert_eq!(down.status(), 503);
    assert_eq!(down.json::<Value>().await.unwrap()["error"]["code"], "upstream_unavailable");

    let fresh: Value = app.get_public(Q).await.json().await.unwrap();
    assert_eq!(fresh["cache"], "miss");
    app.sim.add_fault(FaultRule {
        endpoint: "courier/serviceability".into(),
        kind: FaultKind::Status { status: 500 },
        probability: 1.0,
        times: None,
    });
    let stale: Value = app.get_public(Q).await.json().await.unwrap();
    assert_eq!(stale["cache"], "stale");
    assert_eq!(stale["stale"], true);
    assert!(stale["message"].as_str().unwrap().contains("recently quoted"));
    assert_eq!(stale["couriers"], fresh["couriers"]);
    app.cleanup().await;
});

on_both_backends!(not_serviceable_is_200_with_a_readable_message, |backend: Backend| async move {
    let app = TestApp::start(backend).await;
    let r = app.get_public("/v1/rates?delivery_pincode=900001&weight=1").await;
    assert_eq!(r.status(), 200);
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["serviceable"], false);
    assert!(body["message"].as_str().unwrap().contains("900001"), "{body}");

    let cod: Value =
        app.get_public("/v1/rates?delivery_pincode=560013&weight=1&cod=1&value=500").await.json().await.unwrap();
    assert_eq!(cod["serviceable"], false, "{cod}");
    assert!(cod["message"].as_str().is_some());

    let bad = app.get_public("/v1/rates?delivery_pincode=12ab&weight=1").await;
    assert_eq!(bad.status(), 422);
    assert_eq!(bad.json::<Value>().await.unwrap()["error"]["fields"][0]["field"], "delivery_pincode");
    let bad = app.get_public("/v1/rates?delivery_pincode=560038&weight=heavy").await;
    assert_eq!(bad.json::<Value>().await.unwrap()["error"]["fields"][0]["field"], "weight");
    let missing = app.get_public("/v1/rates?delivery_pincode=560038").await;
    assert_eq!(missing.status(), 422);
    assert_eq!(missing.json::<Value>().await.unwrap()["error"]["fields"][0]["field"], "weight");
    app.cleanup().await;
});

on_both_backends!(rates_follow_the_show_rates_flag_at_runtime, |backend: Backend| async move {
    let app = TestApp::on(backend).env("SHIPROCKET_SHOW_RATES", "false").start().await;
    let off = app.get_public(Q).await;
    assert_eq!(off.status(), 503);
    assert_eq!(off.json::<Value>().await.unwrap()["error"]["code"], "rates_disabled");
    assert_eq!(app.serviceability_calls(), 0);
    let mut flags = app.state.flags();
    flags.show_rates = true;
    app.state.set_flags(flags);
    assert_eq!(app.get_public(Q).await.status(), 200);
    app.cleanup().await;
});

on_both_backends!(a_cart_is_packed_and_quoted_by_its_chargeable_weight, |backend: Backend| async move {
    let app = TestApp::start(backend).await;
    let cart = serde_json::json!({
        "delivery_pincode": "560038",
        "items": [{"sku": "MUG", "name": "Mug", "units": 3, "unit_price": 29900, "weight": 350,
                   "dimensions": {"length_mm": 100, "breadth_mm": 100, "height_mm": 100}}]
    });
    let r = app.post("/v1/rates", &cart).await;
    assert_eq!(r.status(), 200);
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["weight_slab_grams"], 1500, "3 × 350 g = 1.05 kg → the 1.5 kg slab: {body}");
    assert_eq!(body["serviceable"], true);
    // Without sizes the default box (20 × 15 × 10 cm per unit) makes it volumetric: 1.8 kg → 2 kg.
    let mut boxy = cart.clone();
    boxy["items"][0].as_object_mut().unwrap().remove("dimensions");
    let body: Value = app.post("/v1/rates", &boxy).await.json().await.unwrap();
    assert_eq!(body["weight_slab_grams"], 2000);
    let bad = app.post("/v1/rates", &serde_json::json!({"delivery_pincode": "560038", "items": []})).await;
    assert_eq!(bad.status(), 422);
    assert_eq!(bad.json::<Value>().await.unwrap()["error"]["fields"][0]["field"], "items");
    app.cleanup().await;
});

on_both_backends!(the_recommendation_follows_the_configured_preference, |backend: Backend| async move {
    let app = TestApp::on(backend).env("SHIPROCKET_COURIER_PREFERENCE", "speed").start().await;
    let body: Value = app.get_public(Q).await.json().await.unwrap();
    let couriers = body["couriers"].as_array().unwrap();
    let fastest = couriers.iter().filter_map(|c| c["etd_days"].as_u64()).min().unwrap();
    let rec = couriers.iter().find(|c| c["courier_id"] == body["recommended"]["courier_id"]).unwrap();
    assert_eq!(rec["etd_days"].as_u64(), Some(fastest), "{}", body["recommended"]);
    app.cleanup().await;

    // A preferred list: the first listed courier that serves the lane wins, even if dearer.
    let app = TestApp::on(backend)
        .env("SHIPROCKET_COURIER_PREFERENCE", "preferred")
        .env("SHIPROCKET_PREFERRED_COURIERS", "999,1")
        .start()
        .await;
    let body: Value = app.get_public(Q).await.json().await.unwrap();
    assert_eq!(body["recommended"]["courier_id"], 1, "Blue Dart (id 1) serves every lane: {}", body["recommended"]);
    app.cleanup().await;
});

on_both_backends!(rates_are_limited_per_source, |backend: Backend| async move {
    let app = TestApp::on(backend).env("SHIPPING__RATES__REQUESTS_PER_MINUTE_PER_SOURCE", "2").start().await;
    assert_eq!(app.get_public(Q).await.status(), 200);
    assert_eq!(app.get_public(Q).await.status(), 200);
    let r = app.get_public(Q).await;
    assert_eq!(r.status(), 429);
    assert_eq!(r.json::<Value>().await.unwrap()["error"]["code"], "rate_limited");
    app.cleanup().await;
});
