//! The client, run against the simulator, round-trips every endpoint it supports — two
//! independent readings of the Shiprocket reference that must agree.
#![allow(clippy::unwrap_used)]

use chrono::Duration;
use integration_tests::{Stack, order_payload};
use shiprocket_client::Error;
use shiprocket_client::endpoints::PageRequest;
use shiprocket_client::endpoints::awb::AssignAwb;
use shiprocket_client::endpoints::documents::{GenerateLabel, GenerateManifest, PrintInvoice, PrintManifest};
use shiprocket_client::endpoints::ndr::{ListNdr, NdrAction, NdrActionBody, NdrActionKind};
use shiprocket_client::endpoints::orders::{CancelOrders, CreateOrder, ListOrders, ShowOrder, UpdateOrder};
use shiprocket_client::endpoints::pickup::GeneratePickup;
use shiprocket_client::endpoints::pickup_locations::{AddPickupLocation, ListPickupLocations};
use shiprocket_client::endpoints::returns::{CreateReturn, ListReturns};
use shiprocket_client::endpoints::serviceability::CheckServiceability;
use shiprocket_client::endpoints::shipments::CancelShipments;
use shiprocket_client::endpoints::tracking::{TrackAwb, TrackAwbs, TrackOrder, TrackShipment};
use shiprocket_client::endpoints::wallet::GetWalletBalance;
use shiprocket_sim::{CancelledOrderMode, DuplicateOrderMode, FaultKind, FaultRule, SimConfig};

fn fixture<T: serde::de::DeserializeOwned>(name: &str) -> T {
    let path = format!("{}/fixtures/shiprocket/{name}", env!("CARGO_MANIFEST_DIR"));
    serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap()
}

#[tokio::test]
async fn every_endpoint_round_trips() {
    let Stack { sim, client } = Stack::start(SimConfig::default()).await;

    // Orders.
    let created = client.send(&CreateOrder(order_payload("RT-1", "560001"))).await.unwrap();
    let shipment_id = created.shipment_id.unwrap();
    assert!(!created.is_cancelled());
    let updated = client.send(&UpdateOrder(order_payload("RT-1", "560001"))).await.unwrap();
    assert_eq!(updated.order_id, created.order_id);
    assert!(updated.not_updated_fields.contains(&"pickup_location".to_owned()));
    let shown = client.send(&ShowOrder { id: created.order_id }).await.unwrap();
    assert_eq!((shown.channel_order_id.as_str(), shown.shipments[0].id), ("RT-1", shipment_id));
    let page = client.send(&ListOrders::by_channel_order_id("RT-1")).await.unwrap();
    assert_eq!(page.items.len(), 1);

    // Rates, AWB, pickup, documents.
    let rates = client.send(&CheckServiceability::parcel("411013", "560001", 0.5, true, 998.0)).await.unwrap();
    assert!((5..=15).contains(&rates.couriers.len()));
    assert!(rates.couriers.iter().all(|c| c.cod && c.etd.is_some() && c.estimated_delivery_days.is_some()));
    let courier = rates.recommended_courier_company_id.unwrap();
    let awb = client
        .send(&AssignAwb { shipment_id, courier_id: Some(courier), status: None, is_return: false })
        .await
        .unwrap();
    assert_eq!(awb.courier_company_id, courier);
    let pickup = client.send(&GeneratePickup::new(shipment_id)).await.unwrap();
    assert_eq!(pickup.status, Some(3));
    let label = client.send(&GenerateLabel { shipment_id: vec![shipment_id] }).await.unwrap();
    let pdf = reqwest::get(&label.url).await.unwrap().bytes().await.unwrap();
    let doc = lopdf::Document::load_mem(&pdf).expect("the label is a PDF");
    let text = doc.extract_text(&[1]).unwrap();
    assert!(text.contains(&awb.awb_code), "label text lacks the AWB: {text}");
    assert!(
        client
            .send(&GenerateManifest { shipment_id: vec![shipment_id] })
            .await
            .unwrap()
            .url
            .contains("/__sim/documents/")
    );
    client.send(&PrintManifest { order_ids: vec![created.order_id] }).await.unwrap();
    client.send(&PrintInvoice { ids: vec![created.order_id] }).await.unwrap();

    // Tracking after the clock moves.
    sim.advance(Duration::hours(35)).await;
    let by_awb = client.send(&TrackAwb { awb: awb.awb_code.clone() }).await.unwrap();
    assert_eq!(by_awb.shipment_status, Some(17), "out for delivery 34 h after pickup");
    assert!(by_awb.activities.iter().any(|a| a.status_code.is_none()), "the NA scan decodes as no code");
    let by_shipment = client.send(&TrackShipment { shipment_id }).await.unwrap();
    assert_eq!(by_shipment.activities, by_awb.activities);
    let by_order = client.send(&TrackOrder { channel_order_id: "RT-1".into(), channel_id: None }).await.unwrap();
    assert_eq!(by_order.len(), 1);
    let many = client.send(&TrackAwbs { awbs: vec![awb.awb_code.clone(), "19049999999999".into()] }).await.unwrap();
    assert_eq!((many.found.len(), many.missing.len()), (1, 1));

    // Cancellation by AWB (before pickup) and by order id.
    let second = client.send(&CreateOrder(order_payload("RT-2", "560001"))).await.unwrap();
    let second_awb = client
        .send(&AssignAwb { shipment_id: second.shipment_id.unwrap(), courier_id: None, status: None, is_return: false })
        .await
        .unwrap();
    let accepted = client.send(&CancelShipments { awbs: vec![second_awb.awb_code.clone()] }).await.unwrap();
    assert_eq!(accepted.status, 204);
    assert!(client.send(&ShowOrder { id: second.order_id }).await.unwrap().is_cancelled());
    let third = client.send(&CreateOrder(order_payload("RT-3", "560001"))).await.unwrap();
    client.send(&CancelOrders { ids: vec![third.order_id] }).await.unwrap();
    assert!(client.send(&ShowOrder { id: third.order_id }).await.unwrap().is_cancelled());

    // Returns.
    let ret: CreateReturn = fixture("return_create_request.json");
    let created_return = client.send(&ret).await.unwrap();
    assert_eq!(created_return.status_code, Some(21));
    let returns = client.send(&ListReturns { page: PageRequest::default() }).await.unwrap();
    assert_eq!(returns.items[0].id, created_return.order_id);

    // NDR.
    let ndr_order = client.send(&CreateOrder(order_payload("RT-NDR", "560077"))).await.unwrap();
    let ndr_awb = client
        .send(&AssignAwb {
            shipment_id: ndr_order.shipment_id.unwrap(),
            courier_id: None,
            status: None,
            is_return: false,
        })
        .await
        .unwrap();
    client.send(&GeneratePickup::new(ndr_order.shipment_id.unwrap())).await.unwrap();
    sim.advance(Duration::hours(40)).await;
    let ndrs = client.send(&ListNdr::default()).await.unwrap();
    assert_eq!(ndrs.items[0].awb_code, ndr_awb.awb_code);
    let action = NdrAction {
        awb: ndr_awb.awb_code.clone(),
        body: NdrActionBody {
            action: NdrActionKind::ReAttempt,
            comments: "call first".into(),
            phone: None,
            address1: None,
            address2: None,
            deferred_date: None,
        },
    };
    assert_eq!(client.send(&action).await.unwrap().status, 202);
    sim.advance(Duration::hours(30)).await;
    assert_eq!(client.send(&TrackAwb { awb: ndr_awb.awb_code }).await.unwrap().shipment_status, Some(7));

    // Settings, wallet, logout.
    let add: AddPickupLocation = fixture("addpickup_request.json");
    let added = client.send(&add).await.unwrap();
    let locations = client.send(&ListPickupLocations).await.unwrap();
    assert!(locations.locations.iter().any(|l| l.id == added.pickup_id));
    assert!(client.send(&GetWalletBalance).await.unwrap().balance_rupees > 0.0);
    client.logout().await.unwrap();
    assert_eq!(sim.counters().logins, 1);
}

#[tokio::test]
async fn failures_decode_into_the_right_errors() {
    // Keep the simulator alive: dropping it stops the server.
    let Stack { sim: _sim, client } = Stack::start(SimConfig::default()).await;

    let unknown = client.send(&TrackAwb { awb: "19049999999999".into() }).await.unwrap_err();
    assert!(matches!(unknown, Error::NotFound { .. }), "{unknown:?}");
    let lane = client.send(&CheckServiceability::parcel("411013", "990001", 0.5, false, 100.0)).await.unwrap_err();
    assert!(matches!(lane, Error::NotServiceable { .. }), "{lane:?}");
    let no_cod = client.send(&CheckServiceability::parcel("411013", "560013", 0.5, true, 100.0)).await.unwrap_err();
    assert!(matches!(no_cod, Error::NotServiceable { .. }), "{no_cod:?}");
    let created = client.send(&CreateOrder(order_payload("ERR-1", "560001"))).await.unwrap();
    let label = client.send(&GenerateLabel { shipment_id: vec![created.shipment_id.unwrap()] }).await.unwrap_err();
    assert!(matches!(label, Error::Validation { .. }), "label before AWB: {label:?}");
    let pickup = client.send(&GeneratePickup::new(created.shipment_id.unwrap())).await.unwrap_err();
    assert!(matches!(pickup, Error::NotFound { .. }), "pickup before AWB: {pickup:?}");
    let show = client.send(&ShowOrder { id: 1 }).await.unwrap_err();
    assert!(matches!(show, Error::NotFound { .. }), "{show:?}");
    let cancel = client.send(&CancelOrders { ids: vec![1] }).await.unwrap_err();
    assert!(matches!(cancel, Error::NotFound { .. }), "{cancel:?}");
    let assign =
        AssignAwb { shipment_id: created.shipment_id.unwrap(), courier_id: None, status: None, is_return: false };
    client.send(&assign).await.unwrap();
    let again = client.send(&assign).await.unwrap_err();
    assert!(matches!(again, Error::Conflict { .. }), "{again:?}");
}

#[tokio::test]
async fn repeated_and_cancelled_creates_in_every_mode() {
    let Stack { sim, client } = Stack::start(SimConfig::default()).await;
    let first = client.send(&CreateOrder(order_payload("MODE-1", "560001"))).await.unwrap();
    let again = client.send(&CreateOrder(order_payload("MODE-1", "560001"))).await.unwrap();
    assert_eq!(first.order_id, again.order_id, "return-existing mode");

    let mut modes = sim.modes();
    modes.duplicate_order = DuplicateOrderMode::Reject422;
    sim.set_modes(modes.clone());
    let rejected = client.send(&CreateOrder(order_payload("MODE-1", "560001"))).await.unwrap_err();
    assert!(matches!(rejected, Error::Conflict { .. }), "{rejected:?}");

    client.send(&CancelOrders { ids: vec![first.order_id] }).await.unwrap();
    let reused = client.send(&CreateOrder(order_payload("MODE-1", "560001"))).await.unwrap_err();
    assert!(matches!(reused, Error::Conflict { .. }), "{reused:?}");
    modes.cancelled_order = CancelledOrderMode::ReturnCancelled;
    sim.set_modes(modes);
    let dead = client.send(&CreateOrder(order_payload("MODE-1", "560001"))).await.unwrap();
    assert!(dead.is_cancelled(), "a returned cancelled order is recognised");
    assert_eq!(sim.counters().orders_created["MODE-1"], 1);
}

#[tokio::test]
async fn commit_then_drop_is_recovered_by_looking_the_order_up() {
    let Stack { sim, client } = Stack::start(SimConfig::default()).await;
    sim.add_fault(FaultRule {
        endpoint: "orders/create/adhoc".into(),
        kind: FaultKind::CommitThenDrop,
        probability: 1.0,
        times: Some(2),
    });

    let err = client.send(&CreateOrder(order_payload("LOST-ANSWER", "560001"))).await.unwrap_err();
    assert!(err.outcome_unknown(), "{err:?}");
    let found = client.send(&ListOrders::by_channel_order_id("LOST-ANSWER")).await.unwrap();

    assert_eq!(found.items.len(), 1, "the order exists although no answer arrived");
    assert_eq!(sim.counters().orders_created["LOST-ANSWER"], 1, "the client's own network retry created nothing new");
}

#[tokio::test]
async fn retries_recover_from_injected_5xx_429_and_expired_tokens() {
    let Stack { sim, client } = Stack::start(SimConfig::default()).await;
    sim.add_fault(FaultRule {
        endpoint: "orders".into(),
        kind: FaultKind::Status { status: 503 },
        probability: 1.0,
        times: Some(2),
    });
    client.send(&ListOrders::default()).await.unwrap();
    assert_eq!(sim.counters().calls["orders"], 3);

    sim.add_fault(FaultRule {
        endpoint: "orders".into(),
        kind: FaultKind::RateLimited { retry_after_secs: Some(1) },
        probability: 1.0,
        times: Some(1),
    });
    client.send(&ListOrders::default()).await.unwrap();
    assert_eq!(sim.counters().calls["orders"], 5);

    sim.expire_tokens();
    client.send(&ListOrders::default()).await.unwrap();
    assert_eq!(sim.counters().logins, 2, "one re-login after the 401");
}
