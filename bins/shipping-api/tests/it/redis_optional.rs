//! Redis is optional for the API: orders are accepted without it, and when it is there the
//! replicas share one Shiprocket token (the fleet logs in once).

use crate::on_both_backends;
use crate::support::{Backend, TestApp, order};
use serde_json::Value;
use shipping_store::entities::outbox;

fn redis_url() -> String {
    std::env::var("REDIS_URL").unwrap_or_else(|_| "redis://127.0.0.1:6379".into())
}

/// A port nothing listens on.
fn dead_port() -> u16 {
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    l.local_addr().unwrap().port()
}

on_both_backends!(orders_are_accepted_and_promised_with_redis_down, |backend: Backend| async move {
    let url = format!("redis://127.0.0.1:{}", dead_port());
    let app = TestApp::on(backend).env("REDIS_URL", &url).start().await;
    app.expect_jobs();
    let r = app.post("/v1/orders", &order("ORD-NOREDIS-1")).await;
    assert_eq!(r.status(), 201);
    assert_eq!(app.count::<outbox::Entity>().await, 1, "the outbox row is the promise; the relay enqueues later");
    let rates: Value = app.get_public("/v1/rates?delivery_pincode=560038&weight=0.5").await.json().await.unwrap();
    assert_eq!(rates["serviceable"], true, "rates work with a per-process token");
    app.cleanup().await;
});

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn replicas_share_one_shiprocket_token_through_redis() {
    let prefix = format!("api-test-{}-{}:", std::process::id(), chrono::Utc::now().timestamp_micros());
    let one = TestApp::on(Backend::Sqlite)
        .env("REDIS_URL", &redis_url())
        .env("SHIPPING__REDIS__KEY_PREFIX", &prefix)
        .start()
        .await;
    // The second replica talks to the first one's simulator.
    let two = TestApp::on(Backend::Sqlite)
        .env("REDIS_URL", &redis_url())
        .env("SHIPPING__REDIS__KEY_PREFIX", &prefix)
        .env("SHIPPING__SHIPROCKET__BASE_URL", &one.sim.base_url())
        .start()
        .await;
    assert_eq!(one.get_public("/v1/rates?delivery_pincode=560038&weight=0.5").await.status(), 200);
    assert_eq!(two.get_public("/v1/rates?delivery_pincode=400001&weight=0.5").await.status(), 200);
    assert_eq!(one.serviceability_calls(), 2, "each replica asked (different lanes)");
    assert_eq!(one.sim.counters().logins, 1, "one login for the fleet");
    let client = redis::Client::open(redis_url()).unwrap();
    let mut conn = client.get_multiplexed_async_connection().await.unwrap();
    let _: () = redis::cmd("DEL").arg(format!("{prefix}shiprocket:token")).query_async(&mut conn).await.unwrap();
    one.cleanup().await;
    two.cleanup().await;
}
