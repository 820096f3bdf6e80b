//! Shipment actions (state checked, job promised), bulk, label links, list/CSV, order
//! shipment with timeline, customer tracking.

use crate::on_both_backends;
use crate::support::{API_KEY, Backend, TestApp, order};
use chrono::{TimeZone, Utc};
use sea_orm::{ActiveModelTrait, ActiveValue::Set, EntityTrait, IntoActiveModel};
use serde_json::{Value, json};
use shipping_domain::{Awb, RawStatus, TrackingEvent};
use shipping_store::EventSource;
use shipping_store::entities::{ndr_action, return_request, shipment};
use shipping_store::jobs::{CreateReturnV1, Job, NdrActionV1, ShipmentBatchV1, ShipmentJobV1, SyncOrderV1};

async fn new_shipment(app: &TestApp, id: &str) -> (i64, i64, String) {
    let body: Value = app.post("/v1/orders", &order(id)).await.json().await.unwrap();
    (
        body["order_id"].as_i64().unwrap(),
        body["shipment_id"].as_i64().unwrap(),
        body["tracking_url"].as_str().unwrap().to_owned(),
    )
}

/// Moves a shipment as the worker would.
async fn set_state(app: &TestApp, id: i64, state: &str, awb: Option<&str>) {
    let s = shipment::Entity::find_by_id(id).one(app.state.store.db()).await.unwrap().unwrap();
    let mut a = s.into_active_model();
    a.state = Set(state.to_owned());
    a.sync_status = Set(if state == "pending_sync" { "pending" } else { "synced" }.to_owned());
    a.awb = Set(awb.map(str::to_owned));
    a.courier_name = Set(awb.map(|_| "Delhivery Surface".to_owned()));
    a.update(app.state.store.db()).await.unwrap();
}

async fn act(app: &TestApp, id: i64, action: &str, body: Option<Value>) -> (u16, Value) {
    let path = format!("/v1/shipments/{id}/{action}");
    let r = match body {
        Some(b) => app.post(&path, &b).await,
        None => app.post_empty(&path).await,
    };
    (r.status().as_u16(), r.json().await.unwrap())
}

on_both_backends!(actions_check_state_and_promise_the_matching_job, |backend: Backend| async move {
    let app = TestApp::on(backend).env("SHIPROCKET_AUTO_SYNC", "false").start().await;
    app.expect_jobs();
    let (order_id, id, _) = new_shipment(&app, "ORD-ACT-1").await;
    assert!(app.jobs().await.is_empty());

    let (status, err) = act(&app, id, "assign-awb", None).await;
    assert_eq!(status, 409, "no AWB before the Shiprocket order exists");
    assert_eq!(err["error"]["code"], "invalid_state");
    assert_eq!(act(&app, id, "label", None).await.0, 409);
    assert_eq!(act(&app, id, "launch", None).await.0, 404);

    assert_eq!(act(&app, id, "sync", None).await.0, 202);
    set_state(&app, id, "synced", None).await;
    let (status, body) = act(&app, id, "assign-awb", Some(json!({"courier_id": 24}))).await;
    assert_eq!((status, body["job"].as_str()), (202, Some("assign_awb")));
    set_state(&app, id, "awb_assigned", Some("19041424751540")).await;
    assert_eq!(act(&app, id, "label", None).await.0, 202);
    assert_eq!(act(&app, id, "pickup", None).await.0, 202);
    assert_eq!(act(&app, id, "manifest", None).await.0, 409, "manifest needs a pickup first");
    set_state(&app, id, "pickup_scheduled", Some("19041424751540")).await;
    assert_eq!(act(&app, id, "manifest", None).await.0, 202);
    assert_eq!(act(&app, id, "refresh-tracking", None).await.0, 202);
    assert_eq!(act(&app, id, "cancel", None).await.0, 202);
    assert_eq!(act(&app, id, "return", Some(json!({"reason": "size"}))).await.0, 409, "not delivered");

    let single = |courier_id| ShipmentJobV1 { shipment_id: id, courier_id };
    assert_eq!(
        app.jobs().await,
        vec![
            Job::SyncOrder(SyncOrderV1 { order_id, shipment_id: id }),
            Job::AssignAwb(single(Some(24))),
            Job::GenerateLabel(single(None)),
            Job::SchedulePickup(single(None)),
            Job::GenerateManifest(ShipmentBatchV1 { shipment_ids: vec![id] }),
            Job::RefreshTracking(ShipmentBatchV1 { shipment_ids: vec![id] }),
            Job::CancelShipment(single(None)),
        ]
    );
    let trail = app.state.store.audit_trail("shipment", id).await.unwrap();
    assert_eq!(trail.len(), 7, "every promised action is audited");
    assert!(trail.iter().all(|a| a.actor == "api-key#0"), "the actor is the key's index, never the key");
    app.cleanup().await;
});

on_both_backends!(returns_and_ndr_decisions_are_recorded_with_their_job, |backend: Backend| async move {
    let app = TestApp::on(backend).env("SHIPROCKET_AUTO_SYNC", "false").start().await;
    app.expect_jobs();
    let (_, id, _) = new_shipment(&app, "ORD-RET-1").await;
    set_state(&app, id, "delivered", Some("AWB777")).await;
    let (status, err) = act(&app, id, "return", Some(json!({}))).await;
    assert_eq!((status, err["error"]["fields"][0]["field"].as_str()), (422, Some("reason")));
    let (status, body) = act(&app, id, "return", Some(json!({"reason": "Wrong size"}))).await;
    assert_eq!((status, body["new"].as_bool()), (202, Some(true)));
    let (status, body) = act(&app, id, "return", Some(json!({"reason": "Wrong size"}))).await;
    assert_eq!((status, body["new"].as_bool()), (202, Some(false)), "asked twice, recorded once");
    let returns = return_request::Entity::find().all(app.state.store.db()).await.unwrap();
    assert_eq!(returns.len(), 1);

    let (_, id2, _) = new_shipment(&app, "ORD-NDR-1").await;
    set_state(&app, id2, "ndr", Some("AWB778")).await;
    let (status, err) = act(&app, id2, "ndr-action", Some(json!({"action": "re-attempt"}))).await;
    assert_eq!((status, err["error"]["fields"][0]["field"].as_str()), (422, Some("comments")));
    let (status, err) =
        act(&app, id2, "ndr-action", Some(json!({"action": "re-attempt", "comments": "call first", "phone": "123"})))
            .await;
    assert_eq!((status, err["error"]["fields"][0]["field"].as_str()), (422, Some("phone")));
    let tomorrow = (Utc::now() + chrono::Duration::days(1)).date_naive().to_string();
    let (status, _) = act(
        &app,
        id2,
        "ndr-action",
        Some(json!({"action": "re-attempt", "comments": "Customer available after 6 pm", "deferred_date": tomorrow, "phone": "+91 91234 56789"})),
    )
    .await;
    assert_eq!(status, 202);
    let ndr = ndr_action::Entity::find().all(app.state.store.db()).await.unwrap();
    assert_eq!(ndr.len(), 1);
    assert_eq!(ndr[0].new_phone.as_deref(), Some("9123456789"));
    assert_eq!(
        app.jobs().await,
        vec![
            Job::CreateReturn(CreateReturnV1 { return_id: returns[0].id }),
            Job::NdrAction(NdrActionV1 { ndr_action_id: ndr[0].id })
        ]
    );
    app.cleanup().await;
});

on_both_backends!(an_exchange_is_checked_recorded_and_its_replacement_promised, |backend: Backend| async move {
    let app = TestApp::on(backend).env("SHIPROCKET_AUTO_SYNC", "false").start().await;
    app.expect_jobs();
    let (order_id, id, _) = new_shipment(&app, "ORD-EXC-1").await;
    set_state(&app, id, "delivered", Some("AWB901")).await;

    // Bad replacement lines: 422 naming the line inside the exchange, nothing recorded.
    let bad = json!({"reason": "Too small", "exchange": {"items": [{"sku": " ", "name": "Tee", "units": 1, "unit_price": 100}]}});
    let (status, err) = act(&app, id, "return", Some(bad)).await;
    assert_eq!((status, err["error"]["fields"][0]["field"].as_str()), (422, Some("exchange.items[0].sku")), "{err}");
    let (status, err) = act(&app, id, "return", Some(json!({"reason": "x", "exchange": {"items": []}}))).await;
    assert_eq!((status, err["error"]["fields"][0]["field"].as_str()), (422, Some("exchange.items")), "{err}");
    let (status, _) = act(&app, id, "return", Some(json!({"reason": "x", "exchange": {"ships": "later"}}))).await;
    assert_eq!(status, 422, "an unknown timing is refused");
    assert!(return_request::Entity::find().all(app.state.store.db()).await.unwrap().is_empty());
    assert!(app.jobs().await.is_empty());

    // On pickup (the configured default): recorded, nothing ships yet.
    let larger = json!([{"sku": "TEE-L", "name": "Tee L", "units": 1, "unit_price": 49_900}]);
    let (status, _) =
        act(&app, id, "return", Some(json!({"reason": "Too small", "exchange": {"items": larger}}))).await;
    assert_eq!(status, 202);
    let detail: Value = app.get(&format!("/v1/shipments/{id}")).await.json().await.unwrap();
    let exchange = &detail["returns"][0]["exchange"];
    assert_eq!(exchange["ships"], "on_pickup");
    assert_eq!(exchange["items"][0]["sku"], "TEE-L");
    assert!(exchange["replacement_shipment_id"].is_null());
    assert_eq!(app.state.store.shipments_of_order(order_id).await.unwrap().len(), 1);

    // At once, the returned lines again: the replacement and its sync are promised with it.
    let (other_order, other, _) = new_shipment(&app, "ORD-EXC-2").await;
    set_state(&app, other, "delivered", Some("AWB902")).await;
    let (status, _) =
        act(&app, other, "return", Some(json!({"reason": "Faulty", "exchange": {"ships": "at_once"}}))).await;
    assert_eq!(status, 202);
    let parcels = app.state.store.shipments_of_order(other_order).await.unwrap();
    assert_eq!(parcels.len(), 2);
    let replacement: Value = app.get(&format!("/v1/shipments/{}", parcels[1].id)).await.json().await.unwrap();
    assert_eq!(replacement["channel_order_id"], "ORD-EXC-2-X1");
    assert_eq!(replacement["state"], "pending_sync");
    let detail: Value = app.get(&format!("/v1/shipments/{other}")).await.json().await.unwrap();
    let ret = &detail["returns"][0];
    assert_eq!(replacement["replacement_for_return_id"], ret["id"]);
    assert_eq!(ret["exchange"]["replacement_shipment_id"].as_i64(), Some(parcels[1].id));
    assert_eq!(ret["exchange"]["items"][0]["sku"], json!(order("ORD-EXC-2")["items"][0]["sku"]), "like for like");
    let jobs = app.jobs().await;
    assert!(
        jobs.contains(&Job::SyncOrder(SyncOrderV1 { order_id: other_order, shipment_id: parcels[1].id })),
        "{jobs:?}"
    );

    // A replacement ships the exchange's lines, not the order: it is not corrected through the order.
    let mut fix = crate::support::edit_of("ORD-EXC-2");
    fix["customer"]["phone"] = json!("+91 98765 43210");
    let put = app.put("/v1/orders/ORD-EXC-2", &fix).await;
    assert_eq!(put.status(), 409);
    let err: Value = put.json().await.unwrap();
    assert!(err["error"]["message"].as_str().unwrap().contains("exchange's replacement"), "{err}");
    app.cleanup().await;
});

on_both_backends!(bulk_actions_report_per_shipment, |backend: Backend| async move {
    let app = TestApp::on(backend).env("SHIPROCKET_AUTO_SYNC", "false").start().await;
    app.expect_jobs();
    let (_, a, _) = new_shipment(&app, "ORD-B-1").await;
    let (_, b, _) = new_shipment(&app, "ORD-B-2").await;
    let (_, c, _) = new_shipment(&app, "ORD-B-3").await;
    set_state(&app, a, "in_transit", Some("AWB1")).await;
    set_state(&app, b, "out_for_delivery", Some("AWB2")).await;
    let r = app.post("/v1/shipments/bulk/refresh-tracking", &json!({"ids": [a, b, c, 999_999]})).await;
    assert_eq!(r.status(), 202);
    let body: Value = r.json().await.unwrap();
    assert_eq!((body["accepted"].as_u64(), body["rejected"].as_u64()), (Some(2), Some(2)), "{body}");
    assert_eq!(
        app.jobs().await,
        vec![Job::RefreshTracking(ShipmentBatchV1 { shipment_ids: vec![a, b] })],
        "one batch job"
    );

    let r = app.post("/v1/shipments/bulk/sync", &json!({"ids": [c, a]})).await;
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["accepted"], 1, "{body}");
    assert_eq!(app.post("/v1/shipments/bulk/sync", &json!({"ids": []})).await.status(), 422);
    app.cleanup().await;
});

on_both_backends!(label_links_are_signed_and_expire, |backend: Backend| async move {
    let app = TestApp::start(backend).await;
    app.expect_jobs();
    let (_, id, _) = new_shipment(&app, "ORD-L-1").await;
    assert_eq!(app.get(&format!("/v1/shipments/{id}/label")).await.status(), 404, "no label yet");
    let pdf = b"%PDF-1.4 label".to_vec();
    app.state.store.save_document(id, "label", None, pdf.clone()).await.unwrap();
    let link: Value = app.get(&format!("/v1/shipments/{id}/label")).await.json().await.unwrap();
    let url = link["url"].as_str().unwrap();
    let r = app.get_public(url).await;
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["content-type"], "application/pdf");
    assert_eq!(r.bytes().await.unwrap().to_vec(), pdf);
    let tampered = url.replace(&format!("/labels/{id}?"), &format!("/labels/{}?", id + 1));
    let r = app.get_public(&tampered).await;
    assert_eq!(r.status(), 403);
    assert_eq!(r.json::<Value>().await.unwrap()["error"]["code"], "invalid_signature");
    app.cleanup().await;

    // A TTL of 0: the link is expired as soon as it is made.
    let app = TestApp::on(backend).env("SHIPPING__AUTH__LABEL_URL_TTL_SECS", "0").start().await;
    app.expect_jobs();
    let (_, id, _) = new_shipment(&app, "ORD-L-2").await;
    app.state.store.save_document(id, "label", None, b"%PDF".to_vec()).await.unwrap();
    let link: Value = app.get(&format!("/v1/shipments/{id}/label")).await.json().await.unwrap();
    let r = app.get_public(link["url"].as_str().unwrap()).await;
    assert_eq!(r.status(), 403);
    assert_eq!(r.json::<Value>().await.unwrap()["error"]["code"], "link_expired");
    app.cleanup().await;
});

on_both_backends!(order_shipment_timeline_list_csv_and_customer_tracking, |backend: Backend| async move {
    let app = TestApp::start(backend).await;
    app.expect_jobs();
    let (_, id, tracking_url) = new_shipment(&app, "ORD-T-1").await;
    let (_, other, _) = new_shipment(&app, "ORD-T-2").await;
    set_state(&app, id, "awb_assigned", Some("19041424751540")).await;
    let at = Utc.with_ymd_and_hms(2026, 11, 28, 6, 0, 0).unwrap();
    let event = TrackingEvent::new(Some(Awb::parse("19041424751540").unwrap()), RawStatus::Shipment(18), at);
    app.state
        .store
        .record_tracking_event(&event, "IN TRANSIT", Some("Mumbai_Hub"), Some("Bag received"), EventSource::Webhook)
        .await
        .unwrap();

    let r: Value = app.get("/v1/orders/ORD-T-1/shipment").await.json().await.unwrap();
    assert_eq!(r["shipment"]["id"], id);
    assert_eq!(r["shipment"]["state"], "in_transit");
    assert_eq!(r["timeline"].as_array().unwrap().len(), 1);
    assert_eq!(r["timeline"][0]["location"], "Mumbai_Hub");
    assert_eq!(app.get("/v1/orders/NOPE/shipment").await.status(), 404);
    let one: Value = app.get(&format!("/v1/shipments/{id}")).await.json().await.unwrap();
    assert_eq!((one["shop_order_id"].as_str(), one["awb"].as_str()), (Some("ORD-T-1"), Some("19041424751540")));
    assert_eq!(one["timeline"][0]["status"], "IN TRANSIT");
    assert_eq!(one["tracking_url"].as_str(), Some(tracking_url.as_str()));
    assert_eq!(app.get("/v1/shipments/999999").await.status(), 404);
    assert_eq!(app.get("/v1/shipments/not-a-number").await.status(), 404);

    let list: Value = app.get("/v1/shipments?status=in_transit").await.json().await.unwrap();
    let ids: Vec<i64> = list["items"].as_array().unwrap().iter().map(|s| s["id"].as_i64().unwrap()).collect();
    assert_eq!(ids, vec![id]);
    let list: Value = app.get("/v1/shipments?sync_status=pending").await.json().await.unwrap();
    assert_eq!(list["items"][0]["id"], other);
    let page: Value = app.get("/v1/shipments?limit=1").await.json().await.unwrap();
    assert_eq!(page["items"][0]["id"], other, "newest first");
    let next: Value =
        app.get(&format!("/v1/shipments?limit=1&before={}", page["next_before"])).await.json().await.unwrap();
    assert_eq!(next["items"][0]["id"], id);
    assert_eq!(app.get("/v1/shipments?status=flying").await.status(), 422);
    assert_eq!(app.get("/v1/shipments?from=yesterday").await.status(), 422);
    let today = Utc::now().date_naive();
    let both: Value = app.get(&format!("/v1/shipments?from={today}&to={today}")).await.json().await.unwrap();
    assert_eq!(both["items"].as_array().unwrap().len(), 2, "created today, both");
    let tomorrow = today.succ_opt().unwrap();
    let none: Value = app.get(&format!("/v1/shipments?from={tomorrow}")).await.json().await.unwrap();
    assert!(none["items"].as_array().unwrap().is_empty());
    let csv = app.get("/v1/shipments.csv?courier=Delhivery%20Surface").await.text().await.unwrap();
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(lines.len(), 2, "{csv}");
    assert!(lines[1].contains("ORD-T-1") && lines[1].contains("19041424751540"));

    let track = app.get_public(&tracking_url).await;
    assert_eq!(track.status(), 200);
    let text = track.text().await.unwrap();
    let body: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(body["status"], "in_transit");
    assert_eq!(body["events"].as_array().unwrap().len(), 1);
    for pii in ["asha", "Asha", "98765", "MG Road", "Rao", "560038"] {
        assert!(!text.contains(pii), "tracking leaks {pii}: {text}");
    }
    assert_eq!(app.get_public("/v1/track/0123456789abcdef0123456789abcdef").await.status(), 404);
    app.cleanup().await;
});

on_both_backends!(every_keyed_route_refuses_a_missing_or_wrong_key, |backend: Backend| async move {
    let app = TestApp::start(backend).await;
    for (method, path, keyed) in crate::openapi::documented_operations() {
        if !keyed {
            continue;
        }
        let path = path.replace("{shop_order_id}", "ORD-1").replace("{id}", "1").replace("{action}", "cancel");
        let m = reqwest::Method::from_bytes(method.to_uppercase().as_bytes()).unwrap();
        for key in [None, Some("wrong-key"), Some(&API_KEY[..API_KEY.len() - 1])] {
            let mut req = app.http.request(m.clone(), app.url(&path)).json(&json!({"ids": [1]}));
            if let Some(k) = key {
                req = req.bearer_auth(k);
            }
            let r = req.send().await.unwrap();
            assert_eq!(r.status(), 401, "{method} {path} with {key:?}");
            assert_eq!(r.json::<Value>().await.unwrap()["error"]["code"], "unauthorized");
        }
    }
    app.cleanup().await;
});

on_both_backends!(customers_can_track_with_order_id_and_their_phone_or_email, |backend: Backend| async move {
    let app = TestApp::on(backend).env("SHIPPING__SERVER__TRACKING_LOOKUPS_PER_MINUTE", "5").start().await;
    app.expect_jobs();
    new_shipment(&app, "ORD-LK-1").await;
    for contact in ["9876543210", "%2B91%2098765%2043210", "asha.rao%40EXAMPLE.com"] {
        let r = app.get_public(&format!("/v1/track?order=ORD-LK-1&contact={contact}")).await;
        assert_eq!(r.status(), 200, "{contact}");
        assert_eq!(r.json::<Value>().await.unwrap()["order"], "ORD-LK-1");
    }
    let wrong = app.get_public("/v1/track?order=ORD-LK-1&contact=9876543211").await;
    assert_eq!(wrong.status(), 404);
    let unknown = app.get_public("/v1/track?order=ORD-NOPE&contact=9876543210").await;
    assert_eq!(unknown.status(), 404);
    assert_eq!(
        wrong.json::<Value>().await.unwrap(),
        unknown.json::<Value>().await.unwrap(),
        "a wrong contact and an unknown order look the same"
    );
    assert_eq!(
        app.get_public("/v1/track?order=ORD-LK-1&contact=9876543210").await.status(),
        429,
        "guessing is limited"
    );
    app.cleanup().await;
});

on_both_backends!(labels_of_many_shipments_come_as_one_zip, |backend: Backend| async move {
    let app = TestApp::start(backend).await;
    app.expect_jobs();
    let (_, a, _) = new_shipment(&app, "ORD-Z-1").await;
    let (_, b, _) = new_shipment(&app, "ORD-Z-2").await;
    let (_, c, _) = new_shipment(&app, "ORD-Z-3").await;
    app.state.store.save_document(a, "label", None, b"%PDF-a".to_vec()).await.unwrap();
    app.state.store.save_document(b, "label", None, b"%PDF-b-old".to_vec()).await.unwrap();
    app.state.store.save_document(b, "label", None, b"%PDF-b".to_vec()).await.unwrap();
    let r = app.post("/v1/labels.zip", &json!({"ids": [a, b, c]})).await;
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["content-type"], "application/zip");
    let bytes = r.bytes().await.unwrap().to_vec();
    let mut zip = zip::ZipArchive::new(std::io::Cursor::new(bytes)).unwrap();
    let mut read = |name: &str| {
        let mut s = String::new();
        std::io::Read::read_to_string(&mut zip.by_name(name).unwrap(), &mut s).unwrap();
        s
    };
    assert_eq!(read(&format!("label-{a}.pdf")), "%PDF-a");
    assert_eq!(read(&format!("label-{b}.pdf")), "%PDF-b", "the current label");
    assert!(read("missing.txt").contains(&format!("shipment {c}")));
    assert_eq!(app.post("/v1/labels.zip", &json!({"ids": [c]})).await.status(), 404);
    assert_eq!(app.post("/v1/labels.zip", &json!({"ids": []})).await.status(), 422);
    app.cleanup().await;
});
