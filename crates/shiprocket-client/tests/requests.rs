//! Every endpoint goes out with the documented method, path, query and body shape (arrays where
//! Shiprocket wants arrays, quirk #11), and comes back decoded.
#![allow(clippy::unwrap_used)]

mod support;

use axum::http::Method;
use serde_json::json;
use shiprocket_client::endpoints::PageRequest;
use shiprocket_client::endpoints::awb::AssignAwb;
use shiprocket_client::endpoints::documents::{GenerateLabel, GenerateManifest, PrintInvoice, PrintManifest};
use shiprocket_client::endpoints::ndr::{ListNdr, NdrAction, NdrActionBody, NdrActionKind};
use shiprocket_client::endpoints::orders::{
    CancelOrders, CreateOrder, ListOrders, ShowOrder, UpdateDeliveryAddress, UpdateOrder,
};
use shiprocket_client::endpoints::pickup::GeneratePickup;
use shiprocket_client::endpoints::pickup_locations::{AddPickupLocation, ListPickupLocations};
use shiprocket_client::endpoints::returns::{CreateReturn, ListReturns};
use shiprocket_client::endpoints::serviceability::CheckServiceability;
use shiprocket_client::endpoints::shipments::CancelShipments;
use shiprocket_client::endpoints::tracking::{TrackAwbs, TrackOrder, TrackShipment};
use shiprocket_client::endpoints::wallet::GetWalletBalance;
use shiprocket_client::{Client, Endpoint, Error};
use support::{Recorded, Reply, ScriptedServer, client_with_token, config_for, fixture};

struct Harness {
    server: ScriptedServer,
    client: Client,
}

impl Harness {
    async fn new() -> Self {
        let server = ScriptedServer::start().await;
        let client = client_with_token(&server, config_for(&server), "token-0").await;
        Harness { server, client }
    }

    /// Sends `request` to a route answering `reply`; returns the decoded answer and the request
    /// as the server saw it.
    async fn call<E: Endpoint>(
        &self,
        request: &E,
        method: Method,
        path: &str,
        reply: Reply,
    ) -> (E::Response, Recorded) {
        self.server.always(method.clone(), path, reply);
        let response = self.client.send(request).await.unwrap_or_else(|e| panic!("{}: {e}", E::NAME));
        let seen = self.server.requests_to(path).pop().unwrap();
        assert_eq!(seen.method, method, "{}", E::NAME);
        assert_eq!(seen.bearer().as_deref(), Some("token-0"), "{} is authenticated", E::NAME);
        (response, seen)
    }
}

fn ok(name: &str) -> Reply {
    Reply::json(200, fixture(name))
}

fn query_pairs(r: &Recorded) -> Vec<(String, String)> {
    url::form_urlencoded::parse(r.query.as_deref().unwrap_or("").as_bytes()).into_owned().collect()
}

#[tokio::test]
async fn orders_endpoints() {
    let h = Harness::new().await;
    let payload: shiprocket_client::endpoints::orders::OrderPayload =
        serde_json::from_value(fixture("order_create_adhoc_request.json")).unwrap();

    let (created, seen) = h
        .call(
            &CreateOrder(payload.clone()),
            Method::POST,
            "orders/create/adhoc",
            ok("order_create_adhoc_response.json"),
        )
        .await;
    assert_eq!(created.order_id, 412345678);
    let body = seen.json();
    assert_eq!(body["order_id"], "WEB-100245");
    assert_eq!(body["payment_method"], "COD");
    assert!(body["order_items"].is_array());
    assert_eq!(body["sub_total"], 998.0);

    let (updated, _) = h
        .call(&UpdateOrder(payload), Method::POST, "orders/update/adhoc", ok("order_update_adhoc_response.json"))
        .await;
    assert!(updated.partially_updated);
    assert_eq!(updated.not_updated_fields, ["order_date", "pickup_location", "channel_id", "comment"]);

    let address = UpdateDeliveryAddress {
        order_id: 412345678,
        shipping_customer_name: "Ravi".into(),
        shipping_last_name: None,
        shipping_phone: "9123456780".into(),
        shipping_address: "42 Lake View Road".into(),
        shipping_address_2: None,
        shipping_city: "Mumbai".into(),
        shipping_state: "Maharashtra".into(),
        shipping_country: "India".into(),
        shipping_pincode: "400050".into(),
    };
    let (moved, seen) = h.call(&address, Method::POST, "orders/address/update", Reply::raw(202, "")).await;
    assert_eq!(moved.status, 202, "documented: 202 with an empty body");
    assert_eq!(seen.json()["order_id"], 412345678);
    assert_eq!(seen.json()["shipping_pincode"], "400050");
    assert!(seen.json().get("shipping_last_name").is_none(), "absent parts are not sent");
    assert!(!format!("{address:?}").contains("Lake View"), "Debug shows no customer data");

    let (cancelled, seen) =
        h.call(&CancelOrders { ids: vec![412345678] }, Method::POST, "orders/cancel", Reply::raw(204, "")).await;
    assert_eq!(cancelled.status, 204);
    assert_eq!(seen.json(), json!({"ids": [412345678]}));

    let show = json!({"data": {"id": 412345678, "channel_order_id": "WEB-100245", "status": "CANCELED", "status_code": 5,
        "total": 345, "net_total": "345.00", "payment_method": "prepaid",
        "shipments": {"id": 409876543, "awb": "19041400000123", "courier": "Delhivery Surface"}}});
    let (order, _) =
        h.call(&ShowOrder { id: 412345678 }, Method::GET, "orders/show/412345678", Reply::json(200, show)).await;
    assert!(order.is_cancelled());
    assert_eq!(order.shipments[0].awb.as_deref(), Some("19041400000123"), "shipments as an object");

    let (page, seen) = h
        .call(&ListOrders::by_channel_order_id("WEB-100245"), Method::GET, "orders", ok("orders_list_response.json"))
        .await;
    assert_eq!(page.items.len(), 1);
    assert_eq!(query_pairs(&seen), [("search".to_owned(), "WEB-100245".to_owned())]);

    let filtered = ListOrders {
        page: PageRequest { page: Some(2), per_page: Some(50) },
        status_codes: vec![5, 18],
        ..ListOrders::default()
    };
    let (_, seen) = h.call(&filtered, Method::GET, "orders", ok("orders_list_response.json")).await;
    let q = query_pairs(&seen);
    for pair in [("page", "2"), ("per_page", "50"), ("filter_by", "status"), ("filter", "5,18")] {
        assert!(q.contains(&(pair.0.to_owned(), pair.1.to_owned())), "{pair:?} missing from {q:?}");
    }
}

#[tokio::test]
async fn a_create_that_returns_an_existing_cancelled_order_is_recognisable() {
    let h = Harness::new().await;
    let payload = serde_json::from_value(fixture("order_create_adhoc_request.json")).unwrap();
    let cancelled = json!({"order_id": 412345678, "shipment_id": 409876543, "status": "CANCELED", "status_code": 5,
        "awb_code": "", "courier_company_id": "", "courier_name": ""});

    let (created, _) =
        h.call(&CreateOrder(payload), Method::POST, "orders/create/adhoc", Reply::json(200, cancelled)).await;

    assert!(created.is_cancelled());
    assert_eq!((created.awb_code, created.courier_company_id), (None, None), "empty strings are absent");
}

#[tokio::test]
async fn courier_endpoints() {
    let h = Harness::new().await;

    let (rates, seen) = h
        .call(
            &CheckServiceability::parcel("411001", "560001", 0.5, true, 998.0),
            Method::GET,
            "courier/serviceability/",
            ok("serviceability_response.json"),
        )
        .await;
    assert_eq!(rates.recommended_courier_company_id, Some(43));
    let q = query_pairs(&seen);
    for pair in [
        ("pickup_postcode", "411001"),
        ("delivery_postcode", "560001"),
        ("weight", "0.5"),
        ("cod", "1"),
        ("declared_value", "998"),
    ] {
        assert!(q.contains(&(pair.0.to_owned(), pair.1.to_owned())), "{pair:?} missing from {q:?}");
    }

    let assign = AssignAwb { shipment_id: 409876543, courier_id: Some(10), status: None, is_return: false };
    let (awb, seen) = h.call(&assign, Method::POST, "courier/assign/awb", ok("assign_awb_response.json")).await;
    assert_eq!(seen.json(), json!({"shipment_id": 409876543, "courier_id": 10}));
    assert_eq!(awb.courier_company_id, 43, "Shiprocket may book another courier than asked; we report what it booked");

    let (pickup, seen) = h
        .call(
            &GeneratePickup::new(409876543),
            Method::POST,
            "courier/generate/pickup",
            ok("generate_pickup_response.json"),
        )
        .await;
    assert_eq!(seen.json(), json!({"shipment_id": [409876543]}));
    assert!(pickup.pickup_token_number.is_some());

    let (_, seen) = h
        .call(
            &GenerateLabel { shipment_id: vec![409876543] },
            Method::POST,
            "courier/generate/label",
            ok("label_generate_response.json"),
        )
        .await;
    assert_eq!(seen.json(), json!({"shipment_id": [409876543]}));
    let (_, seen) = h
        .call(
            &GenerateManifest { shipment_id: vec![409876543] },
            Method::POST,
            "manifests/generate",
            ok("manifest_generate_response.json"),
        )
        .await;
    assert_eq!(seen.json(), json!({"shipment_id": [409876543]}));
    let (_, seen) = h
        .call(
            &PrintManifest { order_ids: vec![412345678] },
            Method::POST,
            "manifests/print",
            ok("manifest_print_response.json"),
        )
        .await;
    assert_eq!(seen.json(), json!({"order_ids": [412345678]}));
    let (_, seen) = h
        .call(
            &PrintInvoice { ids: vec![412345678] },
            Method::POST,
            "orders/print/invoice",
            ok("invoice_print_response.json"),
        )
        .await;
    assert_eq!(seen.json(), json!({"ids": [412345678]}));

    let (accepted, seen) = h
        .call(
            &CancelShipments { awbs: vec!["19041400000123".into()] },
            Method::POST,
            "orders/cancel/shipment/awbs",
            Reply::json(204, fixture("cancel_shipment_awbs_response_204.json")),
        )
        .await;
    assert_eq!(seen.json(), json!({"awbs": ["19041400000123"]}));
    assert_eq!(accepted.status, 204);
}

#[tokio::test]
async fn tracking_endpoints() {
    let h = Harness::new().await;
    let (t, _) = h
        .call(
            &TrackShipment { shipment_id: 409876543 },
            Method::GET,
            "courier/track/shipment/409876543",
            ok("track_shipment_response.json"),
        )
        .await;
    assert_eq!(t.shipment_status, Some(17));

    let (all, seen) = h
        .call(
            &TrackOrder { channel_order_id: "WEB-100245".into(), channel_id: Some(5123456) },
            Method::GET,
            "courier/track",
            ok("track_order_response_array.json"),
        )
        .await;
    assert_eq!(all.len(), 1);
    assert_eq!(
        query_pairs(&seen),
        [("order_id".to_owned(), "WEB-100245".to_owned()), ("channel_id".to_owned(), "5123456".to_owned())]
    );

    let (many, seen) = h
        .call(
            &TrackAwbs { awbs: vec!["19041400000123".into()] },
            Method::POST,
            "courier/track/awbs",
            ok("track_awbs_response_keyed.json"),
        )
        .await;
    assert_eq!(seen.json(), json!({"awbs": ["19041400000123"]}));
    assert_eq!(many.found.len(), 1);

    let (none, _) = h
        .call(
            &TrackAwbs { awbs: vec!["X1".into(), "X2".into()] },
            Method::POST,
            "courier/track/awbs",
            Reply::json(200, json!({})),
        )
        .await;
    assert!(none.found.is_empty());
    assert_eq!(none.missing.len(), 2);
}

#[tokio::test]
async fn returns_ndr_pickup_locations_wallet_and_logout() {
    let h = Harness::new().await;
    let ret: CreateReturn = serde_json::from_value(fixture("return_create_request.json")).unwrap();
    let (created, seen) = h.call(&ret, Method::POST, "orders/create/return", ok("return_create_response.json")).await;
    assert_eq!(created.status.as_deref(), Some("RETURN PENDING"));
    assert_eq!(seen.json()["order_items"][0]["return_reason"], "Size not as expected");

    let returns_page = json!({"data": [{"id": 412399001, "channel_order_id": "RET-100245", "shipment_id": 409930001,
        "status": "RETURN PENDING", "status_code": 21, "created_at": "25 Jan 2025, 10:00 AM"}],
        "meta": {"pagination": {"total": 1, "count": 1, "per_page": 15, "current_page": 1, "total_pages": 1, "links": {}}}});
    let (page, _) =
        h.call(&ListReturns::default(), Method::GET, "orders/processing/return", Reply::json(200, returns_page)).await;
    assert_eq!(page.items[0].status_code, Some(21));

    let (ndrs, seen) = h
        .call(
            &ListNdr { search_awb: Some("19041400000123".into()), ..ListNdr::default() },
            Method::GET,
            "ndr/all",
            ok("ndr_all_response.json"),
        )
        .await;
    assert_eq!(ndrs.items.len(), 1);
    assert_eq!(query_pairs(&seen), [("search".to_owned(), "19041400000123".to_owned())]);

    let action = NdrAction {
        awb: "19041400000123".into(),
        body: NdrActionBody {
            action: NdrActionKind::ReAttempt,
            comments: "Customer confirmed availability tomorrow".into(),
            phone: Some("9800000001".into()),
            address1: None,
            address2: None,
            deferred_date: Some("2025-01-19".into()),
        },
    };
    let (_, seen) = h
        .call(
            &action,
            Method::POST,
            "ndr/19041400000123/action",
            Reply::json(202, fixture("ndr_action_response_202.json")),
        )
        .await;
    assert_eq!(seen.json(), fixture("ndr_action_request.json"));
    assert!(!format!("{action:?}").contains("9800000001"), "Debug of an NDR action hides the phone");

    let (locations, _) = h
        .call(&ListPickupLocations, Method::GET, "settings/company/pickup", ok("pickup_locations_response.json"))
        .await;
    assert_eq!(locations.locations.len(), 1);
    let add: AddPickupLocation = serde_json::from_value(fixture("addpickup_request.json")).unwrap();
    let (added, seen) = h.call(&add, Method::POST, "settings/company/addpickup", ok("addpickup_response.json")).await;
    assert_eq!(added.pickup_id, 4980002);
    assert_eq!(seen.json()["pin_code"], "410501");

    let (wallet, _) = h
        .call(
            &GetWalletBalance,
            Method::GET,
            "account/details/wallet-balance",
            Reply::json(200, json!({"data": {"balance_amount": "-291539.83"}})),
        )
        .await;
    assert_eq!(wallet.balance_rupees, -291539.83);

    h.server.always(Method::POST, "auth/logout", Reply::json(200, json!({})));
    h.client.logout().await.unwrap();
    assert_eq!(h.server.count("auth/logout"), 1);
}

#[tokio::test]
async fn invalid_requests_fail_before_any_call() {
    let h = Harness::new().await;
    let mut payload: shiprocket_client::endpoints::orders::OrderPayload =
        serde_json::from_value(fixture("order_create_adhoc_request.json")).unwrap();
    payload.order_items.clear();
    payload.weight = 0.0;
    payload.shipping_is_billing = false;

    let err = h.client.send(&CreateOrder(payload)).await.unwrap_err();
    let Error::Validation { fields, .. } = err else { panic!("{err:?}") };
    for f in ["order_items", "weight", "shipping_address", "shipping_pincode"] {
        assert!(fields.contains_key(f), "{f} not reported in {fields:?}");
    }
    for bad in [
        h.client.send(&GeneratePickup { shipment_id: vec![1, 2], pickup_date: vec![], status: None }).await.err(),
        h.client.send(&TrackAwbs { awbs: (0..51).map(|i| i.to_string()).collect() }).await.err(),
        h.client.send(&CancelShipments { awbs: vec![] }).await.err(),
        h.client
            .send(&CheckServiceability {
                weight: None,
                ..CheckServiceability::parcel("411001", "560001", 1.0, false, 1.0)
            })
            .await
            .err(),
    ] {
        assert!(matches!(bad, Some(Error::Validation { .. })), "{bad:?}");
    }
    assert!(h.server.requests().is_empty(), "nothing was sent");
}
