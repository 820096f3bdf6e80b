//! Every fixture under `tests/fixtures/shiprocket/` (vendored from `shared/shiprocket/fixtures/`)
//! decodes into its response type, or into the right error, through the same `interpret` path
//! as a live call. Request fixtures must be producible by our request types. A fixture with no
//! entry in `check` fails the test, so a new fixture cannot go unnoticed.
#![allow(clippy::unwrap_used)]

mod support;

use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;
use shiprocket_client::endpoints::auth::Login;
use shiprocket_client::endpoints::awb::AssignAwb;
use shiprocket_client::endpoints::documents::{GenerateLabel, GenerateManifest, PrintInvoice, PrintManifest};
use shiprocket_client::endpoints::ndr::{ListNdr, NdrAction, NdrActionBody, NdrActionKind};
use shiprocket_client::endpoints::orders::{
    CancelOrders, CreateOrder, ListOrders, OrderPayload, ShowOrder, UpdateOrder,
};
use shiprocket_client::endpoints::pickup::GeneratePickup;
use shiprocket_client::endpoints::pickup_locations::{AddPickupLocation, ListPickupLocations};
use shiprocket_client::endpoints::returns::CreateReturn;
use shiprocket_client::endpoints::serviceability::CheckServiceability;
use shiprocket_client::endpoints::shipments::CancelShipments;
use shiprocket_client::endpoints::tracking::{TrackAwb, TrackAwbs, TrackOrder, TrackShipment};
use shiprocket_client::endpoints::wallet::GetWalletBalance;
use shiprocket_client::webhook::{API_KEY_HEADER, TrackingWebhook};
use shiprocket_client::{Endpoint, Error, interpret};
use std::path::{Path, PathBuf};

/// The HTTP status a response fixture stands for, from its name.
fn status_of(name: &str) -> u16 {
    for (marker, status) in
        [("_204", 204), ("_202", 202), ("_400", 400), ("_401", 401), ("_404", 404), ("_422", 422), ("_500", 500)]
    {
        if name.contains(marker) {
            return status;
        }
    }
    200
}

fn run<E: Endpoint>(endpoint: &E, name: &str, body: &[u8]) -> Result<E::Response, Error> {
    interpret(endpoint, status_of(name), None, body)
}

fn order_payload() -> OrderPayload {
    serde_json::from_value(support::fixture("order_create_adhoc_request.json")).unwrap()
}

fn return_payload() -> CreateReturn {
    serde_json::from_value(support::fixture("return_create_request.json")).unwrap()
}

fn ndr_action() -> NdrAction {
    NdrAction {
        awb: "19041400000123".into(),
        body: NdrActionBody {
            action: NdrActionKind::ReAttempt,
            comments: "call first".into(),
            phone: None,
            address1: None,
            address2: None,
            deferred_date: None,
        },
    }
}

fn serviceability() -> CheckServiceability {
    CheckServiceability::parcel("411001", "560001", 0.5, true, 998.0)
}

fn expect_class<T: std::fmt::Debug>(name: &str, r: Result<T, Error>, class: &str) {
    match r {
        Err(e) => assert_eq!(e.class(), class, "{name}: {e}"),
        Ok(v) => panic!("{name}: expected a {class} error, decoded {v:?}"),
    }
}

/// Strips comments (`_comment`), blank strings and nulls, turns numeric strings into numbers
/// and booleans into 0/1, so that `"499"` and `499`, `""` and absent compare equal.
fn normalise(v: &Value) -> Value {
    match v {
        Value::Object(m) => Value::Object(
            m.iter()
                .filter(|(k, v)| !k.starts_with('_') && !v.is_null() && v.as_str() != Some(""))
                .map(|(k, v)| (k.clone(), normalise(v)))
                .collect(),
        ),
        Value::Array(a) => Value::Array(a.iter().map(normalise).collect()),
        Value::String(s) => {
            s.parse::<f64>().ok().and_then(serde_json::Number::from_f64).map(Value::Number).unwrap_or_else(|| v.clone())
        }
        Value::Bool(b) => Value::from(f64::from(u8::from(*b))),
        Value::Number(n) => Value::from(n.as_f64().unwrap()),
        Value::Null => Value::Null,
    }
}

/// The request type reads the fixture and writes back the same request.
fn roundtrip<T: DeserializeOwned + Serialize>(name: &str, fixture: &Value) -> T {
    let typed: T = serde_json::from_value(fixture.clone()).unwrap_or_else(|e| panic!("{name}: {e}"));
    let back = serde_json::to_value(&typed).unwrap();
    assert_eq!(normalise(&back), normalise(fixture), "{name}: our request type does not reproduce the fixture");
    typed
}

fn check(name: &str, body: &[u8]) {
    let value: Value = serde_json::from_slice(body).unwrap_or_else(|e| panic!("{name} is not JSON: {e}"));
    match name {
        // ---- requests we must be able to produce ----
        "addpickup_request.json" => {
            roundtrip::<AddPickupLocation>(name, &value).body().unwrap();
        }
        "assign_awb_request.json" => {
            let r = roundtrip::<AssignAwb>(name, &value);
            assert_eq!(r.courier_id, Some(43));
        }
        "auth_login_request.json" => {
            let r = roundtrip::<Login>(name, &value);
            assert!(!format!("{r:?}").contains("REDACTED\""), "password must not be in Debug");
        }
        "cancel_shipment_awbs_request.json" => {
            roundtrip::<CancelShipments>(name, &value).body().unwrap();
        }
        "generate_pickup_request.json" => {
            roundtrip::<GeneratePickup>(name, &value).body().unwrap();
        }
        "ndr_action_request.json" => {
            let b = roundtrip::<NdrActionBody>(name, &value);
            assert_eq!(b.action, NdrActionKind::ReAttempt);
            assert_eq!(serde_json::to_value(b.action).unwrap(), "re-attempt");
        }
        "order_cancel_request.json" => {
            roundtrip::<CancelOrders>(name, &value).body().unwrap();
        }
        "order_create_adhoc_request.json" => {
            let p = roundtrip::<OrderPayload>(name, &value);
            p.validate().unwrap();
            assert!(!format!("{p:?}").contains("Asha"), "Debug of an order must not show the customer");
        }
        "return_create_request.json" => {
            roundtrip::<CreateReturn>(name, &value).body().unwrap();
        }
        "serviceability_request_query.json" => {
            let r = roundtrip::<CheckServiceability>(name, &value);
            let q = r.query();
            for (k, v) in [
                ("pickup_postcode", "411001"),
                ("delivery_postcode", "560001"),
                ("weight", "0.5"),
                ("cod", "1"),
                ("declared_value", "998"),
            ] {
                assert!(q.contains(&(k, v.to_owned())), "{name}: query lacks {k}={v}: {q:?}");
            }
        }
        "track_awbs_request.json" => {
            roundtrip::<TrackAwbs>(name, &value).body().unwrap();
        }
        "webhook_request_headers.json" => {
            assert!(value.get(API_KEY_HEADER).is_some(), "{name}: the webhook token header is {API_KEY_HEADER}");
        }

        // ---- successful answers ----
        "addpickup_response.json" => {
            let added = run(
                &AddPickupLocation { ..serde_json::from_value(support::fixture("addpickup_request.json")).unwrap() },
                name,
                body,
            )
            .unwrap();
            assert_eq!((added.pickup_id, added.location.pickup_location.as_str()), (4980002, "Second WH"));
            assert!(!added.location.phone_verified);
        }
        "assign_awb_response.json" => {
            let a = run(
                &AssignAwb { shipment_id: 409876543, courier_id: Some(43), status: None, is_return: false },
                name,
                body,
            )
            .unwrap();
            assert_eq!((a.awb_code.as_str(), a.courier_company_id), ("19041400000123", 43));
            assert!(a.cod);
            assert!(a.assigned_date_time.is_some() && a.pickup_scheduled_date.is_some());
        }
        "auth_login_response.json" => {
            let l = run(&login(), name, body).unwrap();
            assert!(l.token.expose().starts_with("eyJ"));
            assert!(!format!("{l:?}").contains("eyJ"), "token must not be in Debug");
        }
        "cancel_shipment_awbs_response_204.json" => {
            let a = run(&CancelShipments { awbs: vec!["19041400000123".into()] }, name, body).unwrap();
            assert_eq!(a.status, 204);
            assert!(a.message.unwrap().contains("in progress"));
        }
        "generate_pickup_response.json" => {
            let p = run(&GeneratePickup::new(409876543), name, body).unwrap();
            assert_eq!(p.status, Some(3));
            assert!(p.pickup_scheduled_date.is_some());
        }
        "invoice_print_response.json" => {
            assert!(run(&PrintInvoice { ids: vec![412345678] }, name, body).unwrap().url.ends_with(".pdf"));
        }
        "label_generate_response.json" => {
            assert!(run(&GenerateLabel { shipment_id: vec![409876543] }, name, body).unwrap().url.ends_with(".pdf"));
        }
        "manifest_generate_response.json" => {
            assert!(run(&GenerateManifest { shipment_id: vec![409876543] }, name, body).unwrap().url.ends_with(".pdf"));
        }
        "manifest_print_response.json" => {
            assert!(run(&PrintManifest { order_ids: vec![412345678] }, name, body).unwrap().url.ends_with(".pdf"));
        }
        "ndr_action_response_202.json" => {
            let a = run(&ndr_action(), name, body).unwrap();
            assert_eq!((a.status, a.message.as_deref()), (202, Some("Data Updated Sucessfully")));
        }
        "ndr_all_response.json" => {
            let page = run(&ListNdr::default(), name, body).unwrap();
            let ndr = &page.items[0];
            assert_eq!((ndr.awb_code.as_str(), ndr.status_code, ndr.attempts), ("19041400000123", Some(36), Some(1)));
            assert_eq!(ndr.history.len(), 1);
            assert!(!page.pagination.has_next());
        }
        "order_create_adhoc_response.json" => {
            let o = run(&CreateOrder(order_payload()), name, body).unwrap();
            assert_eq!((o.order_id, o.shipment_id, o.awb_code.as_deref()), (412345678, Some(409876543), None));
            assert!(!o.is_cancelled());
        }
        "order_update_adhoc_response.json" => {
            let u = run(&UpdateOrder(order_payload()), name, body).unwrap();
            assert_eq!(u.not_updated_fields, ["order_date", "pickup_location", "channel_id", "comment"]);
            assert_eq!(u.old_status_code, Some(1));
        }
        "orders_list_response.json" => {
            let page = run(&ListOrders::by_channel_order_id("WEB-100245"), name, body).unwrap();
            let o = &page.items[0];
            assert_eq!((o.id, o.channel_order_id.as_str(), o.total), (412345678, "WEB-100245", Some(998.0)));
            assert_eq!(o.shipments[0].id, 409876543);
            assert_eq!(o.shipments[0].awb, None, "empty AWB is absent");
            assert_eq!(o.shipments[0].etd, None, "etd NA is absent");
            assert!(o.created_at.is_some());
        }
        "pickup_locations_response.json" => {
            let p = run(&ListPickupLocations, name, body).unwrap();
            assert!(p.allow_more, "\"true\" as a string");
            assert_eq!(
                (p.locations[0].pickup_location.as_str(), p.locations[0].pin_code.as_str()),
                ("Primary WH", "411013")
            );
        }
        "return_create_response.json" => {
            let r = run(&return_payload(), name, body).unwrap();
            assert_eq!((r.order_id, r.status_code), (412399001, Some(21)));
        }
        "serviceability_response.json" => {
            let s = run(&serviceability(), name, body).unwrap();
            assert_eq!(s.recommended_courier_company_id, Some(43));
            assert!(s.couriers.len() >= 2);
            let c = &s.couriers[0];
            assert_eq!((c.courier_company_id, c.estimated_delivery_days, c.cod), (43, Some(4), true));
            assert!(c.etd.is_some());
        }
        "track_awb_response.json" => {
            check_tracking(run(&TrackAwb { awb: "19041400000123".into() }, name, body).unwrap())
        }
        "track_shipment_response.json" => {
            check_tracking(run(&TrackShipment { shipment_id: 409876543 }, name, body).unwrap())
        }
        "track_order_response_array.json" => {
            let all = run(&TrackOrder { channel_order_id: "WEB-100245".into(), channel_id: None }, name, body).unwrap();
            assert_eq!(all.len(), 1);
            check_tracking(all.into_iter().next().unwrap());
        }
        "track_awbs_response_keyed.json" => {
            let m =
                run(&TrackAwbs { awbs: vec!["19041400000123".into(), "19041400000456".into()] }, name, body).unwrap();
            check_tracking(m.found["19041400000123"].clone());
            assert!(m.missing.contains_key("19041400000456"), "an AWB absent from the answer is reported missing");
        }
        "wallet_balance_response.json" => {
            assert_eq!(run(&GetWalletBalance, name, body).unwrap().balance_rupees, 1532.40);
        }
        "webhook_tracking_payload.json" => {
            let w = TrackingWebhook::parse(body).unwrap();
            assert_eq!((w.current_status_id, w.shipment_status_id), (Some(20), Some(18)));
            assert_eq!(w.order_id.as_deref(), Some("WEB-100245"));
            assert_eq!(w.scans.len(), 4);
            assert_eq!(w.scans[2].status_code, None, "sr-status NA");
            assert_eq!(w.current_timestamp.unwrap().to_rfc3339(), "2025-01-16T22:40:12+05:30");
        }

        // ---- failures, including those sent as HTTP 200 ----
        "assign_awb_failure_http200_UNCERTAIN.json" => expect_class(name, run(&assign(), name, body), "conflict"),
        "assign_awb_reassign_400.json" => expect_class(name, run(&assign(), name, body), "conflict"),
        "error_400_bad_request.json" => {
            expect_class(name, run(&CreateOrder(order_payload()), name, body), "validation")
        }
        "error_401_serviceability_host.json" => expect_class(name, run(&serviceability(), name, body), "auth"),
        "error_404_route.json" => expect_class(name, run(&ListOrders::default(), name, body), "not_found"),
        "error_422_validation.json" => match run(&CreateOrder(order_payload()), name, body) {
            Err(Error::Validation { fields, .. }) => {
                assert_eq!(fields["order_id"], ["The order id field is required."])
            }
            other => panic!("{name}: {other:?}"),
        },
        "error_500_foreach.json" => {
            expect_class(name, run(&GenerateLabel { shipment_id: vec![1] }, name, body), "validation")
        }
        "generate_pickup_invalid_400.json" => expect_class(name, run(&GeneratePickup::new(1), name, body), "not_found"),
        "label_generate_invalid_http200.json" => {
            expect_class(name, run(&GenerateLabel { shipment_id: vec![1] }, name, body), "validation")
        }
        "manifest_generate_already_400.json" => {
            expect_class(name, run(&GenerateManifest { shipment_id: vec![409876543] }, name, body), "conflict")
        }
        "order_cancel_unknown_id_500.json" => {
            expect_class(name, run(&CancelOrders { ids: vec![1] }, name, body), "not_found")
        }
        "order_show_not_found.json" => expect_class(name, run(&ShowOrder { id: 1 }, name, body), "not_found"),
        "return_create_duplicate_422.json" => expect_class(name, run(&return_payload(), name, body), "conflict"),
        "serviceability_422.json" => match run(&serviceability(), name, body) {
            Err(Error::Validation { fields, .. }) => assert_eq!(fields.len(), 3),
            other => panic!("{name}: {other:?}"),
        },
        "serviceability_not_serviceable_http200_UNCERTAIN.json" => {
            expect_class(name, run(&serviceability(), name, body), "not_serviceable")
        }
        "serviceability_order_not_found_http200.json" => {
            expect_class(name, run(&serviceability(), name, body), "not_found")
        }
        "track_not_found_http200.json" => {
            expect_class(name, run(&TrackAwb { awb: "1".into() }, name, body), "not_found")
        }

        other => panic!("fixture {other} has no expectation in tests/fixtures.rs: add one"),
    }
}

fn login() -> Login {
    Login { email: "api-user@example-store.in".into(), password: shiprocket_client::Secret::new("x") }
}

fn assign() -> AssignAwb {
    AssignAwb { shipment_id: 409876543, courier_id: Some(43), status: Some("reassign".into()), is_return: false }
}

fn check_tracking(t: shiprocket_client::endpoints::tracking::Tracking) {
    assert_eq!(t.shipment_status, Some(17));
    assert_eq!(t.awb_code.as_deref(), Some("19041400000123"));
    assert_eq!(t.activities.len(), 5);
    assert_eq!(t.activities[0].status_code, Some(17));
    assert_eq!(t.activities[2].status_code, None, "sr-status NA");
    assert!(t.activities[0].at > t.activities[1].at, "newest first");
    assert_eq!(t.track_url.as_deref(), Some("https://shiprocket.co//tracking/19041400000123"));
    assert!(t.etd.is_some());
}

fn json_files(dir: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .collect();
    files.sort();
    files
}

#[test]
fn every_vendored_fixture_decodes_as_expected() {
    let files = json_files(&support::fixtures_dir());
    assert!(files.len() >= 50, "expected the full fixture set, found {}", files.len());
    for f in files {
        let name = f.file_name().unwrap().to_string_lossy().into_owned();
        check(&name, &std::fs::read(&f).unwrap());
    }
}

/// When the shared reference folder is present (developer machines), every file there must be
/// covered too, and the vendored copy must not have drifted from it.
#[test]
fn shared_reference_fixtures_are_vendored_and_covered() {
    let shared = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/shiprocket/fixtures");
    if !shared.is_dir() {
        return;
    }
    for f in json_files(&shared) {
        let name = f.file_name().unwrap().to_string_lossy().into_owned();
        let body = std::fs::read(&f).unwrap();
        check(&name, &body);
        let vendored = std::fs::read(support::fixtures_dir().join(&name)).ok();
        assert_eq!(
            vendored.as_deref(),
            Some(body.as_slice()),
            "{name}: re-vendor shared/shiprocket/fixtures into tests/fixtures/shiprocket"
        );
    }
}
