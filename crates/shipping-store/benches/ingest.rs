//! `make bench`: idempotent order ingest (the whole transaction: order, item, shipment, outbox)
//! per second on Postgres with 16 concurrent tasks, as a ratio to a bare single-row
//! `INSERT … ON CONFLICT DO NOTHING` through the same pool in the same run (target ≥ 0.5).
//! Runs in its own schema and drops it. Asserts nothing about time.
#![allow(clippy::unwrap_used, clippy::print_stdout)]

use sea_orm::{ConnectionTrait, Database, Statement};
use serde_json::json;
use shipping_store::{NewOrder, NewOrderItem, Store, StoreConfig};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

const TASKS: u64 = 16;
const SECONDS: u64 = 3;

fn order(id: String) -> NewOrder {
    NewOrder {
        payload: json!({"id": id, "items": [{"sku": "S1", "units": 1}]}),
        shop_order_id: id.clone(),
        payment_method: "prepaid".into(),
        cod_amount_paise: 0,
        total_paise: 49_900,
        items: vec![NewOrderItem {
            sku: "S1".into(),
            name: "Shirt".into(),
            units: 1,
            unit_price_paise: 49_900,
            discount_paise: 0,
            tax_percent: 5.0,
            hsn: None,
            weight_grams: Some(300),
        }],
        channel_order_id: id.clone(),
        tracking_token: format!("tok-{id}"),
        outbox_kind: "sync_order".into(),
        outbox_payload: json!({"v": 1}),
        requested_courier_id: None,
    }
}

async fn per_second<F, Fut>(f: F) -> f64
where
    F: Fn(u64) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = ()> + Send,
{
    let f = Arc::new(f);
    let counter = Arc::new(AtomicU64::new(0));
    let deadline = Instant::now() + Duration::from_secs(SECONDS);
    let started = Instant::now();
    let tasks: Vec<_> = (0..TASKS)
        .map(|t| {
            let (f, counter) = (f.clone(), counter.clone());
            tokio::spawn(async move {
                let mut i = 0;
                while Instant::now() < deadline {
                    f(t * 10_000_000 + i).await;
                    i += 1;
                    counter.fetch_add(1, Ordering::Relaxed);
                }
            })
        })
        .collect();
    for t in tasks {
        t.await.unwrap();
    }
    counter.load(Ordering::Relaxed) as f64 / started.elapsed().as_secs_f64()
}

fn main() {
    let rt = tokio::runtime::Builder::new_multi_thread().enable_all().build().unwrap();
    rt.block_on(async {
        let url =
            std::env::var("TEST_POSTGRES_URL").unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".into());
        let schema = format!("bench_ingest_{}", std::process::id());
        let admin = Database::connect(&url).await.unwrap();
        admin.execute_unprepared(&format!("CREATE SCHEMA {schema}")).await.unwrap();
        let mut config = StoreConfig::new(url.clone());
        config.schema = Some(schema.clone());
        config.max_connections = TASKS as u32;
        let store = Store::connect(&config).await.unwrap();
        store.migrate().await.unwrap();
        store.db().execute_unprepared("CREATE TABLE bare (id TEXT PRIMARY KEY, payload TEXT NOT NULL)").await.unwrap();

        let db = store.db().clone();
        let bare = per_second(move |i| {
            let db = db.clone();
            async move {
                let stmt = Statement::from_sql_and_values(
                    db.get_database_backend(),
                    "INSERT INTO bare (id, payload) VALUES ($1, $2) ON CONFLICT DO NOTHING",
                    [format!("B-{i}").into(), "{}".into()],
                );
                db.execute_raw(stmt).await.unwrap();
            }
        })
        .await;
        let s = store.clone();
        let ingest = per_second(move |i| {
            let s = s.clone();
            async move {
                s.ingest_order(order(format!("O-{i}"))).await.unwrap();
            }
        })
        .await;

        println!("Postgres, {TASKS} concurrent tasks, {SECONDS} s each");
        println!("  bare INSERT … ON CONFLICT DO NOTHING (reference): {bare:>8.0} /s");
        println!("  idempotent order ingest (full transaction)       : {ingest:>8.0} /s");
        println!("  ratio ingest / bare (target >= 0.5)              : {:>8.2}", ingest / bare);
        store.db().clone().close().await.ok();
        admin.execute_unprepared(&format!("DROP SCHEMA {schema} CASCADE")).await.unwrap();
    });
}
