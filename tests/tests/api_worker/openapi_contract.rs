//! The generated OpenAPI document against the running app and the worker: it is a valid OpenAPI
//! 3.1 document (openapi-spec-validator), and real answers of every operation match the schemas it gives them (JSON
//! Schema 2020-12; no undocumented fields at the top level of any body, nor anywhere in the
//! objects that are not extended by another). `scripts/check-openapi.py` does the validating.

use crate::on_both_backends;
use crate::support::{API_KEY, Backend, TestApp, WEBHOOK_TOKEN, documented_operations, order};
use crate::worker_support::{drain, worker};
use serde_json::{Value, json};
use std::collections::BTreeSet;

/// Answers (and request bodies the app accepted), kept for the schema check.
struct Recorder<'a> {
    app: &'a TestApp,
    answers: Vec<Value>,
    requests: Vec<Value>,
}

impl Recorder<'_> {
    /// Calls `method concrete` (documented as `template`), with the API key when `keyed`.
    async fn call(
        &mut self,
        method: &str,
        template: &str,
        concrete: &str,
        keyed: bool,
        body: Option<Value>,
    ) -> (u16, Value) {
        let m = reqwest::Method::from_bytes(method.to_uppercase().as_bytes()).unwrap();
        let mut req = self.app.http.request(m, self.app.url(concrete));
        if keyed {
            req = req.bearer_auth(API_KEY);
        }
        if template == "/webhooks/courier-updates" && method == "post" && keyed {
            req = self.app.http.post(self.app.url(concrete)).header("x-api-key", WEBHOOK_TOKEN);
        }
        if let Some(b) = &body {
            req = req.json(b);
        }
        let r = req.send().await.unwrap();
        let status = r.status().as_u16();
        let content_type = r
            .headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .split(';')
            .next()
            .unwrap_or_default()
            .to_owned();
        let bytes = r.bytes().await.unwrap();
        let parsed =
            if content_type == "application/json" { serde_json::from_slice(&bytes).unwrap() } else { Value::Null };
        if let Some(b) = body
            && status < 300
        {
            self.requests.push(json!({"method": method, "path": template, "body": b}));
        }
        self.answers.push(json!({
            "method": method, "path": template, "status": status, "content_type": content_type, "body": parsed,
        }));
        (status, parsed)
    }
}

fn check_with_python(doc: &Value, answers: &[Value], requests: &[Value]) {
    let dir = std::env::temp_dir().join("shipping-api-tests");
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join(format!("openapi-contract-{}.json", uuid::Uuid::new_v4()));
    let input = json!({"document": doc, "answers": answers, "requests": requests});
    std::fs::write(&file, serde_json::to_vec(&input).unwrap()).unwrap();
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/../scripts/check-openapi.py");
    let out = std::process::Command::new("python3").arg(script).arg(&file).output().expect("python3");
    let _ = std::fs::remove_file(&file);
    assert!(
        out.status.success(),
        "the document or an answer does not hold:\n{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

on_both_backends!(every_operation_answers_as_documented, |backend: Backend| async move {
    let app = TestApp::start(backend).await;
    app.expect_jobs();
    let handler = worker(&app, true);
    let mut rec = Recorder { app: &app, answers: vec![], requests: vec![] };

    // Orders: created, replayed, conflicting, invalid.
    let (s, created) = rec.call("post", "/v1/orders", "/v1/orders", true, Some(order("ORD-OA-1"))).await;
    assert_eq!(s, 201);
    assert_eq!(rec.call("post", "/v1/orders", "/v1/orders", true, Some(order("ORD-OA-1"))).await.0, 200);
    let mut changed = order("ORD-OA-1");
    changed["gift_message"] = json!("Happy birthday");
    assert_eq!(rec.call("post", "/v1/orders", "/v1/orders", true, Some(changed)).await.0, 409);
    let mut invalid = order("ORD-OA-2");
    invalid["billing"]["pincode"] = json!("05600");
    assert_eq!(rec.call("post", "/v1/orders", "/v1/orders", true, Some(invalid)).await.0, 422);
    let (_, second) = rec.call("post", "/v1/orders", "/v1/orders", true, Some(order("ORD-OA-3"))).await;
    let id = created["shipment_id"].as_i64().unwrap();
    let other = second["shipment_id"].as_i64().unwrap();

    // Corrections: before the sync (stored), invalid, no such order; after the AWB below.
    let e = "/v1/orders/{shop_order_id}";
    let base = order("ORD-OA-3");
    let mut edit = json!({"customer": base["customer"], "billing": base["billing"], "items": base["items"]});
    edit["billing"]["line2"] = json!("Near the metro station");
    let (s, edited) = rec.call("put", e, "/v1/orders/ORD-OA-3", true, Some(edit.clone())).await;
    assert_eq!((s, edited["changed_fields"].clone()), (200, json!(["billing.line2"])), "{edited}");
    let mut bad_edit = edit.clone();
    bad_edit["billing"]["pincode"] = json!("05600");
    assert_eq!(rec.call("put", e, "/v1/orders/ORD-OA-3", true, Some(bad_edit)).await.0, 422);
    assert_eq!(rec.call("put", e, "/v1/orders/ORD-NONE", true, Some(edit.clone())).await.0, 404);

    // The worker syncs and books both (AWB, label, pickup); a keyed webhook then moves one.
    drain(&app, &handler).await;
    let awb = app.state.store.shipment(id).await.unwrap().unwrap().awb.expect("an AWB after the sync");
    let hook = json!({"awb": awb, "current_status": "PICKED UP", "current_status_id": 42, "shipment_status": "PICKED UP",
                      "shipment_status_id": 42, "current_timestamp": "28 11 2026 12:00:00", "etd": "2026-12-02 23:59:59",
                      "scans": [{"date": "2026-11-28 12:00:00", "activity": "Picked up", "location": "Delhi", "sr-status": "42"}]});
    let hooks = "/webhooks/courier-updates";
    assert_eq!(rec.call("post", hooks, hooks, true, Some(hook.clone())).await.0, 200);
    assert_eq!(rec.call("post", hooks, hooks, true, Some(hook)).await.1["status"], "duplicate");
    assert_eq!(rec.call("post", hooks, hooks, false, Some(json!({"awb": "X"}))).await.1["status"], "ignored");
    let wrong =
        app.http.post(app.url(hooks)).header("x-api-key", "wrong").json(&json!({"awb": "X"})).send().await.unwrap();
    assert_eq!(wrong.status(), 401);
    assert_eq!(rec.call("get", hooks, hooks, false, None).await.0, 200);
    drain(&app, &handler).await;
    let booked =
        json!({"customer": order("ORD-OA-1")["customer"], "billing": order("ORD-OA-1")["billing"], "items": []});
    assert_eq!(rec.call("put", e, "/v1/orders/ORD-OA-1", true, Some(booked)).await.0, 409, "an AWB: too late");

    // Reads.
    let t = "/v1/orders/{shop_order_id}/shipment";
    let (_, of_order) = rec.call("get", t, "/v1/orders/ORD-OA-1/shipment", true, None).await;
    assert!(!of_order["timeline"].as_array().unwrap().is_empty(), "{of_order}");
    assert_eq!(rec.call("get", t, "/v1/orders/ORD-NONE/shipment", true, None).await.0, 404);
    assert_eq!(rec.call("get", "/v1/shipments", "/v1/shipments?limit=1", true, None).await.0, 200);
    assert_eq!(rec.call("get", "/v1/shipments", "/v1/shipments?status=nope", true, None).await.0, 422);
    assert_eq!(rec.call("get", "/v1/shipments.csv", "/v1/shipments.csv", true, None).await.0, 200);
    // With a return and one of its scans, so the answer's return object is checked too.
    let shipping_store::Once::New(ret) = app.state.store.request_return(id, "RET-OA-1", "Wrong size").await.unwrap()
    else {
        panic!("a new return")
    };
    {
        use sea_orm::{ActiveModelTrait, ActiveValue::Set, EntityTrait, IntoActiveModel};
        let row = shipping_store::entities::return_request::Entity::find_by_id(ret).one(app.state.store.db());
        let mut a = row.await.unwrap().unwrap().into_active_model();
        a.awb = Set(Some("RAWBOA1".into()));
        a.update(app.state.store.db()).await.unwrap();
        let scan = shipping_domain::TrackingEvent::new(
            Some(shipping_domain::Awb::parse("RAWBOA1").unwrap()),
            shipping_domain::RawStatus::Order(28),
            chrono::Utc::now(),
        );
        let src = shipping_store::EventSource::Poll;
        app.state.store.record_return_event(&scan, "RETURN PICKUP GENERATED", None, None, src).await.unwrap();
    }
    let (s, detail) = rec.call("get", "/v1/shipments/{id}", &format!("/v1/shipments/{id}"), true, None).await;
    assert_eq!((s, detail["returns"][0]["status"].as_str()), (200, Some("pickup_scheduled")), "{detail}");
    assert_eq!(rec.call("get", "/v1/shipments/{id}", "/v1/shipments/999999", true, None).await.0, 404);
    let (s, link) = rec.call("get", "/v1/shipments/{id}/label", &format!("/v1/shipments/{id}/label"), true, None).await;
    assert_eq!(s, 200, "{link}");
    let signed = link["url"].as_str().unwrap().split_once("/v1/labels/").unwrap().1.to_owned();
    assert_eq!(rec.call("get", "/v1/labels/{id}", &format!("/v1/labels/{signed}"), false, None).await.0, 200);
    let forged = format!("/v1/labels/{id}?expires=1&sig=00");
    assert_eq!(rec.call("get", "/v1/labels/{id}", &forged, false, None).await.0, 403);
    let zip = Some(json!({"ids": [id, other]}));
    assert_eq!(rec.call("post", "/v1/labels.zip", "/v1/labels.zip", true, zip).await.0, 200);

    // Tracking, for the customer.
    let token = created["tracking_url"].as_str().unwrap().rsplit('/').next().unwrap().to_owned();
    assert_eq!(rec.call("get", "/v1/track/{token}", &format!("/v1/track/{token}"), false, None).await.0, 200);
    let lookup = "/v1/track?order=ORD-OA-1&contact=9876543210";
    assert_eq!(rec.call("get", "/v1/track", lookup, false, None).await.0, 200);
    assert_eq!(rec.call("get", "/v1/track", "/v1/track?order=ORD-OA-1&contact=9000000000", false, None).await.0, 404);

    // Actions: accepted, refused by state, unknown; bulk accepted and all refused.
    let a = "/v1/shipments/{id}/{action}";
    let (s, _) = rec.call("post", a, &format!("/v1/shipments/{id}/refresh-tracking"), true, None).await;
    assert_eq!(s, 202);
    assert_eq!(
        rec.call("post", a, &format!("/v1/shipments/{id}/return"), true, Some(json!({"reason": "x"}))).await.0,
        409
    );
    assert_eq!(rec.call("post", a, &format!("/v1/shipments/{id}/fly"), true, None).await.0, 404);
    let l = "/v1/shipments/{id}/label";
    assert_eq!(rec.call("post", l, &format!("/v1/shipments/{other}/label"), true, None).await.0, 202);
    let b = "/v1/shipments/bulk/{action}";
    let ids = Some(json!({"ids": [id, other]}));
    assert_eq!(rec.call("post", b, "/v1/shipments/bulk/refresh-tracking", true, ids.clone()).await.0, 202);
    assert_eq!(rec.call("post", b, "/v1/shipments/bulk/sync", true, ids).await.0, 409);

    // Rates: serviceable, not serviceable, a cart, invalid.
    assert_eq!(
        rec.call("get", "/v1/rates", "/v1/rates?delivery_pincode=560038&weight=0.5&cod=1", false, None).await.0,
        200
    );
    let (_, none) = rec.call("get", "/v1/rates", "/v1/rates?delivery_pincode=960038&weight=0.5", false, None).await;
    assert_eq!(none["serviceable"], false);
    let cart = json!({"delivery_pincode": "560038", "items": order("X")["items"].clone()});
    assert_eq!(rec.call("post", "/v1/rates", "/v1/rates", false, Some(cart)).await.0, 200);
    assert_eq!(rec.call("get", "/v1/rates", "/v1/rates?delivery_pincode=12&weight=1", false, None).await.0, 422);

    // Operations.
    for path in ["/healthz", "/readyz", "/metrics", "/openapi.json"] {
        assert_eq!(rec.call("get", path, path, false, None).await.0, 200, "{path}");
    }

    // Every documented operation was called at least once.
    let called: BTreeSet<(String, String)> = rec
        .answers
        .iter()
        .map(|a| (a["method"].as_str().unwrap().to_owned(), a["path"].as_str().unwrap().to_owned()))
        .collect();
    for (method, path, _) in documented_operations() {
        assert!(called.contains(&(method.clone(), path.clone())), "{method} {path} was not exercised");
    }
    let doc: Value = app.get_public("/openapi.json").await.json().await.unwrap();
    check_with_python(&doc, &rec.answers, &rec.requests);
    app.cleanup().await;
});
