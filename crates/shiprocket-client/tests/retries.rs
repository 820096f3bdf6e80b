//! Retry policy per failure class, measured on tokio's paused clock against a scripted server
//! on the same runtime.
#![allow(clippy::unwrap_used)]

mod support;

use axum::http::Method;
use serde_json::json;
use shiprocket_client::Error;
use shiprocket_client::endpoints::orders::CreateOrder;
use shiprocket_client::endpoints::tracking::TrackAwb;
use std::time::Duration;
use support::{Reply, ScriptedServer, client_with_token, config_for, fixture};

const AWB: &str = "19041400000123";

fn track() -> TrackAwb {
    TrackAwb { awb: AWB.into() }
}

fn track_path() -> String {
    format!("courier/track/awb/{AWB}")
}

/// Gaps between consecutive requests, in whole milliseconds of (virtual) time.
fn gaps_ms(server: &ScriptedServer, path: &str) -> Vec<u128> {
    let reqs = server.requests_to(path);
    reqs.windows(2).map(|w| (w[1].at - w[0].at).as_millis()).collect()
}

fn too_many() -> Reply {
    Reply::json(429, json!({"message": "Too Many Attempts."}))
}

#[tokio::test(start_paused = true)]
async fn rate_limited_waits_1_2_4_8_seconds_then_succeeds() {
    let server = ScriptedServer::start().await;
    server.sequence(
        Method::GET,
        &track_path(),
        vec![too_many(); 4],
        Reply::json(200, fixture("track_awb_response.json")),
    );
    let client = client_with_token(&server, config_for(&server), "token-0").await;

    let started = tokio::time::Instant::now();
    let tracking = client.send(&track()).await.unwrap();

    assert_eq!(tracking.shipment_status, Some(17));
    assert_eq!(gaps_ms(&server, &track_path()), [1_000, 2_000, 4_000, 8_000]);
    assert_eq!(started.elapsed().as_millis(), 15_000);
}

#[tokio::test(start_paused = true)]
async fn rate_limited_gives_up_after_four_retries() {
    let server = ScriptedServer::start().await;
    server.always(Method::GET, &track_path(), too_many());
    let client = client_with_token(&server, config_for(&server), "token-0").await;

    let err = client.send(&track()).await.unwrap_err();

    assert!(matches!(err, Error::RateLimited { retry_after: None }), "{err:?}");
    assert!(err.is_retryable());
    assert_eq!(server.count(&track_path()), 5);
}

#[tokio::test(start_paused = true)]
async fn retry_after_header_is_honoured() {
    let server = ScriptedServer::start().await;
    server.sequence(
        Method::GET,
        &track_path(),
        vec![too_many().header("retry-after", "7")],
        Reply::json(200, fixture("track_awb_response.json")),
    );
    let client = client_with_token(&server, config_for(&server), "token-0").await;

    client.send(&track()).await.unwrap();

    assert_eq!(gaps_ms(&server, &track_path()), [7_000]);
}

#[tokio::test(start_paused = true)]
async fn retry_after_beyond_the_cap_is_returned_to_the_caller() {
    let server = ScriptedServer::start().await;
    server.always(Method::GET, &track_path(), too_many().header("retry-after", "3600"));
    let client = client_with_token(&server, config_for(&server), "token-0").await;

    let err = client.send(&track()).await.unwrap_err();

    assert!(matches!(err, Error::RateLimited { retry_after: Some(d) } if d == Duration::from_secs(3600)), "{err:?}");
    assert_eq!(server.count(&track_path()), 1, "a long Retry-After must not hold the caller");
}

#[tokio::test(start_paused = true)]
async fn service_unavailable_is_retried_three_times_with_growing_jittered_waits() {
    let server = ScriptedServer::start().await;
    server.always(
        Method::GET,
        &track_path(),
        Reply::raw(503, "<html><body>503 Service Temporarily Unavailable</body></html>"),
    );
    let client = client_with_token(&server, config_for(&server), "token-0").await;

    let err = client.send(&track()).await.unwrap_err();

    assert!(matches!(err, Error::Server { status: 503, .. }), "{err:?}");
    assert!(err.is_retryable());
    let gaps = gaps_ms(&server, &track_path());
    assert_eq!(gaps.len(), 3, "1 try + 3 retries");
    for (gap, base) in gaps.iter().zip([500u128, 1_000, 2_000]) {
        assert!((base..=2 * base).contains(gap), "gap {gap} ms outside [{base}, {}]", 2 * base);
    }
}

#[tokio::test(start_paused = true)]
async fn validation_errors_are_not_retried_and_carry_the_fields() {
    let server = ScriptedServer::start().await;
    server.always(Method::POST, "orders/create/adhoc", Reply::json(422, fixture("error_422_validation.json")));
    let client = client_with_token(&server, config_for(&server), "token-0").await;
    let payload = serde_json::from_value(fixture("order_create_adhoc_request.json")).unwrap();

    let err = client.send(&CreateOrder(payload)).await.unwrap_err();

    match &err {
        Error::Validation { message, fields } => {
            assert_eq!(message, "Oops! Invalid Data.");
            assert_eq!(fields["order_id"], ["The order id field is required."]);
        }
        other => panic!("expected Validation, got {other:?}"),
    }
    assert!(!err.is_retryable());
    assert_eq!(server.count("orders/create/adhoc"), 1);
}

#[tokio::test(start_paused = true)]
async fn unauthorized_triggers_one_login_then_succeeds() {
    let server = ScriptedServer::start().await;
    let issued = server.with_login();
    // Only tokens the login handed out are accepted; the pre-seeded one is stale.
    let accepted = issued.clone();
    server.route(Method::GET, &track_path(), move |req| {
        if accepted.lock().unwrap().iter().any(|t| Some(t) == req.bearer().as_ref()) {
            Reply::json(200, fixture("track_awb_response.json"))
        } else {
            Reply::json(401, json!({"message": "Unauthenticated."}))
        }
    });
    let client = client_with_token(&server, config_for(&server), "stale-token").await;

    client.send(&track()).await.unwrap();

    assert_eq!(server.count("auth/login"), 1);
    let bearers: Vec<_> = server.requests_to(&track_path()).iter().map(|r| r.bearer().unwrap()).collect();
    assert_eq!(bearers, ["stale-token", "token-1"]);
}

#[tokio::test(start_paused = true)]
async fn a_second_unauthorized_fails_with_auth() {
    let server = ScriptedServer::start().await;
    server.with_login();
    server.always(Method::GET, &track_path(), Reply::json(401, json!({"message": "Unauthenticated."})));
    let client = client_with_token(&server, config_for(&server), "stale-token").await;

    let err = client.send(&track()).await.unwrap_err();

    assert!(matches!(err, Error::Auth { status: 401, .. }), "{err:?}");
    assert!(!err.is_retryable());
    assert_eq!(server.count("auth/login"), 1, "exactly one refresh per call");
    assert_eq!(server.count(&track_path()), 2);
}

#[tokio::test(start_paused = true)]
async fn a_timeout_is_retried_once_immediately_then_returned() {
    let server = ScriptedServer::start().await;
    server.always(
        Method::GET,
        &track_path(),
        Reply::json(200, fixture("track_awb_response.json")).after(Duration::from_secs(45)),
    );
    let client = client_with_token(&server, config_for(&server), "token-0").await;

    let started = tokio::time::Instant::now();
    let err = client.send(&track()).await.unwrap_err();

    assert!(matches!(err, Error::Timeout { after } if after == Duration::from_secs(30)), "{err:?}");
    assert!(err.is_retryable() && err.outcome_unknown());
    assert_eq!(server.count(&track_path()), 2);
    assert_eq!(gaps_ms(&server, &track_path()), [30_000], "the retry follows the timeout immediately");
    assert_eq!(started.elapsed().as_secs(), 60);
}

#[tokio::test(start_paused = true)]
async fn documents_get_the_longer_timeout() {
    let server = ScriptedServer::start().await;
    server.always(
        Method::POST,
        "courier/generate/label",
        Reply::json(200, fixture("label_generate_response.json")).after(Duration::from_secs(45)),
    );
    let client = client_with_token(&server, config_for(&server), "token-0").await;

    let label = client
        .send(&shiprocket_client::endpoints::documents::GenerateLabel { shipment_id: vec![409876543] })
        .await
        .unwrap();

    assert!(label.url.ends_with(".pdf"));
    assert_eq!(server.count("courier/generate/label"), 1);
}

#[tokio::test(start_paused = true)]
async fn connection_refused_is_a_network_error_after_one_retry() {
    // Bind and drop a listener to get a port nobody listens on.
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let server = ScriptedServer::start().await;
    let mut config = config_for(&server);
    config.base_url = format!("http://127.0.0.1:{port}/v1/external/").parse().unwrap();
    let client = client_with_token(&server, config, "token-0").await;

    let err = client.send(&track()).await.unwrap_err();

    assert!(matches!(err, Error::Network { .. }), "{err:?}");
    assert_eq!(client.request_count(), 2);
}

#[tokio::test(start_paused = true)]
async fn php_not_found_500_is_not_retried() {
    let server = ScriptedServer::start().await;
    server.always(Method::POST, "orders/cancel", Reply::json(500, fixture("order_cancel_unknown_id_500.json")));
    let client = client_with_token(&server, config_for(&server), "token-0").await;

    let err = client.send(&shiprocket_client::endpoints::orders::CancelOrders { ids: vec![1] }).await.unwrap_err();

    assert!(matches!(err, Error::NotFound { .. }), "{err:?}");
    assert_eq!(server.count("orders/cancel"), 1);
}
