//! `make bench`: the admin pages' server time with 100,000 shipments in Postgres (own schema,
//! dropped afterwards): the dashboard (counters, recent updates, 30-day courier performance)
//! and a filtered shipment list (status + courier + date range), each measured end to end over
//! HTTP on a signed-in session, p50/p99 over `BENCH_REQUESTS` sequential requests (default
//! 200), printed with the ratio to a bare `SELECT 1` round trip measured in the same run.
//! Target: p99 < 150 ms. Prints numbers; asserts nothing about time.
#![allow(clippy::unwrap_used, clippy::print_stdout)]

use sea_orm::{ConnectionTrait, Database};
use sha2::Digest;
use shipping_api::config::Settings;
use shipping_store::Store;
use std::collections::HashMap;
use std::time::{Duration, Instant};

const SHIPMENTS: i64 = 100_000;

fn requests() -> usize {
    std::env::var("BENCH_REQUESTS").ok().and_then(|s| s.parse().ok()).unwrap_or(200)
}

fn pg_url() -> String {
    std::env::var("TEST_POSTGRES_URL").unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".into())
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted.get(i).copied().unwrap_or_default()
}

/// 100,000 orders and shipments over 60 days, in every state and five couriers, and a pickup and
/// a delivery scan for each delivered one: generated inside Postgres (seconds, not minutes).
async fn fill(store: &Store) {
    let db = store.db();
    db.execute_unprepared(&format!(
        "INSERT INTO orders (shop_order_id, payload_hash, payload, payment_method, cod_amount_paise, total_paise, created_at, updated_at)
         SELECT 'B-' || g, md5(g::text), '{{}}', 'prepaid', 0, 49900, now() - (g % 60) * interval '1 day', now()
         FROM generate_series(1, {SHIPMENTS}) g"
    ))
    .await
    .unwrap();
    db.execute_unprepared(
        "INSERT INTO shipments (order_id, channel_order_id, reship_attempt, sync_status, sync_attempts, awb, courier_id,
             courier_name, state, ndr_attempts, last_event_at, tracking_token, version, created_at, updated_at,
             picked_up_at, delivered_at, promised_delivery_at)
         SELECT o.id, o.shop_order_id, 0,
             CASE WHEN o.id % 20 = 0 THEN 'pending' WHEN o.id % 50 = 1 THEN 'failed' ELSE 'synced' END, 1,
             '1904' || lpad(o.id::text, 10, '0'), 1 + o.id % 5,
             (ARRAY['Delhivery','Xpressbees','Ekart','Bluedart','Shadowfax'])[1 + o.id % 5],
             CASE WHEN o.id % 20 = 0 THEN 'pending_sync' WHEN o.id % 50 = 1 THEN 'sync_failed'
                  WHEN o.id % 10 < 6 THEN 'delivered' WHEN o.id % 10 = 6 THEN 'in_transit' WHEN o.id % 10 = 7 THEN 'ndr'
                  WHEN o.id % 10 = 8 THEN 'rto_in_transit' ELSE 'pickup_scheduled' END,
             CASE WHEN o.id % 10 = 7 THEN 1 ELSE 0 END,
             o.created_at + (1 + o.id % 7) * interval '1 day', md5('t' || o.id) || md5('u' || o.id), 0, o.created_at, now(),
             CASE WHEN o.id % 20 <> 0 AND o.id % 50 <> 1 AND o.id % 10 < 9 THEN o.created_at + interval '6 hours' END,
             CASE WHEN o.id % 20 <> 0 AND o.id % 50 <> 1 AND o.id % 10 < 6 THEN o.created_at + (1 + o.id % 7) * interval '1 day' END,
             CASE WHEN o.id % 2 = 0 THEN o.created_at + interval '4 days' END
         FROM orders o",
    )
    .await
    .unwrap();
    db.execute_unprepared(
        "INSERT INTO tracking_events (shipment_id, awb, dedupe_key, status_space, status_code, status_label, occurred_at,
             location, activity, source, created_at)
         SELECT s.id, s.awb, s.awb || '|pick', 'shipment', 42, 'PICKED UP', s.created_at + interval '6 hours', 'Delhi', 'scan', 'poll', now()
         FROM shipments s WHERE s.state = 'delivered'
         UNION ALL
         SELECT s.id, s.awb, s.awb || '|dlv', 'shipment', 7, 'DELIVERED', s.last_event_at, 'Bengaluru', 'scan', 'poll', now()
         FROM shipments s WHERE s.state = 'delivered'",
    )
    .await
    .unwrap();
    // What autovacuum does to a table after a bulk insert; without it Postgres has no
    // visibility map and index-only scans read the heap.
    db.execute_unprepared("VACUUM ANALYZE shipments").await.unwrap();
    db.execute_unprepared("ANALYZE").await.unwrap();
}

async fn measure<F, Fut>(n: usize, mut f: F) -> Vec<Duration>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = ()>,
{
    let mut out = Vec::with_capacity(n);
    for _ in 0..n {
        let t = Instant::now();
        f().await;
        out.push(t.elapsed());
    }
    out.sort();
    out
}

#[tokio::main]
async fn main() {
    shipping_api::install_crypto_provider();
    let schema = format!("bench_pages_{}_{}", std::process::id(), chrono::Utc::now().timestamp_micros());
    let admin = Database::connect(pg_url()).await.unwrap();
    admin.execute_unprepared(&format!("CREATE SCHEMA \"{schema}\"")).await.unwrap();

    let hash = shipping_api::password::hash("bench").unwrap();
    let config = std::env::temp_dir().join(format!("bench-pages-{}.toml", std::process::id()));
    std::fs::write(&config, format!("[[admin.users]]\nname = \"bench\"\npassword_hash = \"{hash}\"\n")).unwrap();
    let env: HashMap<String, String> = [
        ("SHIPPING__DATABASE__URL", pg_url()),
        ("SHIPPING__DATABASE__SCHEMA", schema.clone()),
        ("SHIPPING_CONFIG", config.display().to_string()),
        ("SHIPPING__SHIPROCKET__BASE_URL", "http://127.0.0.1:9/".into()),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v))
    .collect();
    let state = shipping_api::build(Settings::load_from(&env).unwrap()).await.unwrap();
    let started = Instant::now();
    fill(&state.store).await;
    println!("filled {SHIPMENTS} shipments in {:.1} s", started.elapsed().as_secs_f64());

    // A session made the way sign-in makes it (sign-in itself is argon2's cost, not the page's).
    let token = "bench-session-token-0123456789abcdef0123456789abcdef";
    let id: String = sha2::Sha256::digest(token.as_bytes()).iter().map(|b| format!("{b:02x}")).collect();
    state
        .store
        .create_admin_session(&id, "bench", "csrf", chrono::Utc::now() + chrono::Duration::hours(1))
        .await
        .unwrap();

    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let store = state.store.clone();
    tokio::spawn(shipping_api::serve(listener, state, std::future::pending()));
    let http = reqwest::Client::new();
    let cookie = format!("sid={token}");
    let from = (chrono::Utc::now() - chrono::Duration::days(20)).date_naive();
    let pages = [
        ("dashboard", "/admin".to_owned()),
        ("filtered list", format!("/admin/shipments?status=in_transit&courier=Ekart&from={from}")),
        ("list, search by AWB", "/admin/shipments?search=19040000054321".to_owned()),
    ];
    let n = requests();
    let select_1 = measure(n, || async { store.ping().await.unwrap() }).await;
    let reference = percentile(&select_1, 0.5);
    println!(
        "SELECT 1 round trip ({n}): p50 {:.2} ms, p99 {:.2} ms",
        reference.as_secs_f64() * 1e3,
        percentile(&select_1, 0.99).as_secs_f64() * 1e3
    );
    for (name, path) in &pages {
        let url = format!("{base}{path}");
        // Warm the pool and Postgres' caches.
        for _ in 0..5 {
            assert!(http.get(&url).header("cookie", &cookie).send().await.unwrap().status().is_success());
        }
        let lat = measure(n, || {
            let req = http.get(&url).header("cookie", &cookie);
            async move {
                let r = req.send().await.unwrap();
                assert!(r.status().is_success(), "{}", r.status());
                r.bytes().await.unwrap();
            }
        })
        .await;
        let (p50, p99) = (percentile(&lat, 0.5), percentile(&lat, 0.99));
        println!(
            "{name} ({n} requests, 100,000 shipments): p50 {:.2} ms, p99 {:.2} ms ({:.0}× / {:.0}× SELECT 1 p50){}",
            p50.as_secs_f64() * 1e3,
            p99.as_secs_f64() * 1e3,
            p50.as_secs_f64() / reference.as_secs_f64(),
            p99.as_secs_f64() / reference.as_secs_f64(),
            if p99 < Duration::from_millis(150) { "" } else { "  ABOVE the 150 ms target" }
        );
    }
    admin.execute_unprepared(&format!("DROP SCHEMA \"{schema}\" CASCADE")).await.unwrap();
    let _ = std::fs::remove_file(&config);
}
