//! What the client logs about an order create contains no customer data.
#![allow(clippy::unwrap_used)]

mod support;

use axum::http::Method;
use serde_json::json;
use shiprocket_client::endpoints::orders::{CreateOrder, OrderPayload};
use std::io::Write;
use std::sync::{Arc, Mutex};
use support::{Reply, ScriptedServer, config_for, fixture};

/// A `tracing` writer that keeps everything in memory.
#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[tokio::test]
async fn an_order_create_log_holds_no_phone_email_name_or_address() {
    let captured = Captured::default();
    let writer = captured.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_writer(move || writer.clone())
        .with_ansi(false)
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);

    let server = ScriptedServer::start().await;
    server.with_login();
    // First a validation failure that echoes customer data back, then the success.
    server.sequence(
        Method::POST,
        "orders/create/adhoc",
        vec![Reply::json(
            500,
            json!({"message": "Server Error", "billing_phone": "9800000001", "billing_customer_name": "Asha"}),
        )],
        Reply::json(200, fixture("order_create_adhoc_response.json")),
    );
    let client = shiprocket_client::Client::new(config_for(&server)).unwrap();
    let payload: OrderPayload = serde_json::from_value(fixture("order_create_adhoc_request.json")).unwrap();

    let created = client.send(&CreateOrder(payload.clone())).await.unwrap();
    tracing::info!(?payload, "the payload's Debug, as a careless caller might log it");

    assert_eq!(created.order_id, 412345678);
    let log = String::from_utf8(captured.0.lock().unwrap().clone()).unwrap();
    // The log really covers the call: request, retry and response lines are there.
    for expected in
        ["orders.create", "shiprocket request", "retrying", "shiprocket response", "WEB-100245", "[redacted]"]
    {
        assert!(log.contains(expected), "log lacks {expected:?}:\n{log}");
    }
    for pii in [
        "Asha",
        "Verma",
        "9800000001",
        "asha.verma@example.com",
        "Flat 12",
        "Lotus Apartments",
        "Near City Park",
        "p4ssw0rd-never-logged",
        "token-1",
    ] {
        assert!(!log.contains(pii), "log contains {pii:?}:\n{log}");
    }
}
