//! The pages in a real browser: headless Chromium driven over WebDriver against the app on
//! port 0, the simulator as Shiprocket, and the worker's real jobs run in-process from the
//! outbox (`runner::drain`, as the worker's own tests do). Every page visited is checked for
//! `lang`, a title, a label on every control and an empty error console, and screenshotted to
//! `target/browser-artifacts/`.

use crate::support::{ADMIN_PASSWORD, ADMIN_USER, API_KEY, Backend, TestApp, drain, order, worker};
use crate::webdriver::Browser;
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};
use serde_json::{Value, json};
use shipping_store::entities::{dead_job, ndr_action, outbox, shipment};
use shipping_store::jobs::{Job, ShipmentJobV1};
use shipping_worker::handler::Handler;
use std::time::Duration;

async fn ingest(app: &TestApp, id: &str, pincode: &str) -> i64 {
    let mut o = order(id);
    o["billing"]["pincode"] = json!(pincode);
    let r = app.post("/v1/orders", &o).await;
    assert_eq!(r.status(), 201);
    r.json::<Value>().await.unwrap()["shipment_id"].as_i64().unwrap()
}

async fn sign_in(b: &Browser, app: &TestApp) {
    b.goto(&app.url("/admin/sign-in")).await;
    b.check_page("sign-in").await;
    b.type_into("#username", ADMIN_USER).await;
    b.type_into("#password", ADMIN_PASSWORD).await;
    b.click("button[type=submit]").await;
    b.wait_for("the dashboard", "return document.title.startsWith('Dashboard');", Duration::from_secs(15)).await;
}

/// Selects every shipment in `status` on the list, runs `action`, lets the worker run the jobs
/// and waits for the progress page to count all 20 done.
async fn bulk(b: &Browser, app: &TestApp, handler: &Handler, status: &str, action: &str, name: &str) {
    b.goto(&app.url(&format!("/admin/shipments?status={status}"))).await;
    b.check_page(&format!("{name}-list")).await;
    assert_eq!(b.find_all("input.pick").await.len(), 20, "{status}");
    b.click("#pick-all").await;
    b.execute("document.getElementById('action').value = arguments[0]; return true;", json!([action])).await;
    b.click("#bulk button[type=submit]").await;
    b.wait_for("the progress page", "return !!document.getElementById('progress');", Duration::from_secs(10)).await;
    b.wait_for(
        "the first poll",
        "return document.getElementById('progress-text').textContent.startsWith('0 of 20');",
        Duration::from_secs(10),
    )
    .await;
    b.check_page(&format!("{name}-progress")).await;
    drain(app, handler).await; // the worker runs the jobs
    b.wait_for(
        "every job",
        "const p = document.getElementById('progress'); return p.dataset.finished === 'true' && p.dataset.done === '20';",
        Duration::from_secs(20),
    )
    .await;
    b.screenshot(&format!("{name}-done")).await;
    b.assert_no_console_errors(name).await;
}

async fn count_where(app: &TestApp, states: &[&str]) -> i64 {
    let n = shipment::Entity::find()
        .filter(shipment::Column::State.is_in(states.iter().copied()))
        .count(app.state.store.db())
        .await
        .unwrap();
    i64::try_from(n).unwrap()
}

// On both backends: the dashboard's counters are SQL that differs between them.
crate::on_both_backends!(
    admin_pages_sign_in_dashboard_bulk_labels_detail_and_dead_jobs,
    |backend: Backend| async move {
        let app = TestApp::on(backend).start().await;
        let handler = worker(&app, false);
        let mut ids = Vec::new();
        for i in 0..20 {
            ids.push(ingest(&app, &format!("BR-{i:03}"), "560038").await);
        }
        drain(&app, &handler).await; // synced only: with auto_ship off, the operator books them
        let pending = ingest(&app, "BR-PENDING", "560038").await; // one still waiting for its sync
        app.state
            .store
            .record_dead_job(
                &Job::SchedulePickup(ShipmentJobV1 { shipment_id: ids[0], courier_id: None }),
                5,
                "boom <b>",
            )
            .await
            .unwrap();

        let prefix = if backend == Backend::Postgres { "postgres-" } else { "" };
        // A worker's reading of the queues, as its gauges keep it.
        let reading = [("high", 3, 1), ("low", 0, 0), ("medium", 2, 0)];
        app.state.store.record_queue_depths(&reading, chrono::Utc::now()).await.unwrap();
        let b = Browser::start(1280, 900).await.with_artifact_prefix(prefix);
        sign_in(&b, &app).await;
        b.check_page("dashboard").await;
        let shown = b
        .execute(
            "const o = {}; document.querySelectorAll('[data-count]').forEach(e => o[e.dataset.count] = Number(e.textContent)); return o;",
            json!([]),
        )
        .await;
        let db = app.state.store.db();
        let expected = json!({
            "pending_syncs": count_where(&app, &["pending_sync"]).await,
            "active_shipments": count_where(&app, &shipping_store::dashboard::ACTIVE_STATES.map(|s| s.name())).await,
            "failed_syncs": count_where(&app, &["sync_failed"]).await,
            "ndr_waiting": count_where(&app, &["ndr"]).await,
            "rto_in_progress": count_where(&app, &shipping_store::dashboard::RTO_STATES.map(|s| s.name())).await,
            "dead_jobs": dead_job::Entity::find().filter(dead_job::Column::ReplayedAt.is_null()).count(db).await.unwrap(),
            "queued_jobs": app.state.store.queue_depths().await.unwrap().iter().map(|q| q.ready + q.scheduled).sum::<i64>(),
            "outbox_backlog": outbox::Entity::find().filter(outbox::Column::DispatchedAt.is_null()).count(db).await.unwrap(),
            "needs_attention": shipment::Entity::find().filter(shipment::Column::AttentionReason.is_not_null()).count(db).await.unwrap(),
        });
        assert_eq!(shown, expected, "the dashboard shows what the database holds");
        assert_eq!(expected["pending_syncs"], 1);
        assert_eq!(expected["active_shipments"], 20);
        assert_eq!(expected["dead_jobs"], 1);
        assert_eq!(expected["queued_jobs"], 6);
        assert!(b.text("#queue-note").await.contains("high 3 ready, 1 later"));

        // Bulk: create the shipments (courier + AWB) for every synced one, then their labels.
        bulk(&b, &app, &handler, "synced", "assign-awb", "bulk-create").await;
        bulk(&b, &app, &handler, "awb_assigned", "label", "bulk-labels").await;
        let sid = b.cookie("sid").await.expect("the session cookie");
        let pdf_href = b.execute("return document.getElementById('labels-pdf').getAttribute('href');", json!([])).await;
        let zip_href = b.execute("return document.getElementById('labels-zip').getAttribute('href');", json!([])).await;
        let get = |href: Value| {
            let url = app.url(href.as_str().unwrap());
            let sid = sid.clone();
            async move {
                let r = reqwest::Client::new().get(url).header("cookie", format!("sid={sid}")).send().await.unwrap();
                assert_eq!(r.status(), 200);
                r.bytes().await.unwrap().to_vec()
            }
        };
        let pdf = get(pdf_href).await;
        assert_eq!(lopdf::Document::load_mem(&pdf).unwrap().get_pages().len(), 20, "one merged PDF, 20 pages");
        let zip = zip::ZipArchive::new(std::io::Cursor::new(get(zip_href).await)).unwrap();
        assert_eq!(zip.len(), 20, "a ZIP with 20 labels");
        assert!(zip.file_names().map(Result::unwrap).all(|n| n.starts_with("label-") && n.ends_with(".pdf")));

        // Detail of a booked shipment and of one waiting for its sync.
        b.goto(&app.url(&format!("/admin/shipments/{}", ids[3]))).await;
        b.check_page("shipment-detail").await;
        assert!(b.text("main").await.contains("Download label"));
        b.goto(&app.url(&format!("/admin/shipments/{pending}"))).await;
        b.check_page("shipment-detail-pending").await;

        // Dead jobs: listed with the error (escaped), replayed.
        b.goto(&app.url("/admin/dead-jobs")).await;
        b.check_page("dead-jobs").await;
        assert!(b.text("main").await.contains("boom <b>"));
        b.click("button[name=one]").await;
        b.wait_for(
            "the replay",
            "return document.body.textContent.includes('1 job(s) put back');",
            Duration::from_secs(10),
        )
        .await;
        b.check_page("dead-jobs-replayed").await;
        assert!(app.state.store.dead_jobs().await.unwrap().is_empty());

        b.quit().await;
        app.cleanup().await;
    }
);

crate::on_both_backends!(
    customer_tracking_page_shows_the_timeline_and_takes_an_ndr_request,
    |backend: Backend| async move {
        let app = TestApp::on(backend).start().await;
        let prefix = if backend == Backend::Postgres { "postgres-" } else { "" };
        app.sim.set_webhook_url(Some(app.url("/webhooks/courier-updates")));
        let handler = worker(&app, true);
        let delivered = ingest(&app, "TR-DELIVER", "560038").await;
        drain(&app, &handler).await;
        let b = Browser::start(375, 812).await.with_artifact_prefix(prefix); // a phone
        advance_until(&app, &handler, delivered, "delivered").await;
        let s = app.state.store.shipment(delivered).await.unwrap().unwrap();
        b.goto(&app.url(&format!("/track/{}", s.tracking_token))).await;
        b.check_page("tracking-delivered").await;
        let events = app.state.store.tracking_events(delivered).await.unwrap();
        assert!(events.len() >= 4, "picked up, in transit, out for delivery, delivered: {}", events.len());
        assert_eq!(b.find_all("#timeline li").await.len(), events.len(), "the full timeline");
        assert_eq!(b.text("#status").await, "Delivered");
        let width = b.execute("return [document.documentElement.scrollWidth, window.innerWidth];", json!([])).await;
        assert_eq!(width, json!([375, 375]), "fits a 375 px screen without scrolling sideways");
        let text = b.text("body").await;
        assert!(text.contains(s.awb.as_deref().unwrap()) && !text.contains("Asha") && !text.contains("MG Road"));

        let missed = ingest(&app, "TR-NDR", "560077").await; // the simulator's NDR pincode
        drain(&app, &handler).await;
        advance_until(&app, &handler, missed, "ndr").await;
        let n = app.state.store.shipment(missed).await.unwrap().unwrap();
        b.goto(&app.url(&format!("/track/{}", n.tracking_token))).await;
        b.check_page("tracking-ndr").await;
        // The courier's latest delivery estimate, as the webhooks brought it.
        let eta = n.expected_delivery_at.expect("an estimate from the courier").format("%A, %e %B %Y").to_string();
        let shown = b.text(".eta").await;
        assert_eq!(
            shown.split_whitespace().collect::<Vec<_>>().join(" "),
            format!("Expected by {}", eta.split_whitespace().collect::<Vec<_>>().join(" "))
        );
        let tomorrow = (chrono::Utc::now().date_naive() + chrono::Duration::days(1)).to_string();
        b.execute("document.getElementById('date').value = arguments[0]; return true;", json!([tomorrow])).await;
        b.type_into("#phone", "9876501234").await;
        b.click("main form button[type=submit]").await;
        b.wait_for("the thank-you", "return document.body.textContent.includes('Thank you');", Duration::from_secs(10))
            .await;
        b.check_page("tracking-ndr-requested").await;
        let actions = ndr_action::Entity::find()
            .filter(ndr_action::Column::ShipmentId.eq(missed))
            .all(app.state.store.db())
            .await
            .unwrap();
        assert_eq!(actions.len(), 1);
        let a = &actions[0];
        assert_eq!((a.action.as_str(), a.requested_by.as_str()), ("re-attempt", "customer"));
        assert_eq!(a.deferred_date.map(|d| d.to_string()), Some(tomorrow));
        assert_eq!(a.new_phone.as_deref(), Some("9876501234"));
        assert!(app.jobs().await.iter().any(|j| matches!(j, Job::NdrAction(x) if x.ndr_action_id == a.id)));
        b.quit().await;
        app.cleanup().await;
    }
);

/// Moves the simulator's clock in 3-hour steps (its webhooks reach the app over HTTP and the
/// worker applies them) until the shipment is in `state`.
async fn advance_until(app: &TestApp, handler: &Handler, id: i64, state: &str) {
    for _ in 0..80 {
        if app.state.store.shipment(id).await.unwrap().unwrap().state == state {
            return;
        }
        app.sim.advance(chrono::Duration::hours(3)).await;
        tokio::time::sleep(Duration::from_millis(50)).await;
        drain(app, handler).await;
    }
    panic!("shipment {id} never reached {state}");
}

/// A shop's checkout page on another origin, including the widget.
async fn shop_page(app_base: &str) -> (String, tokio::sync::oneshot::Sender<()>) {
    let html = format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>Checkout</title>\
         <link rel=\"icon\" href=\"data:,\"></head><body><h1>Checkout</h1><form id=\"checkout\">\
         <input type=\"hidden\" id=\"courier_id\" name=\"courier_id\"><div id=\"rates\"></div>\
         <button type=\"submit\">Pay</button></form>\
         <script src=\"{app_base}/widget/rates.js\" data-mount=\"#rates\" data-target=\"#courier_id\" data-weight=\"0.5\"></script>\
         </body></html>"
    );
    let router = axum::Router::new().route("/", axum::routing::get(move || async move { axum::response::Html(html) }));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    tokio::spawn(async move {
        axum::serve(listener, router)
            .with_graceful_shutdown(async {
                let _ = rx.await;
            })
            .await
            .unwrap();
    });
    (format!("http://{addr}/"), tx)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn checkout_widget_shows_rates_and_says_when_a_pincode_is_not_served() {
    let app = TestApp::on(Backend::Sqlite).start().await;
    let (shop, _stop) = shop_page(&app.base).await;
    let b = Browser::start(375, 812).await;
    b.goto(&shop).await;
    b.wait_for("the widget", "return !!document.querySelector('[data-srw-pincode]');", Duration::from_secs(10)).await;
    b.check_page("widget").await;

    b.type_into("[data-srw-pincode]", "560001").await;
    b.wait_for(
        "rates",
        "return document.querySelector('[data-srw]').dataset.srwState === 'serviceable';",
        Duration::from_secs(15),
    )
    .await;
    b.check_page("widget-rates").await;
    let couriers = b.find_all("[data-srw-courier]").await;
    assert!(!couriers.is_empty());
    let chosen = b.execute("return document.getElementById('courier_id').value;", json!([])).await;
    assert!(!chosen.as_str().unwrap().is_empty(), "the recommended courier goes into the shop's form");
    let listed = b.text("[data-srw-couriers]").await;
    assert!(listed.contains('₹') && listed.contains("day"), "price and ETA: {listed}");
    assert!(listed.contains("Cash on delivery available") || listed.contains("Prepaid only"));

    b.type_into("[data-srw-pincode]", "999999").await;
    b.wait_for(
        "the not-serviceable message",
        "return document.querySelector('[data-srw]').dataset.srwState === 'not-serviceable';",
        Duration::from_secs(15),
    )
    .await;
    b.check_page("widget-not-serviceable").await;
    assert!(b.text("[data-srw-message]").await.contains("do not deliver"));
    assert_eq!(b.execute("return document.getElementById('courier_id').value;", json!([])).await, json!(""));

    // Rates switched off: the widget hides itself.
    let mut flags = app.state.flags();
    flags.show_rates = false;
    app.state.set_flags(flags);
    b.goto(&shop).await;
    b.wait_for(
        "the widget to hide",
        "return document.getElementById('rates').hidden === true;",
        Duration::from_secs(10),
    )
    .await;
    b.check_page("widget-disabled").await;
    let r = app.http.get(app.url("/v1/rates?delivery_pincode=560001&weight=0.5")).bearer_auth(API_KEY).send().await;
    assert_eq!(r.unwrap().status(), 503);
    b.quit().await;
    app.cleanup().await;
}

/// The value of the input `#id`.
async fn value_of(b: &Browser, id: &str) -> Value {
    b.execute("return document.getElementById(arguments[0]).value;", json!([id])).await
}

// The admin form goes through the same edit as `PUT /v1/orders/{id}`: on both backends, with
// the worker's real jobs against the simulator.
crate::on_both_backends!(admin_corrects_an_order_shiprocket_refused_and_it_syncs_once, |backend: Backend| async move {
    let app = TestApp::on(backend).start().await;
    let handler = worker(&app, false);
    let mut o = order("BR-EDIT");
    o["customer"]["phone"] = json!("9999999999"); // well-formed, refused by the simulator
    let r = app.post("/v1/orders", &o).await;
    assert_eq!(r.status(), 201);
    let id = r.json::<Value>().await.unwrap()["shipment_id"].as_i64().unwrap();
    let drained = shipping_worker::runner::drain(&app.state.store, &handler, 5, 200).await.unwrap();
    assert_eq!(drained.dead.len(), 1, "the refused sync");
    assert_eq!(app.state.store.shipment(id).await.unwrap().unwrap().state, "sync_failed");

    let prefix = if backend == Backend::Postgres { "postgres-" } else { "" };
    let b = Browser::start(1280, 900).await.with_artifact_prefix(prefix);
    sign_in(&b, &app).await;
    b.goto(&app.url(&format!("/admin/shipments/{id}"))).await;
    b.check_page("order-edit-failed-sync").await;
    assert!(b.text("main").await.contains("Correct them in the form below"), "the sync problem points at the form");
    assert_eq!(value_of(&b, "edit-customer-phone").await, "9999999999", "the current values are filled in");
    assert_eq!(value_of(&b, "edit-billing-city").await, "Bengaluru");
    assert_eq!(value_of(&b, "edit-items-0-weight").await, "250");

    // A mistake is shown beside its field, with what was typed kept.
    b.type_into("#edit-customer-phone", "98765 01234").await;
    b.type_into("#edit-billing-pincode", "012345").await;
    b.click("#edit-save").await;
    b.wait_for(
        "the pincode's error",
        "return !!document.getElementById('edit-billing-pincode-error');",
        Duration::from_secs(10),
    )
    .await;
    b.check_page("order-edit-errors").await;
    assert!(!b.text("#edit-billing-pincode-error").await.is_empty());
    assert_eq!(value_of(&b, "edit-customer-phone").await, "98765 01234");
    assert!(app.state.store.audit_trail("shipment", id).await.unwrap().iter().all(|a| a.action != "edit_order"));

    b.type_into("#edit-billing-pincode", "560038").await;
    b.click("#edit-save").await;
    b.wait_for("the saved notice", "return !!document.getElementById('edited');", Duration::from_secs(10)).await;
    b.check_page("order-edit-saved").await;
    let audit = app.state.store.audit_trail("shipment", id).await.unwrap();
    let edit = audit.iter().find(|a| a.action == "edit_order").expect("audited");
    assert_eq!(edit.actor, "admin:ops");
    assert!(edit.details.contains("customer.phone") && !edit.details.contains("01234"), "{}", edit.details);
    let syncs = app.jobs().await.iter().filter(|j| matches!(j, Job::SyncOrder(s) if s.shipment_id == id)).count();
    assert_eq!(syncs, 2, "the ingest's sync and exactly one more");

    drain(&app, &handler).await;
    assert_eq!(app.state.store.shipment(id).await.unwrap().unwrap().sync_status, "synced");
    assert_eq!(app.sim.counters().orders_created.get("BR-EDIT"), Some(&1), "one Shiprocket order");
    assert_eq!(app.sim.order_request("BR-EDIT").unwrap().0["billing_phone"], "9876501234");
    b.goto(&app.url(&format!("/admin/shipments/{id}"))).await;
    b.check_page("order-edit-synced").await;
    assert_eq!(value_of(&b, "edit-customer-phone").await, "9876501234", "still editable until the AWB");
    b.quit().await;
    app.cleanup().await;
});
