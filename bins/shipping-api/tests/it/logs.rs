//! No personal data in logs: everything the API logs at DEBUG while ingesting an order,
//! taking a webhook, an NDR decision and a tracking lookup is captured and searched.

use crate::support::{Backend, TestApp, WEBHOOK_TOKEN, order};
use serde_json::json;
use std::io::Write;
use std::sync::{Arc, Mutex};

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

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn nothing_personal_is_logged() {
    let captured = Captured::default();
    let writer = captured.clone();
    let subscriber =
        tracing_subscriber::fmt().with_env_filter("debug").json().with_writer(move || writer.clone()).finish();
    tracing::subscriber::set_global_default(subscriber).unwrap();

    let app = TestApp::on(Backend::Sqlite).env("SHIPROCKET_AUTO_SYNC", "false").start().await;
    app.expect_jobs();
    let mut o = order("ORD-PII-1");
    o["shipping"] = json!({"first_name": "Meera", "last_name": "Iyer", "line1": "7 Lake View Residency",
                           "city": "Chennai", "state": "Tamil Nadu", "pincode": "600001", "phone": "9123400000"});
    assert_eq!(app.post("/v1/orders", &o).await.status(), 201);
    assert_eq!(app.post("/v1/orders", &o).await.status(), 200);
    let mut bad = order("ORD-PII-2");
    bad["customer"]["phone"] = json!("1234509876");
    assert_eq!(app.post("/v1/orders", &bad).await.status(), 422);
    let hook = json!({"awb": "AWB55", "current_status_id": 20, "current_timestamp": "23 05 2023 11:43:52"});
    let r = app
        .http
        .post(app.url("/webhooks/courier-updates"))
        .header("x-api-key", WEBHOOK_TOKEN)
        .json(&hook)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(app.get_public("/v1/track?order=ORD-PII-1&contact=9876543210").await.status(), 200);
    app.cleanup().await;

    let logs = String::from_utf8(captured.0.lock().unwrap().clone()).unwrap();
    assert!(logs.contains("order accepted"), "the capture works: {logs}");
    for pii in [
        "9876543210",
        "98765 43210",
        "1234509876",
        "9123400000",
        "asha",
        "Asha",
        "Rao",
        "MG Road",
        "Meera",
        "Iyer",
        "Lake View",
        WEBHOOK_TOKEN,
        crate::support::API_KEY,
    ] {
        assert!(!logs.contains(pii), "logs contain {pii:?}");
    }
}
