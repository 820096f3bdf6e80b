//! Contract: every fixture with a simulator counterpart has the same keys and JSON types at
//! every path in the simulator's answer, errors and HTTP-200 failures included.
#![allow(clippy::unwrap_used)]

mod support;

use chrono::Duration;
use serde_json::json;
use shiprocket_sim::SimConfig;
use support::{Api, Receiver, assert_shape, fixture};

#[tokio::test]
async fn successful_answers_match_the_fixtures() {
    let (receiver, url) = Receiver::start().await;
    let api = Api::start(SimConfig {
        webhook_url: Some(url),
        webhook_token: Some("hook-token".into()),
        ..SimConfig::default()
    })
    .await;

    let created = api.post("orders/create/adhoc", fixture("order_create_adhoc_request.json")).await;
    assert_shape("order_create_adhoc_response.json", &created.body);
    let (order_id, shipment_id) =
        (created.body["order_id"].as_u64().unwrap(), created.body["shipment_id"].as_u64().unwrap());

    let updated = api.post("orders/update/adhoc", fixture("order_create_adhoc_request.json")).await;
    assert_shape("order_update_adhoc_response.json", &updated.body);

    let listed = api.get("orders?search=WEB-100245").await;
    assert_shape("orders_list_response.json", &listed.body);

    let q = fixture("serviceability_request_query.json");
    let rates = api
        .get(&format!(
            "courier/serviceability/?pickup_postcode={}&delivery_postcode={}&weight={}&cod={}&declared_value={}",
            q["pickup_postcode"],
            q["delivery_postcode"],
            q["weight"].as_str().unwrap(),
            q["cod"],
            q["declared_value"]
        ))
        .await;
    assert_shape("serviceability_response.json", &rates.body);
    let couriers = rates.body["data"]["available_courier_companies"].as_array().unwrap().len();
    assert!((5..=15).contains(&couriers), "{couriers} couriers");

    let awb = api
        .post("courier/assign/awb", fixture("assign_awb_request.json").tap(|v| v["shipment_id"] = json!(shipment_id)))
        .await;
    assert_shape("assign_awb_response.json", &awb.body);
    let awb_code = awb.body["response"]["data"]["awb_code"].as_str().unwrap().to_owned();

    let pickup =
        api.post("courier/generate/pickup", json!({"shipment_id": [shipment_id], "pickup_date": ["2025-01-15"]})).await;
    assert_shape("generate_pickup_response.json", &pickup.body);

    let label = api.post("courier/generate/label", json!({"shipment_id": [shipment_id]})).await;
    assert_shape("label_generate_response.json", &label.body);
    let manifest = api.post("manifests/generate", json!({"shipment_id": [shipment_id]})).await;
    assert_shape("manifest_generate_response.json", &manifest.body);
    let printed = api.post("manifests/print", json!({"order_ids": [order_id]})).await;
    assert_shape("manifest_print_response.json", &printed.body);
    let invoice = api.post("orders/print/invoice", json!({"ids": [order_id]})).await;
    assert_shape("invoice_print_response.json", &invoice.body);

    api.sim.advance(Duration::hours(30)).await;
    assert_shape("track_awb_response.json", &api.get(&format!("courier/track/awb/{awb_code}")).await.body);
    assert_shape("track_shipment_response.json", &api.get(&format!("courier/track/shipment/{shipment_id}")).await.body);
    assert_shape("track_order_response_array.json", &api.get("courier/track?order_id=WEB-100245").await.body);
    let keyed = api.post("courier/track/awbs", json!({"awbs": [awb_code, "19041499999999"]})).await;
    let mut expected_keyed = fixture("track_awbs_response_keyed.json");
    let entry = expected_keyed["19041400000123"].take();
    assert_eq!(keyed.body.as_object().unwrap().len(), 1, "unknown AWBs are left out");
    let mut diffs = Vec::new();
    support::shape_diff("", &entry, &keyed.body[&awb_code], &mut diffs);
    assert!(diffs.is_empty(), "{diffs:?}");

    let hooks = receiver.received.lock().unwrap().clone();
    assert!(!hooks.is_empty());
    for (headers, body) in &hooks {
        assert_eq!(headers.get("x-api-key").unwrap(), "hook-token");
        assert_shape("webhook_tracking_payload.json", body);
    }

    let ret = api.post("orders/create/return", fixture("return_create_request.json")).await;
    assert_shape("return_create_response.json", &ret.body);

    assert_shape("pickup_locations_response.json", &api.get("settings/company/pickup").await.body);
    assert_shape(
        "addpickup_response.json",
        &api.post("settings/company/addpickup", fixture("addpickup_request.json")).await.body,
    );
    assert_shape("wallet_balance_response.json", &api.get("account/details/wallet-balance").await.body);

    let cancel = api.post("orders/cancel/shipment/awbs", json!({"awbs": ["19041499999999"]})).await;
    assert_eq!(cancel.status, 204);
    let cancel =
        api.post("orders/cancel", fixture("order_cancel_request.json").tap(|v| v["ids"] = json!([order_id]))).await;
    assert_eq!(cancel.status, 400, "picked up orders cannot be cancelled: {}", cancel.body);
}

#[tokio::test]
async fn ndr_answers_match_the_fixtures() {
    let api = Api::start(SimConfig::default()).await;
    let (_, _, awb) = api.ship("NDR-1", "560077").await;
    api.sim.advance(Duration::hours(40)).await;

    let all = api.get("ndr/all").await;
    assert_shape("ndr_all_response.json", &all.body);
    assert_eq!(all.body["data"][0]["awb_code"], awb.as_str());
    let action = api.post(&format!("ndr/{awb}/action"), fixture("ndr_action_request.json")).await;
    assert_eq!(action.status, 202);
    assert_shape("ndr_action_response_202.json", &action.body);
}

#[tokio::test]
async fn failures_match_the_fixtures() {
    let api = Api::start(SimConfig::default()).await;
    let (_, shipment_id) = api.create_order("FAIL-1", "560001").await;

    let mut no_id = fixture("order_create_adhoc_request.json");
    no_id.as_object_mut().unwrap().remove("order_id");
    let a = api.post("orders/create/adhoc", no_id).await;
    assert_eq!(a.status, 422);
    assert_shape("error_422_validation.json", &a.body);
    assert_eq!(a.body["errors"]["order_id"][0], "The order id field is required.");

    let a = api
        .post("orders/create/adhoc", fixture("order_create_adhoc_request.json").tap(|v| v["channel_id"] = json!(1)))
        .await;
    assert_eq!(a.status, 400);
    assert_shape("error_400_bad_request.json", &a.body);

    let a = api.get("no/such/route").await;
    assert_eq!(a.status, 404);
    assert_shape("error_404_route.json", &a.body);

    let a = api.post("manifests/print", json!({"order_ids": "123"})).await;
    assert_eq!(a.status, 500);
    assert_shape("error_500_foreach.json", &a.body);

    let a = api.post("courier/generate/pickup", json!({"shipment_id": [1]})).await;
    assert_eq!(a.status, 400);
    assert_shape("generate_pickup_invalid_400.json", &a.body);

    let a = api.post("courier/generate/label", json!({"shipment_id": [shipment_id]})).await;
    assert_eq!(a.status, 200, "no AWB yet: a failure inside a 200");
    assert_shape("label_generate_invalid_http200.json", &a.body);

    let a = api.post("orders/cancel", json!({"ids": [1]})).await;
    assert_eq!(a.status, 500);
    assert_shape("order_cancel_unknown_id_500.json", &a.body);

    let a = api.get("orders/show/1").await;
    assert_eq!(a.status, 400);
    assert_shape("order_show_not_found.json", &a.body);

    api.post("orders/create/return", fixture("return_create_request.json")).await;
    let a = api.post("orders/create/return", fixture("return_create_request.json")).await;
    assert_eq!(a.status, 422);
    assert_shape("return_create_duplicate_422.json", &a.body);

    let a = api.get("courier/serviceability/?pickup_postcode=411001&delivery_postcode=560001").await;
    assert_eq!(a.status, 422);
    assert_shape("serviceability_422.json", &a.body);
    let a = api.get("courier/serviceability/?pickup_postcode=411001&delivery_postcode=990001&weight=0.5&cod=0").await;
    assert_eq!(a.status, 200);
    assert_shape("serviceability_not_serviceable_http200_UNCERTAIN.json", &a.body);
    let a = api.get("courier/serviceability/?order_id=1").await;
    assert_eq!(a.status, 200);
    assert_shape("serviceability_order_not_found_http200.json", &a.body);

    let a = api.get("courier/track/awb/19041499999999").await;
    assert_eq!(a.status, 200);
    assert_shape("track_not_found_http200.json", &a.body);

    let assign = json!({"shipment_id": shipment_id, "courier_id": 43});
    api.post("courier/assign/awb", assign.clone()).await;
    let a = api.post("courier/assign/awb", assign).await;
    assert_eq!((a.status, &a.body["awb_assign_status"]), (200, &json!(0)));
    assert_shape("assign_awb_failure_http200_UNCERTAIN.json", &a.body);
    let reassign = json!({"shipment_id": shipment_id, "courier_id": 1, "status": "reassign"});
    assert_eq!(api.post("courier/assign/awb", reassign.clone()).await.body["awb_assign_status"], 1);
    let a = api.post("courier/assign/awb", reassign).await;
    assert_eq!(a.status, 400, "one reassignment per 24 h");
    assert_shape("assign_awb_reassign_400.json", &a.body);

    api.post("courier/generate/pickup", json!({"shipment_id": [shipment_id]})).await;
    api.post("manifests/generate", json!({"shipment_id": [shipment_id]})).await;
    let a = api.post("manifests/generate", json!({"shipment_id": [shipment_id]})).await;
    assert_eq!(a.status, 400);
    assert_shape("manifest_generate_already_400.json", &a.body);

    let unauthenticated = api.http.get(format!("{}orders", api.sim.base_url())).send().await.unwrap();
    assert_eq!(unauthenticated.status(), 401);
    assert_shape("error_401_serviceability_host.json", &unauthenticated.json().await.unwrap());
}

/// `value.tap(|v| …)`: edit a fixture in place, inline.
trait Tap {
    fn tap(self, f: impl FnOnce(&mut Self)) -> Self;
}

impl Tap for serde_json::Value {
    fn tap(mut self, f: impl FnOnce(&mut Self)) -> Self {
        f(&mut self);
        self
    }
}
