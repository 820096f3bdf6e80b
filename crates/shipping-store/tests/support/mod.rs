//! Every store test runs twice: on a fresh SQLite file and in a fresh Postgres schema, so
//! tests run in parallel without seeing each other.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use sea_orm::{ConnectionTrait, Database};
use serde_json::json;
use shipping_store::{NewOrder, NewOrderItem, Store, StoreConfig};
use std::sync::atomic::{AtomicU64, Ordering};

pub fn postgres_url() -> String {
    std::env::var("TEST_POSTGRES_URL").unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".into())
}

fn unique(tag: &str) -> String {
    static N: AtomicU64 = AtomicU64::new(0);
    format!(
        "t_{tag}_{}_{}_{}",
        std::process::id(),
        chrono::Utc::now().timestamp_micros(),
        N.fetch_add(1, Ordering::Relaxed)
    )
}

/// A migrated store of its own; `cleanup` removes it.
pub struct TestStore {
    pub store: Store,
    pub config: StoreConfig,
    schema: Option<String>,
    file: Option<std::path::PathBuf>,
}

impl TestStore {
    pub async fn sqlite(tag: &str) -> TestStore {
        let dir = std::env::temp_dir().join("shipping-store-tests");
        std::fs::create_dir_all(&dir).unwrap();
        let file = dir.join(format!("{}.db", unique(tag)));
        let config = StoreConfig::new(format!("sqlite://{}?mode=rwc", file.display()));
        let store = Store::connect(&config).await.unwrap();
        store.migrate().await.unwrap();
        TestStore { store, config, schema: None, file: Some(file) }
    }

    pub async fn postgres(tag: &str) -> TestStore {
        let schema = unique(tag).to_lowercase();
        let admin = Database::connect(postgres_url()).await.expect("Postgres at 127.0.0.1:5432 (see .ci/services.sh)");
        admin.execute_unprepared(&format!("CREATE SCHEMA \"{schema}\"")).await.unwrap();
        admin.close().await.unwrap();
        let mut config = StoreConfig::new(postgres_url());
        config.schema = Some(schema.clone());
        config.max_connections = 20;
        let store = Store::connect(&config).await.unwrap();
        store.migrate().await.unwrap();
        TestStore { store, config, schema: Some(schema), file: None }
    }

    pub async fn cleanup(self) {
        let TestStore { store, schema, file, .. } = self;
        store.db().clone().close().await.ok();
        if let Some(schema) = schema {
            let admin = Database::connect(postgres_url()).await.unwrap();
            admin.execute_unprepared(&format!("DROP SCHEMA \"{schema}\" CASCADE")).await.unwrap();
            admin.close().await.ok();
        }
        if let Some(file) = file {
            for suffix in ["", "-wal", "-shm"] {
                let _ = std::fs::remove_file(format!("{}{suffix}", file.display()));
            }
        }
    }
}

/// Runs the async test body `$body(TestStore)` once per backend.
#[macro_export]
macro_rules! on_both_backends {
    ($name:ident, $body:expr) => {
        mod $name {
            use super::*;

            #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
            async fn sqlite() {
                let ts = support::TestStore::sqlite(stringify!($name)).await;
                ($body)(&ts).await;
                ts.cleanup().await;
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
            async fn postgres() {
                let ts = support::TestStore::postgres(stringify!($name)).await;
                ($body)(&ts).await;
                ts.cleanup().await;
            }
        }
    };
}

pub fn new_order(shop_order_id: &str) -> NewOrder {
    NewOrder {
        shop_order_id: shop_order_id.to_owned(),
        payload: json!({"id": shop_order_id, "items": [{"sku": "TSH-BLU-M", "units": 2}], "payment": "cod"}),
        payment_method: "cod".into(),
        cod_amount_paise: 99_800,
        total_paise: 99_800,
        items: vec![NewOrderItem {
            sku: "TSH-BLU-M".into(),
            name: "Cotton T-Shirt Blue M".into(),
            units: 2,
            unit_price_paise: 49_900,
            discount_paise: 0,
            tax_percent: 5.0,
            hsn: Some("610910".into()),
            weight_grams: Some(250),
        }],
        channel_order_id: shop_order_id.to_owned(),
        tracking_token: format!("tok-{shop_order_id}-{}", chrono::Utc::now().timestamp_micros()),
        outbox_kind: "sync_order".into(),
        outbox_payload: json!({"v": 1}),
        requested_courier_id: None,
    }
}

/// The outbox payload the store writes for `new_order`.
pub fn job(order_id: i64, shipment_id: i64) -> serde_json::Value {
    json!({"v": 1, "order_id": order_id, "shipment_id": shipment_id})
}
