//! Customer returns: the status table read for a return AWB, and forward-only merging whatever
//! the arrival order (property-tested).

use proptest::prelude::*;
use shipping_domain::{RawStatus, ReturnMail, ReturnReading, ReturnState, read_return_status};

fn step(status: RawStatus) -> Option<ReturnState> {
    read_return_status(&status).step()
}

#[test]
fn the_return_codes_of_the_order_space_read_as_return_steps() {
    use ReturnState::*;
    let table = [
        (21, Some(Created)),
        (22, Some(Created)),
        (23, Some(PickupScheduled)),
        (24, Some(PickupScheduled)),
        (25, Some(InTransit)),
        (26, Some(DeliveredToWarehouse)),
        (27, Some(Cancelled)),
        (28, Some(PickupScheduled)),
        (29, None),
        (30, Some(Cancelled)),
        (31, Some(PickupScheduled)),
        (32, Some(PickedUp)),
        (47, Some(PickupScheduled)),
        (48, Some(InTransit)),
        (49, Some(PickupScheduled)),
        (50, Some(InTransit)),
        (68, Some(DeliveredToWarehouse)),
    ];
    for (code, expected) in table {
        assert_eq!(step(RawStatus::Order(code)), expected, "order status {code}");
    }
    assert_eq!(read_return_status(&RawStatus::Order(29)), ReturnReading::Informational);
}

#[test]
fn shipment_codes_and_labels_on_a_return_awb_read_like_the_simulator_sends_them() {
    use ReturnState::*;
    // What the simulator's return scans carry in the shipment space (sr-status).
    for (code, expected) in [(3, PickupScheduled), (42, PickedUp), (18, InTransit), (7, DeliveredToWarehouse)] {
        assert_eq!(step(RawStatus::Shipment(code)), Some(expected), "shipment status {code}");
    }
    for (label, expected) in [
        ("RETURN PICKUP GENERATED", PickupScheduled),
        ("Return Picked Up", PickedUp),
        ("RETURN_IN_TRANSIT", InTransit),
        ("RETURN DELIVERED", DeliveredToWarehouse),
        ("RETURN ACKNOWLEGED", DeliveredToWarehouse),
        ("RETURN ACKNOWLEDGED", DeliveredToWarehouse),
        ("Return Cancelled", Cancelled),
    ] {
        assert_eq!(step(RawStatus::Label(label.into())), Some(expected), "{label}");
    }
    assert_eq!(step(RawStatus::Shipment(12)), Some(Failed), "lost");
    assert_eq!(read_return_status(&RawStatus::Shipment(11)), ReturnReading::Informational, "pending");
    assert_eq!(read_return_status(&RawStatus::Order(56)), ReturnReading::Unknown);
    assert_eq!(read_return_status(&RawStatus::Label("NA".into())), ReturnReading::Unknown);
}

#[test]
fn names_round_trip_and_the_shipment_follows_its_return() {
    use shipping_domain::{ShipmentState, from_order_status};
    for s in ReturnState::ALL {
        assert_eq!(ReturnState::from_name(s.name()), Some(s));
    }
    let shipment_of = |s: ReturnState| s.shipment_status().and_then(|raw| raw.mapping().state());
    assert_eq!(shipment_of(ReturnState::PickupScheduled), Some(ShipmentState::ReturnRequested));
    assert_eq!(shipment_of(ReturnState::InTransit), Some(ShipmentState::ReturnPickedUp));
    assert_eq!(shipment_of(ReturnState::DeliveredToWarehouse), Some(ShipmentState::ReturnDelivered));
    assert_eq!(shipment_of(ReturnState::Cancelled), from_order_status(27).state(), "back to delivered");
    assert_eq!(ReturnState::Failed.shipment_status(), None);
}

#[test]
fn mails_are_cumulative_and_kinds_name_their_return() {
    assert!(ReturnState::Created.mails_due().is_empty());
    assert_eq!(ReturnState::DeliveredToWarehouse.mails_due(), ReturnMail::ALL);
    let kind = ReturnMail::PickedUp.kind(42);
    assert_eq!(kind, "return_picked_up:42");
    assert_eq!(ReturnMail::from_kind(&kind), Some((ReturnMail::PickedUp, 42)));
    assert_eq!(ReturnMail::from_kind("shipped"), None);
    assert_eq!(ReturnMail::from_kind("return_picked_up:x"), None);
}

fn any_state() -> impl Strategy<Value = ReturnState> {
    proptest::sample::select(ReturnState::ALL.to_vec())
}

proptest! {
    /// Folding steps into a return never moves it back, and the end state is the same for any
    /// order and any repeats of the same steps: the furthest one.
    #[test]
    fn merging_is_forward_only_and_order_independent(
        steps in proptest::collection::vec(any_state(), 0..12),
        shuffle in proptest::collection::vec(any::<proptest::sample::Index>(), 0..24),
        start in any_state(),
    ) {
        let mut current = start;
        for s in &steps {
            let next = current.merge(*s);
            prop_assert!(next.is_at_least(current), "{next:?} behind {current:?}");
            prop_assert!(next.is_at_least(*s));
            current = next;
        }
        // The same steps reordered, some of them twice.
        let mut reordered = steps.clone();
        for (i, idx) in shuffle.iter().enumerate() {
            if reordered.is_empty() { break; }
            let j = idx.index(reordered.len());
            if i % 3 == 0 { let dup = reordered[j]; reordered.push(dup); } else { reordered.swap(0, j); }
        }
        let other = reordered.iter().fold(start, |c, s| c.merge(*s));
        prop_assert_eq!(other, current);
        let furthest = steps.iter().fold(start, |c, s| if s.is_at_least(c) { *s } else { c });
        prop_assert_eq!(current, furthest);
    }

    /// Every code of both tables reads as something, and never panics.
    #[test]
    fn every_code_reads(code in 0i64..100) {
        let _ = read_return_status(&RawStatus::Order(code));
        let _ = read_return_status(&RawStatus::Shipment(code));
    }
}
