//! Shipments move along the clock: delivered, NDR → re-attempt → delivered, NDR → return → RTO
//! delivered, automatic RTO, lost and cancelled — with the scans and the webhooks each leaves.
#![allow(clippy::unwrap_used)]

mod support;

use chrono::Duration;
use serde_json::{Value, json};
use shiprocket_sim::{Path, SimConfig};
use support::{Api, Receiver};

async fn api_with_receiver() -> (Api, Receiver) {
    let (receiver, url) = Receiver::start().await;
    let api = Api::start(SimConfig {
        webhook_url: Some(url),
        webhook_token: Some("tok-123".into()),
        seed: 42,
        ..SimConfig::default()
    })
    .await;
    (api, receiver)
}

/// `sr-status` codes of the scans, oldest first, without the "NA" ones.
async fn scan_codes(api: &Api, awb: &str) -> Vec<String> {
    let t = api.get(&format!("courier/track/awb/{awb}")).await.body;
    let mut codes: Vec<String> = t["tracking_data"]["shipment_track_activities"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["sr-status"].as_str().unwrap().to_owned())
        .filter(|c| c != "NA")
        .collect();
    codes.reverse();
    codes
}

fn codes(list: &[u32]) -> Vec<String> {
    list.iter().map(u32::to_string).collect()
}

#[tokio::test]
async fn delivered_path_with_scans_and_authenticated_webhooks() {
    let (api, receiver) = api_with_receiver().await;
    let (_, shipment_id) = api.create_order("LIFE-1", "560001").await;
    assert!(api.sim.force_path(shipment_id, Path::Delivered), "paths are forced before pickup");
    let a = api.post("courier/assign/awb", json!({"shipment_id": shipment_id, "courier_id": 43})).await;
    let awb = a.body["response"]["data"]["awb_code"].as_str().unwrap().to_owned();
    api.post("courier/generate/pickup", json!({"shipment_id": [shipment_id]})).await;

    api.sim.advance(Duration::hours(5)).await;
    assert_eq!(scan_codes(&api, &awb).await, codes(&[3, 42]), "picked up after 4 h");
    api.sim.advance(Duration::hours(40)).await;

    assert_eq!(scan_codes(&api, &awb).await, codes(&[3, 42, 18, 38, 17, 7]));
    let t = api.get(&format!("courier/track/awb/{awb}")).await.body;
    assert_eq!(t["tracking_data"]["shipment_status"], 7);
    let acts = t["tracking_data"]["shipment_track_activities"].as_array().unwrap();
    assert!(acts.iter().any(|a| a["sr-status"] == "NA" && a["sr-status-label"] == "NA"), "an unmapped scan (quirk #4)");
    assert!(acts.first().unwrap()["date"].as_str() > acts.last().unwrap()["date"].as_str(), "newest first");
    assert_eq!(receiver.statuses(&awb), [3, 42, 18, 38, 17, 7]);
    for (headers, body) in receiver.received.lock().unwrap().iter() {
        assert_eq!(headers.get("x-api-key").unwrap(), "tok-123");
        assert_eq!(body["order_id"], "LIFE-1");
    }
    let delivered = receiver.received.lock().unwrap().last().unwrap().1.clone();
    assert_eq!((delivered["current_status_id"].as_u64(), delivered["shipment_status_id"].as_u64()), (Some(7), Some(7)));
    assert!(api.sim.webhooks().iter().all(|w| w.response_status == Some(200) && w.api_key_sent));
}

#[tokio::test]
async fn ndr_then_reattempt_then_delivered() {
    let (api, receiver) = api_with_receiver().await;
    let (_, _, awb) = api.ship("NDR-RE", "560077").await;
    api.sim.advance(Duration::hours(40)).await;
    assert_eq!(scan_codes(&api, &awb).await.last().unwrap(), "21", "undelivered: NDR raised");
    let ndr = api.get("ndr/all").await.body;
    assert_eq!(ndr["data"][0]["awb_code"], awb.as_str());
    assert_eq!(ndr["data"][0]["attempts"], 1);

    let a = api
        .post(&format!("ndr/{awb}/action"), json!({"action": "re-attempt", "comments": "Customer home tomorrow"}))
        .await;
    assert_eq!(a.status, 202);
    api.sim.advance(Duration::hours(30)).await;

    assert_eq!(scan_codes(&api, &awb).await, codes(&[3, 42, 18, 38, 17, 21, 17, 7]));
    assert_eq!(receiver.statuses(&awb).last(), Some(&7));
    assert!(api.get("ndr/all").await.body["data"].as_array().unwrap().is_empty(), "the NDR is closed");
}

#[tokio::test]
async fn ndr_then_return_then_rto_delivered() {
    let (api, receiver) = api_with_receiver().await;
    let (_, _, awb) = api.ship("NDR-RTO", "560077").await;
    api.sim.advance(Duration::hours(40)).await;

    let a = api.post(&format!("ndr/{awb}/action"), json!({"action": "return", "comments": "Customer refused"})).await;
    assert_eq!(a.status, 202);
    api.sim.advance(Duration::hours(80)).await;

    assert_eq!(scan_codes(&api, &awb).await, codes(&[3, 42, 18, 38, 17, 21, 9, 46, 10]));
    let order_space: Vec<u64> =
        receiver.received.lock().unwrap().iter().map(|(_, b)| b["current_status_id"].as_u64().unwrap()).collect();
    assert_eq!(order_space, [4, 51, 20, 43, 19, 36, 15, 55, 16], "webhooks carry the order-status space too");
}

#[tokio::test]
async fn an_ndr_without_action_returns_to_origin_and_other_paths() {
    let (api, _) = api_with_receiver().await;
    let (_, _, ndr_awb) = api.ship("NDR-IDLE", "560077").await;
    let (_, _, rto_awb) = api.ship("RTO-1", "560088").await;
    let (_, _, lost_awb) = api.ship("LOST-1", "560099").await;
    api.sim.advance(Duration::hours(200)).await;

    assert_eq!(
        scan_codes(&api, &ndr_awb).await,
        codes(&[3, 42, 18, 38, 17, 21, 9, 46, 10]),
        "48 h without action → RTO"
    );
    assert_eq!(scan_codes(&api, &rto_awb).await, codes(&[3, 42, 18, 38, 17, 21, 9, 46, 10]));
    assert_eq!(scan_codes(&api, &lost_awb).await, codes(&[3, 42, 18, 12]));
}

#[tokio::test]
async fn cancelled_before_pickup() {
    let (api, receiver) = api_with_receiver().await;
    let (order_id, shipment_id) = api.create_order("CAN-1", "560001").await;
    let a = api.post("courier/assign/awb", json!({"shipment_id": shipment_id})).await;
    let awb = a.body["response"]["data"]["awb_code"].as_str().unwrap().to_owned();

    let c = api.post("orders/cancel/shipment/awbs", json!({"awbs": [awb]})).await;
    assert_eq!(c.status, 204);
    api.sim.advance(Duration::hours(48)).await;

    assert_eq!(scan_codes(&api, &awb).await, codes(&[8]));
    assert_eq!(receiver.statuses(&awb), [8]);
    let order = api.get(&format!("orders/show/{order_id}")).await.body;
    assert_eq!((order["data"]["status"].as_str(), order["data"]["status_code"].as_u64()), (Some("CANCELED"), Some(5)));
    let p = api.post("courier/generate/pickup", json!({"shipment_id": [shipment_id]})).await;
    assert_eq!(p.status, 400, "no pickup for a cancelled shipment");
}

#[tokio::test]
async fn a_customer_return_runs_its_own_lifecycle() {
    let (api, receiver) = api_with_receiver().await;
    let r = api.post("orders/create/return", support::fixture("return_create_request.json")).await;
    let shipment_id = r.body["shipment_id"].as_u64().unwrap();
    let a = api.post("courier/assign/awb", json!({"shipment_id": shipment_id, "is_return": 1})).await;
    assert_eq!(a.body["awb_assign_status"], 1, "{}", a.body);
    let awb = a.body["response"]["data"]["awb_code"].as_str().unwrap().to_owned();
    api.sim.advance(Duration::hours(60)).await;
    let hooks_for = |awb: &str| receiver.received.lock().unwrap().iter().filter(|(_, b)| b["awb"] == awb).count();
    assert_eq!(hooks_for(&awb), 0, "nothing moves before the return's pickup is generated");
    let p = api.post("courier/generate/pickup", json!({"shipment_id": [shipment_id]})).await;
    assert_eq!(p.body["pickup_status"], 1, "{}", p.body);
    api.sim.advance(Duration::hours(60)).await;

    let hooks: Vec<Value> =
        receiver.received.lock().unwrap().iter().map(|(_, b)| b.clone()).filter(|b| b["awb"] == awb.as_str()).collect();
    let order_codes: Vec<u64> = hooks.iter().map(|b| b["current_status_id"].as_u64().unwrap()).collect();
    assert_eq!(order_codes, [28, 32, 25, 26]);
    assert!(hooks.iter().all(|b| b["is_return"] == 1));
    let tracked = api.post("courier/track/awbs", json!({"awbs": [awb]})).await;
    let activities = tracked.body[&awb]["tracking_data"]["shipment_track_activities"].as_array().unwrap().clone();
    let labels: Vec<&str> = activities.iter().map(|a| a["sr-status-label"].as_str().unwrap()).collect();
    assert_eq!(labels, ["RETURN DELIVERED", "RETURN IN TRANSIT", "RETURN PICKED UP", "RETURN PICKUP GENERATED"]);
}

#[tokio::test]
async fn webhooks_can_arrive_twice_and_out_of_order() {
    let (api, receiver) = api_with_receiver().await;
    let mut modes = api.sim.modes();
    modes.webhook_duplicates = true;
    modes.webhook_out_of_order = true;
    api.sim.set_modes(modes);
    let (_, _, awb) = api.ship("HOOKS-1", "560001").await;
    api.sim.advance(Duration::hours(60)).await;

    let got = receiver.statuses(&awb);
    let mut sorted_unique = got.clone();
    sorted_unique.dedup();
    assert_eq!(got.len(), 12, "6 changes, each twice: {got:?}");
    assert_ne!(
        got,
        {
            let mut in_order = got.clone();
            in_order.sort_by_key(|c| [3, 42, 18, 38, 17, 7].iter().position(|x| x == c));
            in_order
        },
        "the order is shuffled"
    );
}

#[tokio::test]
async fn paths_follow_the_seed_and_can_be_forced() {
    let api = Api::start(SimConfig { seed: 9, ..SimConfig::default() }).await;
    let (_, shipment_id) = api.create_order("FORCE-1", "560001").await;
    let forced = api
        .http
        .post(format!("http://{}/__sim/shipments/{shipment_id}/path", api.sim.addr()))
        .json(&json!({"path": "lost"}))
        .send()
        .await
        .unwrap();
    assert_eq!(forced.status(), 204);
    assert_eq!(api.sim.state()["shipments"][0]["path"], "lost");
    // The default path is a pure function of seed and pincode.
    assert_eq!(Path::for_pincode(9, "560001"), Path::for_pincode(9, "560001"));
    let spread: std::collections::HashSet<_> = (0..400).map(|i| Path::for_pincode(i, "560001")).collect();
    assert!(spread.len() >= 3, "seeds reach several paths: {spread:?}");
}

#[tokio::test]
async fn with_a_speed_the_clock_runs_by_itself() {
    let (receiver, url) = Receiver::start().await;
    // 100 000 × real time: 40 simulated hours pass in under 1.5 s.
    let config = SimConfig {
        webhook_url: Some(url),
        speed: 100_000.0,
        tick: std::time::Duration::from_millis(20),
        ..SimConfig::default()
    };
    let api = Api::start(config).await;
    let (_, shipment_id) = api.create_order("FAST-1", "560001").await;
    api.sim.force_path(shipment_id, Path::Delivered);
    let a = api.post("courier/assign/awb", json!({"shipment_id": shipment_id})).await;
    let awb = a.body["response"]["data"]["awb_code"].as_str().unwrap().to_owned();
    api.post("courier/generate/pickup", json!({"shipment_id": [shipment_id]})).await;

    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while receiver.statuses(&awb).last() != Some(&7) {
        assert!(std::time::Instant::now() < deadline, "not delivered in time: {:?}", receiver.statuses(&awb));
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert_eq!(receiver.statuses(&awb), [3, 42, 18, 38, 17, 7]);
}
