//! The generated OpenAPI document against the running app: every route it lists is served and
//! every keyed one refuses a missing key. That real answers of every operation match it runs the
//! worker too, so it is a cross-binary test (`tests/tests/api_worker/openapi_contract.rs`).

use crate::on_both_backends;
use crate::support::{Backend, TestApp};
use serde_json::{Value, json};

pub use crate::support::documented_operations;

on_both_backends!(
    every_documented_route_is_served_and_keyed_ones_refuse_a_missing_key,
    |backend: Backend| async move {
        let app = TestApp::start(backend).await;
        let doc: Value = app.get_public("/openapi.json").await.json().await.unwrap();
        assert_eq!(doc["openapi"], "3.1.0");
        assert_eq!(doc, serde_json::to_value(shipping_api::openapi::document()).unwrap(), "the served document");
        let ops = documented_operations();
        assert!(ops.len() >= 20, "{ops:?}");
        for (method, path, keyed) in ops {
            let concrete = path
                .replace("{shop_order_id}", "X")
                .replace("{id}", "1")
                .replace("{action}", "cancel")
                .replace("{token}", "t");
            let m = reqwest::Method::from_bytes(method.to_uppercase().as_bytes()).unwrap();
            let r = app.http.request(m, app.url(&concrete)).json(&json!({"ids": [1]})).send().await.unwrap();
            let status = r.status().as_u16();
            let body: Value = r.json().await.unwrap_or_default();
            assert_ne!(body["error"]["message"], "no such route", "{method} {path} is documented but not served");
            assert_ne!(status, 405, "{method} {path}");
            // The document says which routes need a key, and those are the ones that ask for it.
            assert_eq!(
                status == 401 && body["error"]["code"] == "unauthorized",
                keyed,
                "{method} {path}: {status} {body}"
            );
        }
        app.cleanup().await;
    }
);
