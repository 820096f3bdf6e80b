//! The body the worker sends to Shiprocket's `orders/create/adhoc` for a paid order, as the
//! simulator recorded it, against its snapshot (ids and dates redacted).

use crate::on_both_backends;
use crate::support::{Backend, TestApp, order, redacted};
use crate::worker_support::{drain, worker};

on_both_backends!(the_create_order_body_matches_its_snapshot, |backend: Backend| async move {
    let app = TestApp::start(backend).await;
    let handler = worker(&app, false);
    assert_eq!(app.post("/v1/orders", &order("ORD-SNAP-PAYLOAD")).await.status(), 201);
    drain(&app, &handler).await;
    let (body, pincode) = app.sim.order_request("ORD-SNAP-PAYLOAD").expect("the worker created the order");
    assert_eq!(pincode, "560038");
    redacted(|| insta::assert_json_snapshot!("shiprocket_create_order_body", body));
    app.cleanup().await;
});
