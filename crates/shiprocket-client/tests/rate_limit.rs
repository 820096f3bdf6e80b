//! The client-side limit holds its configured rate under pressure (real clock, 3 s).
#![allow(clippy::unwrap_used)]

mod support;

use axum::http::Method;
use shiprocket_client::endpoints::tracking::TrackAwb;
use std::time::Duration;
use support::{Reply, ScriptedServer, client_with_token, config_for, fixture};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ten_requests_per_second_within_ten_percent_over_three_seconds() {
    let server = ScriptedServer::start().await;
    let path = "courier/track/awb/1";
    server.always(Method::GET, path, Reply::json(200, fixture("track_awb_response.json")));
    let mut config = config_for(&server);
    config.requests_per_second = 10;
    config.rate_limit_burst = 1;
    let client = client_with_token(&server, config, "token-0").await;

    // Eight callers try as fast as they can for three seconds.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(3);
    let callers: Vec<_> = (0..8)
        .map(|_| {
            let c = client.clone();
            tokio::spawn(async move {
                while tokio::time::Instant::now() < deadline {
                    c.send(&TrackAwb { awb: "1".into() }).await.unwrap();
                }
            })
        })
        .collect();
    for c in callers {
        c.await.unwrap();
    }

    let arrivals: Vec<_> = server.requests_to(path).iter().map(|r| r.at).collect();
    let span = (*arrivals.last().unwrap() - arrivals[0]).as_secs_f64();
    let rate = (arrivals.len() - 1) as f64 / span;
    assert!((9.0..=11.0).contains(&rate), "measured {rate:.2} req/s over {span:.2} s ({} requests)", arrivals.len());
    assert!(span >= 2.5, "the test must actually run for about three seconds, ran {span:.2} s");
}
