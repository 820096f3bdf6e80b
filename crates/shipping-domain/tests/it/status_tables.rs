//! Every code of both Shiprocket status tables (SHIPROCKET_API.md §8a and §8b), written out one
//! line per code with the state we intend, checked by code and by label.

use shipping_domain::ShipmentState::{self, *};
use shipping_domain::{
    RawStatus, StatusMapping, from_label, from_order_status, from_shipment_status, from_sr_status, order_status_table,
    pick_status, shipment_status_table,
};

/// What a row must map to.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Want {
    To(ShipmentState),
    Info,
}
use Want::{Info, To};

const NDR: Want = To(Ndr { attempts: 1 });

/// §8a order-status codes.
const ORDER: &[(i64, &str, Want)] = &[
    (1, "New", To(Synced)),
    (2, "Invoiced", To(Synced)),
    (3, "Ready To Ship", To(AwbAssigned)),
    (4, "Pickup Scheduled", To(PickupScheduled)),
    (5, "Canceled", To(Cancelled)),
    (6, "Shipped", To(InTransit)),
    (7, "Delivered", To(Delivered)),
    (8, "ePayment Failed", Info),
    (9, "Returned", To(RtoDelivered)),
    (10, "Unmapped", Info),
    (11, "Unfulfillable", Info),
    (12, "Pickup Queue", To(PickupScheduled)),
    (13, "Pickup Rescheduled", To(PickupScheduled)),
    (14, "Pickup Error", To(PickupScheduled)),
    (15, "RTO Initiated", To(RtoInitiated)),
    (16, "RTO Delivered", To(RtoDelivered)),
    (17, "RTO Acknowledged", To(RtoDelivered)),
    (18, "Cancellation Requested", Info),
    (19, "Out for Delivery", To(OutForDelivery)),
    (20, "In Transit", To(InTransit)),
    (21, "Return Pending", To(ReturnRequested)),
    (22, "Return Initiated", To(ReturnRequested)),
    (23, "Return Pickup Queued", To(ReturnRequested)),
    (24, "Return Pickup Error", To(ReturnRequested)),
    (25, "Return In Transit", To(ReturnPickedUp)),
    (26, "Return Delivered", To(ReturnDelivered)),
    (27, "Return Cancelled", To(Delivered)),
    (28, "Return Pickup Generated", To(ReturnRequested)),
    (29, "Return Cancellation Requested", Info),
    (30, "Return Pickup Cancelled", To(Delivered)),
    (31, "Return Pickup Rescheduled", To(ReturnRequested)),
    (32, "Return Picked Up", To(ReturnPickedUp)),
    (33, "Lost", To(Lost)),
    (34, "Out For Pickup", To(PickupScheduled)),
    (35, "Pickup Exception", To(PickupScheduled)),
    (36, "Undelivered", NDR),
    (37, "Delivery Delayed", To(InTransit)),
    (38, "Partial Delivered", Info),
    (39, "Destroyed", To(Damaged)),
    (40, "Damaged", To(Damaged)),
    (41, "Fulfilled", Info),
    (42, "Archived", Info),
    (43, "Reached Destination Hub", To(InTransit)),
    (44, "Misrouted", To(InTransit)),
    (45, "RTO_OFD", To(RtoInTransit)),
    (46, "RTO_NDR", To(RtoInTransit)),
    (47, "Return Out For Pickup", To(ReturnRequested)),
    (48, "Return Out For Delivery", To(ReturnPickedUp)),
    (49, "Return Pickup Exception", To(ReturnRequested)),
    (50, "Return Undelivered", To(ReturnPickedUp)),
    (51, "Picked Up", To(PickedUp)),
    (52, "Self Fulfilled", Info),
    (53, "Disposed Off", To(Lost)),
    (54, "Canceled before Dispatched", To(Cancelled)),
    (55, "RTO In-Transit", To(RtoInTransit)),
    (57, "QC Failed", Info),
    (58, "Reached Warehouse", To(InTransit)),
    (59, "Custom Cleared", To(InTransit)),
    (60, "In Flight", To(InTransit)),
    (61, "Handover to Courier", To(PickedUp)),
    (62, "Booked", To(Synced)),
    (64, "In Transit Overseas", To(InTransit)),
    (65, "Connection Aligned", To(InTransit)),
    (66, "Reached Overseas Warehouse", To(InTransit)),
    (67, "Custom Cleared Overseas", To(InTransit)),
    (68, "RETURN ACKNOWLEGED", To(ReturnDelivered)),
    (69, "Box Packing", To(Synced)),
    (70, "Pickup Booked", To(PickupScheduled)),
    (71, "DARKSTORE SCHEDULED", To(Synced)),
    (72, "Allocation in Progress", To(Synced)),
    (73, "FC Allocated", To(Synced)),
    (74, "Picklist Generated", To(Synced)),
    (75, "Ready to Pack", To(Synced)),
    (76, "Packed", To(Synced)),
    (80, "FC MANIFEST GENERATED", To(PickupScheduled)),
    (81, "PROCESSED AT WAREHOUSE", To(Synced)),
    (82, "PACKED EXCEPTION", To(Synced)),
    (83, "HANDOVER EXCEPTION", To(PickupScheduled)),
    (87, "RTO_LOCK", To(RtoInitiated)),
    (88, "UNTRACEABLE", Info),
    (89, "ISSUE_RELATED_TO_THE_RECIPIENT", NDR),
    (90, "REACHED_BACK_AT_SELLER_CITY", To(RtoInTransit)),
];

/// §8b shipment-status codes.
const SHIPMENT: &[(i64, &str, Want)] = &[
    (1, "AWB Assigned", To(AwbAssigned)),
    (2, "Label Generated", To(LabelReady)),
    (3, "Pickup Scheduled/Generated", To(PickupScheduled)),
    (4, "Pickup Queued", To(PickupScheduled)),
    (5, "Manifest Generated", To(PickupScheduled)),
    (6, "Shipped", To(InTransit)),
    (7, "Delivered", To(Delivered)),
    (8, "Cancelled", To(Cancelled)),
    (9, "RTO Initiated", To(RtoInitiated)),
    (10, "RTO Delivered", To(RtoDelivered)),
    (11, "Pending", To(Synced)),
    (12, "Lost", To(Lost)),
    (13, "Pickup Error", To(PickupScheduled)),
    (14, "RTO Acknowledged", To(RtoDelivered)),
    (15, "Pickup Rescheduled", To(PickupScheduled)),
    (16, "Cancellation Requested", Info),
    (17, "Out For Delivery", To(OutForDelivery)),
    (18, "In Transit", To(InTransit)),
    (19, "Out For Pickup", To(PickupScheduled)),
    (20, "Pickup Exception", To(PickupScheduled)),
    (21, "Undelivered", NDR),
    (22, "Delayed", To(InTransit)),
    (23, "Partial_Delivered", Info),
    (24, "Destroyed", To(Damaged)),
    (25, "Damaged", To(Damaged)),
    (26, "Fulfilled", Info),
    (27, "Pickup Booked", To(PickupScheduled)),
    (38, "Reached at Destination (Hub)", To(InTransit)),
    (39, "Misrouted", To(InTransit)),
    (40, "RTO NDR", To(RtoInTransit)),
    (41, "RTO OFD", To(RtoInTransit)),
    (42, "Picked Up", To(PickedUp)),
    (43, "Self Fulfilled", Info),
    (44, "Disposed Off", To(Lost)),
    (45, "Cancelled Before Dispatched", To(Cancelled)),
    (46, "RTO In Transit", To(RtoInTransit)),
    (47, "QC Failed", Info),
    (48, "Reached Warehouse", To(InTransit)),
    (49, "Custom Cleared", To(InTransit)),
    (50, "In Flight", To(InTransit)),
    (51, "Handover to Courier", To(PickedUp)),
    (52, "Shipment Booked", To(Synced)),
    (54, "In Transit Overseas", To(InTransit)),
    (55, "Connection Aligned", To(InTransit)),
    (56, "Reached Overseas Warehouse", To(InTransit)),
    (57, "Custom Cleared Overseas", To(InTransit)),
    (59, "Box Packing", To(Synced)),
    (60, "FC Allocated", To(Synced)),
    (61, "Picklist Generated", To(Synced)),
    (62, "Ready To Pack", To(Synced)),
    (63, "Packed", To(Synced)),
    (67, "FC Manifest Generated", To(PickupScheduled)),
    (68, "Processed At Warehouse", To(Synced)),
    (71, "Handover Exception", To(PickupScheduled)),
    (72, "Packed Exception", To(Synced)),
    (75, "RTO_LOCK", To(RtoInitiated)),
    (76, "Untraceable", Info),
    (77, "Issue Related To The Recipient", NDR),
    (78, "Reached Back At Seller City", To(RtoInTransit)),
];

fn check(mapping: StatusMapping, want: Want, raw: RawStatus, what: &str) {
    match want {
        To(state) => assert_eq!(mapping, StatusMapping::State(state), "{what}"),
        Info => assert_eq!(mapping, StatusMapping::Informational { raw }, "{what}"),
    }
}

#[test]
fn every_order_status_code_maps_to_the_intended_state() {
    for &(code, label, want) in ORDER {
        check(from_order_status(code), want, RawStatus::Order(code), &format!("order code {code}"));
        check(from_label(label), want, RawStatus::Label(label.into()), &format!("order label {label:?}"));
        assert_eq!(RawStatus::Order(code).label(), Some(label));
    }
}

#[test]
fn every_shipment_status_code_maps_to_the_intended_state() {
    for &(code, label, want) in SHIPMENT {
        check(from_shipment_status(code), want, RawStatus::Shipment(code), &format!("shipment code {code}"));
        check(from_label(label), want, RawStatus::Label(label.into()), &format!("shipment label {label:?}"));
        assert_eq!(RawStatus::Shipment(code).label(), Some(label));
    }
}

#[test]
fn the_crate_knows_exactly_the_codes_of_the_reference_tables() {
    let crate_order: Vec<(i64, &str)> = order_status_table().collect();
    let test_order: Vec<(i64, &str)> = ORDER.iter().map(|(c, l, _)| (*c, *l)).collect();
    assert_eq!(crate_order, test_order);
    let crate_shipment: Vec<(i64, &str)> = shipment_status_table().collect();
    let test_shipment: Vec<(i64, &str)> = SHIPMENT.iter().map(|(c, l, _)| (*c, *l)).collect();
    assert_eq!(crate_shipment, test_shipment);
    assert_eq!((ORDER.len(), SHIPMENT.len()), (82, 59));
}

#[test]
fn codes_outside_the_tables_are_unknown_and_keep_the_raw_code() {
    for code in [0, -1, 56, 63, 77, 78, 79, 84, 85, 86, 91, 1000, i64::MAX, i64::MIN] {
        assert_eq!(from_order_status(code), StatusMapping::Unknown { raw: RawStatus::Order(code) }, "{code}");
    }
    for code in [0, -7, 28, 30, 37, 53, 58, 64, 65, 66, 69, 70, 73, 74, 79, 85, i64::MAX] {
        assert_eq!(from_shipment_status(code), StatusMapping::Unknown { raw: RawStatus::Shipment(code) }, "{code}");
    }
}

#[test]
fn labels_are_matched_whatever_the_case_and_separators() {
    for (label, state) in [
        ("IN TRANSIT", InTransit),
        ("in transit", InTransit),
        ("OUT FOR DELIVERY", OutForDelivery),
        ("Out_For_Delivery", OutForDelivery),
        ("RTO INITIATED", RtoInitiated),
        ("RETURN ACKNOWLEGED", ReturnDelivered),
        ("Return Acknowledged", ReturnDelivered),
        ("RTO IN TRANSIT", RtoInTransit),
        ("RTO-In-Transit", RtoInTransit),
        ("  PICKED   UP ", PickedUp),
        ("DELIVERED", Delivered),
        ("UNDELIVERED", Ndr { attempts: 1 }),
        ("PICKUP GENERATED", PickupScheduled),
        ("REACHED AT DESTINATION HUB", InTransit),
        ("rto_ofd", RtoInTransit),
        ("CANCELED", Cancelled),
        ("CANCELLED", Cancelled),
    ] {
        assert_eq!(from_label(label), StatusMapping::State(state), "{label:?}");
    }
    for unknown in ["NA", "", "   ", "SOMETHING NEW", "IN TRANSIT!"] {
        assert_eq!(
            from_label(unknown),
            StatusMapping::Unknown { raw: RawStatus::Label(unknown.into()) },
            "{unknown:?}"
        );
    }
}

#[test]
fn sr_status_strings_are_shipment_codes_or_labels() {
    assert_eq!(from_sr_status("42"), StatusMapping::State(PickedUp));
    assert_eq!(from_sr_status(" 18 "), StatusMapping::State(InTransit));
    assert_eq!(from_sr_status("NA"), StatusMapping::Unknown { raw: RawStatus::Label("NA".into()) });
    assert_eq!(from_sr_status("-1"), StatusMapping::Unknown { raw: RawStatus::Label("-1".into()) });
    assert_eq!(
        from_sr_status("99999999999999999999"),
        StatusMapping::Unknown { raw: RawStatus::Label("99999999999999999999".into()) }
    );
}

#[test]
fn the_webhook_sample_reads_the_same_in_both_spaces() {
    // current_status_id 20 (order space) and shipment_status_id 18 for one "IN TRANSIT" event.
    assert_eq!(from_order_status(20), from_shipment_status(18));
    assert_eq!(from_order_status(20), from_label("IN TRANSIT"));
    // NDR list uses 36 where tracking uses 21.
    assert_eq!(from_order_status(36), from_shipment_status(21));
}

#[test]
fn pick_status_prefers_a_known_shipment_code() {
    assert_eq!(pick_status(Some(18), Some(20), Some("IN TRANSIT")), Some(RawStatus::Shipment(18)));
    assert_eq!(pick_status(Some(999), Some(20), None), Some(RawStatus::Order(20)));
    assert_eq!(pick_status(None, Some(999), Some("Delivered")), Some(RawStatus::Label("Delivered".into())));
    assert_eq!(pick_status(Some(999), Some(998), Some("NA")), Some(RawStatus::Shipment(999)));
    assert_eq!(pick_status(None, None, Some("  ")), None);
    assert_eq!(pick_status(None, None, None), None);
}
