//! The state machine, event by event.

use chrono::{DateTime, TimeZone, Utc};
use shipping_domain::ShipmentState::{self, *};
use shipping_domain::{
    Awb, Outcome, RawStatus, ShipmentTracking, TrackingEvent, Transition, is_terminal, merge, needs_tracking_refresh,
};

fn at(minute: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2024, 7, 1, 10, 0, 0).single().expect("valid time") + chrono::Duration::minutes(minute.into())
}

fn awb() -> Option<Awb> {
    Awb::parse("19041211125783").ok()
}

/// A shipment-space event.
fn ship(code: i64, minute: u32) -> TrackingEvent {
    TrackingEvent::new(awb(), RawStatus::Shipment(code), at(minute))
}

/// An order-space event.
fn order(code: i64, minute: u32) -> TrackingEvent {
    TrackingEvent::new(awb(), RawStatus::Order(code), at(minute))
}

/// Applies `events` in order, returning the tracking and the last transition.
fn apply(tracking: ShipmentTracking, events: &[TrackingEvent]) -> (ShipmentTracking, Vec<Transition>) {
    let mut transitions = Vec::new();
    let mut t = tracking;
    for e in events {
        let tr = merge(t, e);
        t = tr.tracking.clone();
        transitions.push(tr);
    }
    (t, transitions)
}

fn state_after(events: &[TrackingEvent]) -> ShipmentState {
    apply(ShipmentTracking::new(), events).0.state()
}

#[test]
fn the_happy_path_moves_forward_one_step_at_a_time() {
    let events = [order(1, 0), ship(1, 1), ship(2, 2), ship(3, 3), ship(42, 4), ship(18, 5), ship(17, 6), ship(7, 7)];
    let (t, trs) = apply(ShipmentTracking::new(), &events);
    let path: Vec<ShipmentState> = trs.iter().map(|tr| tr.to).collect();
    assert_eq!(
        path,
        [Synced, AwbAssigned, LabelReady, PickupScheduled, PickedUp, InTransit, OutForDelivery, Delivered]
    );
    assert!(trs.iter().all(|tr| tr.outcome == Outcome::Moved && tr.changed()));
    assert_eq!(trs[0].from, PendingSync);
    assert_eq!(t.state(), Delivered);
    assert_eq!(t.last_event_at(), Some(at(7)));
}

#[test]
fn a_duplicate_is_recognised_and_changes_nothing() {
    let (t, _) = apply(ShipmentTracking::new(), &[ship(42, 1), ship(18, 2)]);
    let tr = merge(t.clone(), &ship(42, 1));
    assert_eq!(tr.outcome, Outcome::Duplicate);
    assert_eq!((tr.from, tr.to), (InTransit, InTransit));
    assert_eq!(tr.tracking, t);
    assert!(t.has_seen(&ship(18, 2).key()));
}

#[test]
fn labels_that_differ_only_in_spelling_are_the_same_event() {
    let a = TrackingEvent::new(awb(), RawStatus::Label("IN TRANSIT".into()), at(3));
    let b = TrackingEvent::new(awb(), RawStatus::Label("In_Transit".into()), at(3));
    assert_eq!(a.key(), b.key());
    let (t, _) = apply(ShipmentTracking::new(), &[a]);
    assert_eq!(merge(t, &b).outcome, Outcome::Duplicate);
}

#[test]
fn the_same_status_at_another_time_is_another_event() {
    let (t, trs) = apply(ShipmentTracking::new(), &[ship(18, 1), ship(18, 2), ship(38, 3)]);
    assert_eq!(
        trs.iter().map(|t| t.outcome).collect::<Vec<_>>(),
        [Outcome::Moved, Outcome::Unchanged, Outcome::Unchanged]
    );
    assert_eq!(t.state(), InTransit);
}

#[test]
fn an_older_event_never_moves_a_shipment_backwards() {
    // In transit, then a late "picked up" and a late "AWB assigned".
    let (t, trs) = apply(ShipmentTracking::new(), &[ship(18, 10), ship(42, 5), ship(1, 1)]);
    assert_eq!(t.state(), InTransit);
    assert_eq!(trs[1].outcome, Outcome::Stale);
    assert_eq!(trs[2].outcome, Outcome::Stale);

    // Out for delivery at 10, a late in-transit scan from 5.
    let (t, trs) = apply(ShipmentTracking::new(), &[ship(17, 10), ship(18, 5)]);
    assert_eq!((t.state(), trs[1].outcome), (OutForDelivery, Outcome::Stale));

    // A late NDR from before the out-for-delivery scan does not undo it, but is counted.
    let (t, trs) = apply(ShipmentTracking::new(), &[ship(17, 10), ship(21, 5)]);
    assert_eq!((t.state(), trs[1].outcome), (OutForDelivery, Outcome::Stale));
    assert_eq!(t.ndr_attempts(), 1);
}

#[test]
fn ndr_then_reattempt_goes_back_to_out_for_delivery_and_counts_attempts() {
    let (t, trs) = apply(
        ShipmentTracking::new(),
        &[
            ship(18, 1),
            ship(17, 2),
            ship(21, 3),  // undelivered
            ship(17, 4),  // re-attempt
            order(36, 5), // undelivered again (order space, NDR list)
            ship(18, 6),  // back to the hub for a third try
            ship(17, 7),
            ship(7, 8),
        ],
    );
    let path: Vec<ShipmentState> = trs.iter().map(|tr| tr.to).collect();
    assert_eq!(
        path,
        [
            InTransit,
            OutForDelivery,
            Ndr { attempts: 1 },
            OutForDelivery,
            Ndr { attempts: 2 },
            InTransit,
            OutForDelivery,
            Delivered
        ]
    );
    assert_eq!(t.ndr_attempts(), 2);
}

#[test]
fn ndr_events_arriving_out_of_order_are_all_counted() {
    let (t, _) = apply(ShipmentTracking::new(), &[ship(21, 9), ship(21, 3), ship(77, 6)]);
    assert_eq!(t.state(), Ndr { attempts: 3 });
}

#[test]
fn ndr_and_out_for_delivery_at_the_same_time_read_as_ndr() {
    assert_eq!(state_after(&[ship(21, 4), ship(17, 4)]), Ndr { attempts: 1 });
    assert_eq!(state_after(&[ship(17, 4), ship(21, 4)]), Ndr { attempts: 1 });
}

#[test]
fn ndr_to_rto_and_the_rto_chain() {
    let (t, trs) = apply(
        ShipmentTracking::new(),
        &[ship(17, 1), ship(21, 2), ship(9, 3), ship(46, 4), ship(40, 5), ship(41, 6), ship(10, 7)],
    );
    let path: Vec<ShipmentState> = trs.iter().map(|tr| tr.to).collect();
    assert_eq!(
        path,
        [OutForDelivery, Ndr { attempts: 1 }, RtoInitiated, RtoInTransit, RtoInTransit, RtoInTransit, RtoDelivered]
    );
    // RTO NDR / RTO OFD are about the trip back: not delivery attempts.
    assert_eq!(t.ndr_attempts(), 1);
    // A newer delivery-loop scan does not pull an RTO back.
    let (t, trs) = apply(ShipmentTracking::new(), &[ship(9, 1), ship(17, 2)]);
    assert_eq!((t.state(), trs[1].outcome), (RtoInitiated, Outcome::Stale));
}

#[test]
fn a_customer_can_still_accept_a_parcel_after_rto_was_initiated() {
    assert_eq!(state_after(&[ship(9, 1), ship(46, 2), ship(7, 3)]), Delivered);
}

#[test]
fn terminal_states_stay_terminal() {
    // Cancelled, then (newer) scans: ignored.
    let (t, trs) = apply(ShipmentTracking::new(), &[ship(8, 1), ship(42, 2), ship(18, 3), ship(7, 4)]);
    assert_eq!(t.state(), Cancelled);
    assert!(trs[1..].iter().all(|tr| tr.outcome == Outcome::Stale && !tr.changed()));
    // Lost first, delivered later: the first terminal event to arrive wins...
    assert_eq!(state_after(&[ship(12, 5), ship(7, 9)]), Lost);
    // ... even if a different terminal event is older.
    assert_eq!(state_after(&[ship(7, 9), ship(12, 5)]), Delivered);
    // RTO delivered, then RTO acknowledged: same terminal state, no change.
    let (t, trs) = apply(ShipmentTracking::new(), &[ship(10, 1), ship(14, 2)]);
    assert_eq!((t.state(), trs[1].outcome), (RtoDelivered, Outcome::Stale));
    // After delivery, no RTO.
    assert_eq!(state_after(&[ship(7, 1), ship(9, 2)]), Delivered);
}

#[test]
fn customer_returns_follow_delivery() {
    let (t, trs) = apply(
        ShipmentTracking::new(),
        &[ship(7, 1), order(21, 2), order(32, 3), order(25, 4), order(26, 5), order(68, 6)],
    );
    let path: Vec<ShipmentState> = trs.iter().map(|tr| tr.to).collect();
    assert_eq!(path, [Delivered, ReturnRequested, ReturnPickedUp, ReturnPickedUp, ReturnDelivered, ReturnDelivered]);
    assert!(is_terminal(t.state()));
    // Nothing after the return arrived back.
    assert_eq!(merge(t, &order(21, 9)).to, ReturnDelivered);
}

#[test]
fn a_cancelled_return_goes_back_to_delivered_and_a_new_return_can_follow() {
    let (t, trs) =
        apply(ShipmentTracking::new(), &[ship(7, 1), order(21, 2), order(27, 3), order(22, 4), order(30, 5)]);
    let path: Vec<ShipmentState> = trs.iter().map(|tr| tr.to).collect();
    assert_eq!(path, [Delivered, ReturnRequested, Delivered, ReturnRequested, Delivered]);
    assert!(!needs_tracking_refresh(t.state()));
    // A return that was picked up cannot be cancelled by a late message.
    assert_eq!(state_after(&[ship(7, 1), order(21, 2), order(32, 3), order(27, 4)]), ReturnPickedUp);
}

#[test]
fn returns_only_follow_a_delivery() {
    assert_eq!(state_after(&[ship(8, 1), order(21, 2)]), Cancelled);
    assert_eq!(state_after(&[ship(10, 1), order(21, 2)]), RtoDelivered);
    // A return event that overtakes the delivery event still counts.
    assert_eq!(state_after(&[ship(17, 1), order(21, 3), ship(7, 2)]), ReturnRequested);
}

#[test]
fn unknown_and_informational_statuses_are_kept_but_change_nothing() {
    let (t, _) = apply(ShipmentTracking::new(), &[ship(18, 1)]);
    let tr = merge(t.clone(), &order(85, 2));
    assert_eq!((tr.outcome, tr.to), (Outcome::Unknown, InTransit));
    assert!(tr.tracking.has_seen(&order(85, 2).key()));
    let na = TrackingEvent::new(awb(), RawStatus::from_sr_status("NA"), at(3));
    assert_eq!(merge(t.clone(), &na).outcome, Outcome::Unknown);
    // Cancellation requested may still fail: no state change.
    let tr = merge(t, &ship(16, 4));
    assert_eq!((tr.outcome, tr.to), (Outcome::Informational, InTransit));
}

#[test]
fn sync_failure_is_a_local_state_before_any_event() {
    let mut t = ShipmentTracking::new();
    assert_eq!(t.state(), PendingSync);
    assert!(t.mark_sync_failed());
    assert_eq!(t.state(), SyncFailed);
    assert!(t.retry_sync());
    assert_eq!(t.state(), PendingSync);
    assert!(t.mark_sync_failed());
    // The create did go through after all (found by channel order id): events move it on.
    let tr = merge(t, &TrackingEvent::new(None, RawStatus::Order(1), at(1)));
    assert_eq!((tr.from, tr.to, tr.outcome), (SyncFailed, Synced, Outcome::Moved));
    let mut t = tr.tracking;
    assert!(!t.mark_sync_failed());
    assert_eq!(t.state(), Synced);
}

#[test]
fn replay_equals_merging_one_by_one() {
    let events = [ship(42, 1), ship(18, 2), ship(17, 3), ship(21, 4)];
    assert_eq!(ShipmentTracking::replay(&events), apply(ShipmentTracking::new(), &events).0);
    assert_eq!(ShipmentTracking::replay(&events).state(), Ndr { attempts: 1 });
}

#[test]
fn terminal_and_refresh_predicates() {
    let all = [
        (PendingSync, false, false),
        (SyncFailed, false, false),
        (Synced, false, false),
        (AwbAssigned, false, true),
        (LabelReady, false, true),
        (PickupScheduled, false, true),
        (PickedUp, false, true),
        (InTransit, false, true),
        (OutForDelivery, false, true),
        (Ndr { attempts: 2 }, false, true),
        (Delivered, true, false),
        (Cancelled, true, false),
        (RtoInitiated, false, true),
        (RtoInTransit, false, true),
        (RtoDelivered, true, false),
        (Lost, true, false),
        (Damaged, true, false),
        (ReturnRequested, false, true),
        (ReturnPickedUp, false, true),
        (ReturnDelivered, true, false),
    ];
    for (state, terminal, refresh) in all {
        assert_eq!(is_terminal(state), terminal, "{state:?}");
        assert_eq!(needs_tracking_refresh(state), refresh, "{state:?}");
    }
    assert_eq!(Ndr { attempts: 2 }.name(), "ndr");
    assert_eq!(RtoInTransit.name(), "rto_in_transit");
}

#[test]
fn pickup_and_delivery_times_do_not_depend_on_arrival_order() {
    // Manifested at 1 and pickup scheduled at 2 are before the courier has the parcel;
    // picked up at 4, in transit at 5, delivered at 9 (and a late duplicate-ish delivery at 10).
    let events = [ship(1, 1), ship(3, 2), ship(42, 4), ship(18, 5), ship(7, 9), ship(7, 10)];
    let (in_order, _) = apply(ShipmentTracking::new(), &events);
    assert_eq!(in_order.picked_up_at(), Some(at(4)));
    assert_eq!(in_order.delivered_at(), Some(at(9)));
    let reversed: Vec<TrackingEvent> = events.iter().rev().cloned().collect();
    let (backwards, _) = apply(ShipmentTracking::new(), &reversed);
    assert_eq!(backwards.picked_up_at(), Some(at(4)));
    assert_eq!(backwards.delivered_at(), Some(at(9)));
    // Without a pickup scan, the first in-transit scan is when the courier had it.
    let (no_pickup_scan, _) = apply(ShipmentTracking::new(), &[ship(3, 2), ship(18, 6), ship(17, 8)]);
    assert_eq!(no_pickup_scan.picked_up_at(), Some(at(6)));
    assert_eq!(no_pickup_scan.delivered_at(), None);
    // Still before pickup: neither.
    let (waiting, _) = apply(ShipmentTracking::new(), &[ship(1, 1), ship(3, 2)]);
    assert_eq!((waiting.picked_up_at(), waiting.delivered_at()), (None, None));
}
