//! Every store test runs twice: on a fresh SQLite file and in a fresh Postgres schema (both from
//! the migrated template of `shipping-test-support`), so tests run in parallel without seeing
//! each other.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use serde_json::json;
use shipping_store::{NewOrder, NewOrderItem};
/// A migrated store of its own (`shipping-test-support`), removed on drop even if the test panics.
pub use shipping_test_support::TestDb as TestStore;

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
                ts.close().await;
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
            async fn postgres() {
                let ts = support::TestStore::postgres(stringify!($name)).await;
                ($body)(&ts).await;
                ts.close().await;
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
