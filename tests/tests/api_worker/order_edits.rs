//! `PUT /v1/orders/{id}`: correcting an order before it ships, with the worker's real jobs
//! against the simulator, on both backends.

use crate::on_both_backends;
use crate::support::{Backend, TestApp, edit_of, order};
use crate::worker_support::worker;
use serde_json::{Value, json};
use shipping_store::jobs::Job;
use shipping_worker::runner::Drained;

async fn run_jobs(app: &TestApp, handler: &shipping_worker::handler::Handler) -> Drained {
    shipping_worker::runner::drain(&app.state.store, handler, 5, 200).await.unwrap()
}

async fn ingest(app: &TestApp, body: &Value) -> i64 {
    let r = app.post("/v1/orders", body).await;
    assert_eq!(r.status(), 201);
    r.json::<Value>().await.unwrap()["shipment_id"].as_i64().unwrap()
}

fn syncs(jobs: &[Job], shipment_id: i64) -> usize {
    jobs.iter().filter(|j| matches!(j, Job::SyncOrder(s) if s.shipment_id == shipment_id)).count()
}

on_both_backends!(a_phone_shiprocket_refuses_is_corrected_by_put_and_synced_once, |backend: Backend| async move {
    let app = TestApp::start(backend).await;
    app.expect_dead_jobs();
    let handler = worker(&app, false);
    // Well-formed for us; the simulator refuses a placeholder number like Shiprocket.
    let mut o = order("ED-PHONE");
    o["customer"]["phone"] = json!("9999999999");
    let id = ingest(&app, &o).await;
    let drained = run_jobs(&app, &handler).await;
    assert_eq!(drained.dead.len(), 1, "the refused sync: {drained:?}");
    let s = app.state.store.shipment(id).await.unwrap().unwrap();
    assert_eq!((s.sync_status.as_str(), s.state.as_str()), ("failed", "sync_failed"));
    let reason = s.sync_error.unwrap();
    assert!(reason.contains("Not a valid mobile number"), "Shiprocket's reason is kept: {reason}");
    assert_eq!(app.sim.counters().orders_created.get("ED-PHONE"), None);

    let mut fix = edit_of("ED-PHONE");
    fix["customer"]["phone"] = json!("+91 98765 43210");
    let r = app.put("/v1/orders/ED-PHONE", &fix).await;
    assert_eq!(r.status(), 200);
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["changed_fields"], json!(["customer.phone"]));
    assert_eq!(body["job"], "sync_order");
    assert_eq!(body["shipment_id"], id);
    assert_eq!(syncs(&app.jobs().await, id), 2, "the ingest's sync and exactly one more");
    let s = app.state.store.shipment(id).await.unwrap().unwrap();
    assert_eq!((s.sync_status.as_str(), s.state.as_str(), s.sync_error), ("pending", "pending_sync", None));
    let audit = app.state.store.audit_trail("shipment", id).await.unwrap();
    let edit = audit.iter().find(|a| a.action == "edit_order").expect("the edit is audited");
    assert_eq!(edit.actor, "api-key#0", "who: the shop's first API key");
    assert!(edit.details.contains("customer.phone") && !edit.details.contains("98765"), "{}", edit.details);

    // The same correction again changes nothing and promises nothing.
    let again: Value = app.put("/v1/orders/ED-PHONE", &fix).await.json().await.unwrap();
    assert_eq!((again["changed_fields"].clone(), again["job"].clone()), (json!([]), Value::Null));
    assert_eq!(syncs(&app.jobs().await, id), 2);

    let drained = run_jobs(&app, &handler).await;
    assert!(drained.dead.is_empty(), "{drained:?}");
    assert_eq!(app.state.store.shipment(id).await.unwrap().unwrap().sync_status, "synced");
    assert_eq!(app.sim.counters().orders_created.get("ED-PHONE"), Some(&1), "one Shiprocket order");
    let (sr, _) = app.sim.order_request("ED-PHONE").unwrap();
    assert_eq!(sr["billing_phone"], "9876543210", "the corrected phone reached Shiprocket");
    // The shop's replay of the original event is still recognised as that event.
    assert_eq!(app.post("/v1/orders", &o).await.status(), 200);
    app.cleanup().await;
});

on_both_backends!(an_edit_after_sync_reaches_shiprocket_and_after_the_awb_is_refused, |backend: Backend| async move {
    let app = TestApp::start(backend).await;
    let handler = worker(&app, false);
    let id = ingest(&app, &order("ED-MOVE")).await;
    assert!(run_jobs(&app, &handler).await.dead.is_empty());
    assert_eq!(app.state.store.shipment(id).await.unwrap().unwrap().state, "synced");

    let mut moved = edit_of("ED-MOVE");
    moved["shipping"] = json!({"first_name": "Asha", "last_name": "Rao", "line1": "42 Lake View Road, Bandra",
                               "city": "Mumbai", "state": "Maharashtra", "pincode": "400050"});
    moved["items"][0]["weight"] = json!(300);
    let r = app.put("/v1/orders/ED-MOVE", &moved).await;
    assert_eq!(r.status(), 200);
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["job"], "update_order");
    assert!(body["changed_fields"].as_array().unwrap().contains(&json!("shipping.line1")), "{body}");
    assert!(body["changed_fields"].as_array().unwrap().contains(&json!("items[0].weight")), "{body}");
    assert!(run_jobs(&app, &handler).await.dead.is_empty());
    let (sr, delivery_pincode) = app.sim.order_request("ED-MOVE").unwrap();
    assert_eq!(sr["shipping_address"], "42 Lake View Road, Bandra", "Shiprocket has the new address");
    assert_eq!((sr["shipping_pincode"].as_str(), delivery_pincode.as_str()), (Some("400050"), "400050"));
    assert_eq!(sr["order_items"][0]["sku"], "TSH-BLU-M");
    let calls = app.sim.counters().calls;
    assert_eq!((calls.get("orders/update/adhoc"), calls.get("orders/address/update")), (Some(&1), Some(&1)));
    assert_eq!(app.sim.counters().orders_created.get("ED-MOVE"), Some(&1), "updated, not created again");
    let audit = app.state.store.audit_trail("shipment", id).await.unwrap();
    assert!(audit.iter().any(|a| a.action == "shiprocket_order_updated"));
    assert!(audit.iter().all(|a| !a.details.contains("Lake View")), "no customer values in the audit");

    // Booked: Shiprocket no longer takes changes, so neither do we.
    assert_eq!(app.post_empty(&format!("/v1/shipments/{id}/assign-awb")).await.status(), 202);
    assert!(run_jobs(&app, &handler).await.dead.is_empty());
    assert!(app.state.store.shipment(id).await.unwrap().unwrap().awb.is_some());
    let jobs_before = app.jobs().await.len();
    moved["billing"]["line1"] = json!("13 MG Road, Indiranagar");
    let r = app.put("/v1/orders/ED-MOVE", &moved).await;
    assert_eq!(r.status(), 409);
    let err: Value = r.json().await.unwrap();
    assert_eq!(err["error"]["code"], "invalid_state");
    assert!(err["error"]["message"].as_str().unwrap().contains("AWB"), "{err}");
    assert_eq!(app.jobs().await.len(), jobs_before, "nothing promised");
    app.cleanup().await;
});

on_both_backends!(edits_are_validated_like_orders_and_refused_for_cancelled_shipments, |backend: Backend| async move {
    let app = TestApp::start(backend).await;
    let id = ingest(&app, &order("ED-BAD")).await;
    let refused = |body: Value| {
        let app = &app;
        async move {
            let r = app.put("/v1/orders/ED-BAD", &body).await;
            let status = r.status().as_u16();
            let err: Value = r.json().await.unwrap();
            (status, err["error"]["fields"][0]["field"].as_str().unwrap_or_default().to_owned(), err)
        }
    };
    let mut bad_pin = edit_of("ED-BAD");
    bad_pin["shipping"] =
        json!({"first_name": "A", "line1": "12 MG Road", "city": "Pune", "state": "MH", "pincode": "012345"});
    let (status, field, _) = refused(bad_pin).await;
    assert_eq!((status, field.as_str()), (422, "shipping.pincode"));
    let mut empty_city = edit_of("ED-BAD");
    empty_city["billing"]["city"] = json!(" ");
    let (status, field, _) = refused(empty_city).await;
    assert_eq!((status, field.as_str()), (422, "billing.city"));
    let mut more_units = edit_of("ED-BAD");
    more_units["items"][0]["units"] = json!(3);
    let (status, field, err) = refused(more_units).await;
    assert_eq!((status, field.as_str()), (422, "items"), "{err}");
    let mut pay = edit_of("ED-BAD");
    pay["payment"] = json!({"method": "prepaid"});
    let (status, _, err) = refused(pay).await;
    assert_eq!(status, 422);
    assert!(err["error"]["message"].as_str().unwrap().contains("unknown field `payment`"), "{err}");
    assert_eq!(app.put("/v1/orders/NO-SUCH", &edit_of("NO-SUCH")).await.status(), 404);
    assert!(app.state.store.audit_trail("shipment", id).await.unwrap().is_empty(), "nothing was edited");

    assert_eq!(app.post_empty(&format!("/v1/shipments/{id}/cancel")).await.status(), 202);
    let handler = worker(&app, false);
    assert!(run_jobs(&app, &handler).await.dead.is_empty());
    assert_eq!(app.state.store.shipment(id).await.unwrap().unwrap().state, "cancelled");
    let mut fix = edit_of("ED-BAD");
    fix["customer"]["phone"] = json!("9876501234");
    let (status, _, err) = refused(fix).await;
    assert_eq!(status, 409);
    assert!(err["error"]["message"].as_str().unwrap().contains("cancelled"), "{err}");
    app.cleanup().await;
});
