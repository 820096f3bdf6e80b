//! Helpers for simulator tests: a raw HTTP caller (the simulator must be checked against the
//! reference without our client in between) and a webhook receiver.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use axum::body::Bytes;
use axum::http::HeaderMap;
use serde_json::{Value, json};
use shiprocket_sim::{SimConfig, Simulator};
use std::sync::{Arc, Mutex};

pub struct Api {
    pub sim: Simulator,
    pub http: reqwest::Client,
    pub token: String,
}

pub struct Answer {
    pub status: u16,
    pub body: Value,
    pub raw: Vec<u8>,
}

impl Api {
    pub async fn start(config: SimConfig) -> Api {
        let sim = Simulator::start(config).await.unwrap();
        let http = reqwest::Client::new();
        let login = http
            .post(format!("{}auth/login", sim.base_url()))
            .json(&json!({"email": "api-user@example-store.in", "password": "secret"}))
            .send()
            .await
            .unwrap();
        let token = login.json::<Value>().await.unwrap()["token"].as_str().unwrap().to_owned();
        Api { sim, http, token }
    }

    pub async fn call(&self, method: reqwest::Method, path: &str, body: Option<Value>) -> Answer {
        let mut req = self.http.request(method, format!("{}{path}", self.sim.base_url())).bearer_auth(&self.token);
        if let Some(b) = body {
            req = req.json(&b);
        }
        let resp = req.send().await.unwrap();
        let status = resp.status().as_u16();
        let raw = resp.bytes().await.unwrap().to_vec();
        let body = serde_json::from_slice(&raw).unwrap_or(Value::Null);
        Answer { status, body, raw }
    }

    pub async fn get(&self, path: &str) -> Answer {
        self.call(reqwest::Method::GET, path, None).await
    }

    pub async fn post(&self, path: &str, body: Value) -> Answer {
        self.call(reqwest::Method::POST, path, Some(body)).await
    }

    /// Creates the fixture order under `channel_order_id` delivering to `pincode`; returns
    /// (Shiprocket order id, shipment id).
    pub async fn create_order(&self, channel_order_id: &str, pincode: &str) -> (u64, u64) {
        let mut order = fixture("order_create_adhoc_request.json");
        order["order_id"] = json!(channel_order_id);
        order["billing_pincode"] = json!(pincode);
        order["pickup_location"] = json!("Primary WH");
        let a = self.post("orders/create/adhoc", order).await;
        assert_eq!(a.status, 200, "{}", a.body);
        (a.body["order_id"].as_u64().unwrap(), a.body["shipment_id"].as_u64().unwrap())
    }

    /// Order, AWB (courier 43 unless the lane says otherwise) and pickup; returns (order, shipment, awb).
    pub async fn ship(&self, channel_order_id: &str, pincode: &str) -> (u64, u64, String) {
        let (order, shipment) = self.create_order(channel_order_id, pincode).await;
        let a = self.post("courier/assign/awb", json!({"shipment_id": shipment, "courier_id": 43})).await;
        assert_eq!(a.body["awb_assign_status"], 1, "{}", a.body);
        let awb = a.body["response"]["data"]["awb_code"].as_str().unwrap().to_owned();
        let p = self.post("courier/generate/pickup", json!({"shipment_id": [shipment]})).await;
        assert_eq!(p.body["pickup_status"], 1, "{}", p.body);
        (order, shipment, awb)
    }
}

pub fn fixture(name: &str) -> Value {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/fixtures/shiprocket").join(name);
    serde_json::from_slice(&std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))).unwrap()
}

/// Compares JSON shapes: the same keys at every object, the same JSON type at every path.
/// A `null` in the fixture stands for "some value"; fixture arrays are compared by their
/// first element; keys starting with `_` are comments.
pub fn shape_diff(path: &str, fixture: &Value, actual: &Value, out: &mut Vec<String>) {
    match (fixture, actual) {
        (Value::Null, _) => {}
        (Value::Object(f), Value::Object(a)) => {
            for k in f.keys().filter(|k| !k.starts_with('_')) {
                match a.get(k) {
                    Some(v) => shape_diff(&format!("{path}.{k}"), &f[k], v, out),
                    None => out.push(format!("{path}.{k}: missing")),
                }
            }
            for k in a.keys().filter(|k| !f.contains_key(*k)) {
                out.push(format!("{path}.{k}: not in the fixture"));
            }
        }
        (Value::Array(f), Value::Array(a)) => {
            if let Some(first) = f.first() {
                for (i, v) in a.iter().enumerate() {
                    shape_diff(&format!("{path}[{i}]"), first, v, out);
                }
            }
        }
        (Value::String(_), Value::String(_))
        | (Value::Number(_), Value::Number(_))
        | (Value::Bool(_), Value::Bool(_)) => {}
        (f, a) => out.push(format!("{path}: fixture has {}, simulator sent {}", kind(f), kind(a))),
    }
}

fn kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

pub fn assert_shape(name: &str, actual: &Value) {
    let mut diffs = Vec::new();
    shape_diff("", &fixture(name), actual, &mut diffs);
    assert!(
        diffs.is_empty(),
        "{name}: the simulator's answer differs from the fixture:\n  {}\n{actual:#}",
        diffs.join("\n  ")
    );
}

/// A webhook receiver on port 0 that records what arrives.
#[derive(Clone, Default)]
pub struct Receiver {
    pub received: Arc<Mutex<Vec<(HeaderMap, Value)>>>,
}

impl Receiver {
    pub async fn start() -> (Receiver, String) {
        let receiver = Receiver::default();
        let store = receiver.received.clone();
        let app = axum::Router::new().route(
            "/webhooks/courier-updates",
            axum::routing::post(move |headers: HeaderMap, body: Bytes| {
                let store = store.clone();
                async move {
                    store.lock().unwrap().push((headers, serde_json::from_slice(&body).unwrap_or(Value::Null)));
                    "ok"
                }
            }),
        );
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}/webhooks/courier-updates", listener.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        (receiver, url)
    }

    pub fn statuses(&self, awb: &str) -> Vec<u64> {
        self.received
            .lock()
            .unwrap()
            .iter()
            .filter(|(_, b)| b["awb"] == awb)
            .map(|(_, b)| b["shipment_status_id"].as_u64().unwrap())
            .collect()
    }
}
