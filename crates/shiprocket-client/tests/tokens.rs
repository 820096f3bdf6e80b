//! One login for many callers: single-flight inside a process and, through Redis, across a
//! fleet.
#![allow(clippy::unwrap_used)]

mod support;

use axum::http::Method;
use futures::future::join_all;
use serde_json::json;
use shiprocket_client::endpoints::tracking::TrackAwb;
use shiprocket_client::{Client, Error, MemoryTokenStore, RedisTokenStore, Token, TokenStore};
use std::sync::Arc;
use std::time::Duration;
use support::{Reply, ScriptedServer, config_for, fixture};

const AWB: &str = "19041400000123";

fn track_path() -> String {
    format!("courier/track/awb/{AWB}")
}

/// The tracking route accepts only tokens the login handed out.
fn serve_tracking(server: &ScriptedServer) {
    let issued = server.with_login();
    server.route(Method::GET, &track_path(), move |req| {
        if issued.lock().unwrap().iter().any(|t| Some(t) == req.bearer().as_ref()) {
            Reply::json(200, fixture("track_awb_response.json"))
        } else {
            Reply::json(401, json!({"message": "Unauthenticated."}))
        }
    });
}

async fn track_100_times(client: &Client) {
    let calls = (0..100).map(|_| {
        let c = client.clone();
        async move { c.send(&TrackAwb { awb: AWB.into() }).await }
    });
    for r in join_all(calls).await {
        r.unwrap();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_hundred_concurrent_calls_with_an_expired_token_log_in_once() {
    let server = ScriptedServer::start().await;
    serve_tracking(&server);
    let store = Arc::new(MemoryTokenStore::new());
    let long_ago = chrono::Utc::now() - chrono::Duration::days(11);
    store.save(&Token::new("expired", long_ago, Duration::from_secs(240 * 3600))).await.unwrap();
    let client = Client::with_token_store(config_for(&server), store).unwrap();

    track_100_times(&client).await;

    assert_eq!(server.count("auth/login"), 1);
    assert_eq!(server.count(&track_path()), 100);
    assert!(server.requests_to(&track_path()).iter().all(|r| r.bearer().as_deref() == Some("token-1")));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_hundred_concurrent_401s_on_a_revoked_token_log_in_once() {
    let server = ScriptedServer::start().await;
    serve_tracking(&server);
    let store = Arc::new(MemoryTokenStore::new());
    store.save(&Token::new("revoked", chrono::Utc::now(), Duration::from_secs(240 * 3600))).await.unwrap();
    let client = Client::with_token_store(config_for(&server), store).unwrap();

    track_100_times(&client).await;

    assert_eq!(server.count("auth/login"), 1, "later 401s must reuse the token the first refresh got");
}

#[tokio::test]
async fn a_token_close_to_expiry_is_refreshed_before_use() {
    let server = ScriptedServer::start().await;
    serve_tracking(&server);
    let store = Arc::new(MemoryTokenStore::new());
    // 240 h token obtained 9.5 days ago: inside the 24 h refresh margin.
    let obtained = chrono::Utc::now() - chrono::Duration::hours(228);
    store.save(&Token::new("old", obtained, Duration::from_secs(240 * 3600))).await.unwrap();
    let client = Client::with_token_store(config_for(&server), store.clone()).unwrap();

    client.send(&TrackAwb { awb: AWB.into() }).await.unwrap();

    assert_eq!(server.count("auth/login"), 1);
    assert_eq!(server.requests_to(&track_path())[0].bearer().as_deref(), Some("token-1"));
    let saved = store.load().await.unwrap().unwrap();
    assert_eq!(saved.expose(), "token-1");
    let lifetime = saved.expires_at - saved.obtained_at;
    assert_eq!(lifetime.num_hours(), 240);
}

#[tokio::test]
async fn bad_credentials_fail_with_auth_and_do_not_hammer_login() {
    let server = ScriptedServer::start().await;
    server.always(
        Method::POST,
        "auth/login",
        Reply::json(400, json!({"message": "Invalid email and password combination", "status_code": 400})),
    );
    let client = Client::new(config_for(&server)).unwrap();

    for _ in 0..5 {
        let err = client.send(&TrackAwb { awb: AWB.into() }).await.unwrap_err();
        assert!(matches!(err, Error::Auth { status: 400, .. }), "{err:?}");
    }
    assert_eq!(server.count("auth/login"), 1, "failed logins are not repeated within the backoff");
    assert_eq!(server.count(&track_path()), 0);
}

#[tokio::test]
async fn a_firewall_403_on_login_is_auth() {
    let server = ScriptedServer::start().await;
    server.always(Method::POST, "auth/login", Reply::raw(403, "<html>Forbidden</html>"));
    let client = Client::new(config_for(&server)).unwrap();

    let err = client.send(&TrackAwb { awb: AWB.into() }).await.unwrap_err();

    assert!(matches!(err, Error::Auth { status: 403, .. }), "{err:?}");
}

#[tokio::test]
async fn login_sends_the_credentials_and_logs_never_see_them() {
    let server = ScriptedServer::start().await;
    serve_tracking(&server);
    let client = Client::new(config_for(&server)).unwrap();

    client.send(&TrackAwb { awb: AWB.into() }).await.unwrap();

    let login = &server.requests_to("auth/login")[0];
    assert_eq!(login.json(), json!({"email": "api-user@example-store.in", "password": "p4ssw0rd-never-logged"}));
    assert!(!format!("{client:?}").contains("p4ssw0rd"));
    assert!(!format!("{:?}", client.token().await.unwrap()).contains("token-1"));
}

fn redis_url() -> String {
    std::env::var("REDIS_URL").unwrap_or_else(|_| "redis://127.0.0.1:6379".into())
}

/// A key prefix no other test (or run) shares.
fn unique_prefix(test: &str) -> String {
    format!("test:{test}:{}:{}:", std::process::id(), chrono::Utc::now().timestamp_nanos_opt().unwrap())
}

async fn delete_prefix(prefix: &str) {
    let client = redis::Client::open(redis_url()).unwrap();
    let mut conn = client.get_multiplexed_async_connection().await.unwrap();
    let keys: Vec<String> = redis::cmd("KEYS").arg(format!("{prefix}*")).query_async(&mut conn).await.unwrap();
    if !keys.is_empty() {
        let _: i64 = redis::cmd("DEL").arg(keys).query_async(&mut conn).await.unwrap();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_clients_sharing_the_redis_store_log_in_once_between_them() {
    let server = ScriptedServer::start().await;
    serve_tracking(&server);
    let prefix = unique_prefix("shared-token");
    let a = Client::with_token_store(
        config_for(&server),
        Arc::new(RedisTokenStore::connect(&redis_url(), &prefix).await.unwrap()),
    )
    .unwrap();
    let b = Client::with_token_store(
        config_for(&server),
        Arc::new(RedisTokenStore::connect(&redis_url(), &prefix).await.unwrap()),
    )
    .unwrap();

    // Both start cold at the same moment, 50 calls each.
    let calls = (0..100).map(|i| {
        let c = if i % 2 == 0 { a.clone() } else { b.clone() };
        async move { c.send(&TrackAwb { awb: AWB.into() }).await }
    });
    for r in join_all(calls).await {
        r.unwrap();
    }

    assert_eq!(server.count("auth/login"), 1);
    assert_eq!(a.login_count() + b.login_count(), 1);
    // The token is in Redis, expiring with the token.
    let store = RedisTokenStore::connect(&redis_url(), &prefix).await.unwrap();
    assert_eq!(store.load().await.unwrap().unwrap().expose(), "token-1");
    delete_prefix(&prefix).await;
}

#[tokio::test]
async fn a_401_discards_the_shared_token_only_if_it_is_still_current() {
    let prefix = unique_prefix("discard");
    let store = RedisTokenStore::connect(&redis_url(), &prefix).await.unwrap();
    let old = Token::new("old", chrono::Utc::now(), Duration::from_secs(3600));
    let new = Token::new("new", chrono::Utc::now(), Duration::from_secs(3600));
    store.save(&new).await.unwrap();

    store.discard(&old).await.unwrap();
    assert_eq!(store.load().await.unwrap().unwrap().expose(), "new");
    store.discard(&new).await.unwrap();
    assert!(store.load().await.unwrap().is_none());

    let lock = store.try_lock_refresh(Duration::from_secs(5)).await.unwrap().unwrap();
    assert!(store.try_lock_refresh(Duration::from_secs(5)).await.unwrap().is_none(), "the lock is exclusive");
    store.unlock_refresh("someone-else").await.unwrap();
    assert!(store.try_lock_refresh(Duration::from_secs(5)).await.unwrap().is_none(), "only the holder unlocks");
    store.unlock_refresh(&lock).await.unwrap();
    assert!(store.try_lock_refresh(Duration::from_secs(5)).await.unwrap().is_some());
    delete_prefix(&prefix).await;
}
