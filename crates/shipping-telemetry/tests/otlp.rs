//! With `telemetry.otlp_endpoint` set, spans really leave the process: OTLP/HTTP protobuf POSTs
//! to the endpoint, from inside a tokio runtime as in the binaries' `main`.
#![allow(clippy::unwrap_used)]

use axum::body::Bytes;
use axum::http::HeaderMap;
use std::sync::{Arc, Mutex};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn spans_are_posted_to_the_otlp_http_endpoint() {
    let received: Arc<Mutex<Vec<(String, usize)>>> = Arc::default();
    let sink = received.clone();
    let app = axum::Router::new().route(
        "/v1/traces",
        axum::routing::post(move |headers: HeaderMap, body: Bytes| {
            let sink = sink.clone();
            async move {
                let ct = headers.get("content-type").and_then(|v| v.to_str().ok()).unwrap_or("").to_owned();
                sink.lock().unwrap().push((ct, body.len()));
                ""
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let endpoint = format!("http://{}/v1/traces", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });

    let telemetry = shipping_telemetry::init("shipping-otlp-test", &endpoint);
    tracing::info_span!("order", order_id = 7).in_scope(|| {
        tracing::info_span!("shiprocket", endpoint = "orders.create").in_scope(|| tracing::info!("sent"));
    });
    // Flushing waits for the exporter's thread: not on a runtime worker.
    tokio::task::spawn_blocking(move || {
        telemetry.flush();
        drop(telemetry);
    })
    .await
    .unwrap();

    let received = received.lock().unwrap().clone();
    assert!(!received.is_empty(), "nothing was exported");
    assert!(received.iter().all(|(ct, len)| ct == "application/x-protobuf" && *len > 0), "{received:?}");
}
