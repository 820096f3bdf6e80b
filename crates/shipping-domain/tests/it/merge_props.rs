//! Property: arrival order and repeats do not matter.
//!
//! A valid event sequence is a random walk through the state machine (the README's picture),
//! each step reported with a random Shiprocket code, order-space code or label that means that
//! step, at strictly increasing times. Applied in order it must follow the walk; applied in any
//! order with any duplicates it must end — and be at every point — where the in-order
//! application of the same events would be.

use chrono::{DateTime, Duration, TimeZone, Utc};
use proptest::prelude::*;
use proptest::sample::Index;
use shipping_domain::{
    Awb, Outcome, RawStatus, ShipmentState, ShipmentTracking, StatusMapping, TrackingEvent, merge, order_status_table,
    shipment_status_table,
};
use std::collections::HashSet;

/// A step of the walk.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Step {
    Synced,
    Awb,
    Label,
    Pickup,
    PickedUp,
    Transit,
    Ofd,
    Ndr,
    RtoInit,
    RtoTransit,
    RtoDelivered,
    Delivered,
    Cancelled,
    Lost,
    Damaged,
    ReturnRequested,
    ReturnCancelled,
    ReturnPickedUp,
    ReturnDelivered,
}
use Step as W;

/// Where the machine may go next (repeats of a state by another code included).
fn successors(current: Option<Step>) -> &'static [Step] {
    match current {
        None => &[W::Synced],
        Some(W::Synced) => &[W::Synced, W::Awb, W::Pickup, W::Cancelled],
        Some(W::Awb) => &[W::Label, W::Pickup, W::Cancelled],
        Some(W::Label) => &[W::Pickup, W::Cancelled],
        Some(W::Pickup) => &[W::Pickup, W::PickedUp, W::Cancelled],
        Some(W::PickedUp) => &[W::Transit, W::Ofd, W::Lost, W::Damaged, W::RtoInit],
        Some(W::Transit) => &[W::Transit, W::Ofd, W::Ndr, W::Delivered, W::Lost, W::Damaged, W::RtoInit],
        Some(W::Ofd) => &[W::Delivered, W::Ndr, W::Transit],
        Some(W::Ndr) => &[W::Transit, W::Ofd, W::Ndr, W::RtoInit, W::Delivered],
        Some(W::RtoInit) => &[W::RtoTransit, W::RtoDelivered, W::Delivered, W::Lost, W::Damaged],
        Some(W::RtoTransit) => &[W::RtoTransit, W::RtoDelivered, W::Lost, W::Damaged],
        Some(W::RtoDelivered) => &[W::RtoDelivered],
        Some(W::Delivered) => &[W::ReturnRequested],
        Some(W::ReturnRequested) => &[W::ReturnRequested, W::ReturnPickedUp, W::ReturnDelivered, W::ReturnCancelled],
        Some(W::ReturnCancelled) => &[W::ReturnRequested],
        Some(W::ReturnPickedUp) => &[W::ReturnPickedUp, W::ReturnDelivered],
        Some(W::ReturnDelivered) => &[W::ReturnDelivered],
        Some(W::Cancelled) => &[W::Cancelled],
        Some(W::Lost) => &[W::Lost],
        Some(W::Damaged) => &[W::Damaged],
    }
}

/// The state the walk is in after `step`, `ndr` NDR steps taken so far.
fn expected(step: Step, ndr: u32) -> ShipmentState {
    use ShipmentState as S;
    match step {
        W::Synced => S::Synced,
        W::Awb => S::AwbAssigned,
        W::Label => S::LabelReady,
        W::Pickup => S::PickupScheduled,
        W::PickedUp => S::PickedUp,
        W::Transit => S::InTransit,
        W::Ofd => S::OutForDelivery,
        W::Ndr => S::Ndr { attempts: ndr },
        W::RtoInit => S::RtoInitiated,
        W::RtoTransit => S::RtoInTransit,
        W::RtoDelivered => S::RtoDelivered,
        W::Delivered | W::ReturnCancelled => S::Delivered,
        W::Cancelled => S::Cancelled,
        W::Lost => S::Lost,
        W::Damaged => S::Damaged,
        W::ReturnRequested => S::ReturnRequested,
        W::ReturnPickedUp => S::ReturnPickedUp,
        W::ReturnDelivered => S::ReturnDelivered,
    }
}

/// Order-space codes that mean "the customer return was cancelled" (they map to `Delivered`).
const RETURN_CANCELLED: [i64; 2] = [27, 30];

/// Every code and label of both tables that reports `step`.
fn statuses_for(step: Step) -> Vec<RawStatus> {
    let mut out = Vec::new();
    let rows = order_status_table()
        .map(|(code, label)| (RawStatus::Order(code), label))
        .chain(shipment_status_table().map(|(code, label)| (RawStatus::Shipment(code), label)));
    for (raw, label) in rows {
        let is_return_cancel = matches!(raw, RawStatus::Order(c) if RETURN_CANCELLED.contains(&c));
        let means = match raw.mapping() {
            StatusMapping::State(s) => s,
            _ => continue,
        };
        let wanted = match step {
            W::ReturnCancelled => is_return_cancel,
            W::Delivered => !is_return_cancel && means == ShipmentState::Delivered,
            W::Ndr => matches!(means, ShipmentState::Ndr { .. }),
            other => means == expected(other, 1),
        };
        if wanted {
            out.push(raw);
            out.push(RawStatus::Label(label.to_owned()));
            out.push(RawStatus::Label(label.to_uppercase()));
        }
    }
    out
}

#[derive(Clone)]
struct Walk {
    events: Vec<TrackingEvent>,
    /// The state after each event.
    states: Vec<ShipmentState>,
}

fn walk(choices: &[(Index, Index, u8)]) -> Walk {
    let base: DateTime<Utc> = Utc.with_ymd_and_hms(2024, 7, 1, 9, 0, 0).single().expect("valid time");
    let awb = Awb::parse("1234567890").ok();
    let (mut current, mut ndr, mut minutes) = (None, 0u32, 0i64);
    let (mut events, mut states) = (Vec::new(), Vec::new());
    for (next, code, gap) in choices {
        let options = successors(current);
        let step = options[next.index(options.len())];
        let statuses = statuses_for(step);
        let status = statuses[code.index(statuses.len())].clone();
        minutes += 1 + i64::from(*gap);
        if step == W::Ndr {
            ndr += 1;
        }
        events.push(TrackingEvent::new(awb.clone(), status, base + Duration::minutes(minutes)));
        states.push(expected(step, ndr));
        current = Some(step);
    }
    Walk { events, states }
}

fn choices() -> impl Strategy<Value = Vec<(Index, Index, u8)>> {
    prop::collection::vec((any::<Index>(), any::<Index>(), 0u8..3), 1..40)
}

/// The same events in order, then reshuffled with some repeated.
fn walk_and_arrival() -> impl Strategy<Value = (Walk, Vec<TrackingEvent>)> {
    (choices(), prop::collection::vec(any::<Index>(), 0..12)).prop_flat_map(|(choices, dups)| {
        let w = walk(&choices);
        let mut arrival = w.events.clone();
        for d in &dups {
            arrival.push(w.events[d.index(w.events.len())].clone());
        }
        (Just(w), Just(arrival).prop_shuffle())
    })
}

impl std::fmt::Debug for Walk {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        for (e, s) in self.events.iter().zip(&self.states) {
            writeln!(f, "{} {} -> {:?}", e.at.format("%H:%M"), e.status, s)?;
        }
        Ok(())
    }
}

#[test]
fn every_walk_step_has_statuses_that_report_it() {
    for step in [
        W::Synced,
        W::Awb,
        W::Label,
        W::Pickup,
        W::PickedUp,
        W::Transit,
        W::Ofd,
        W::Ndr,
        W::RtoInit,
        W::RtoTransit,
        W::RtoDelivered,
        W::Delivered,
        W::Cancelled,
        W::Lost,
        W::Damaged,
        W::ReturnRequested,
        W::ReturnCancelled,
        W::ReturnPickedUp,
        W::ReturnDelivered,
    ] {
        assert!(!statuses_for(step).is_empty(), "{step:?}");
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn in_order_the_merge_follows_the_walk(choices in choices()) {
        let w = walk(&choices);
        let mut t = ShipmentTracking::new();
        for (event, want) in w.events.iter().zip(&w.states) {
            let tr = merge(t, event);
            prop_assert_eq!(tr.to, *want, "after {} in\n{:?}", event.status, w);
            prop_assert!(matches!(tr.outcome, Outcome::Moved | Outcome::Unchanged | Outcome::Stale));
            t = tr.tracking;
        }
    }

    #[test]
    fn any_arrival_order_with_duplicates_ends_in_the_same_state((w, arrival) in walk_and_arrival()) {
        let in_order = ShipmentTracking::replay(&w.events);
        let mut t = ShipmentTracking::new();
        let mut seen = HashSet::new();
        let mut so_far: Vec<TrackingEvent> = Vec::new();
        for event in &arrival {
            let tr = merge(t, event);
            if !seen.insert(event.key()) {
                prop_assert_eq!(tr.outcome, Outcome::Duplicate);
                prop_assert_eq!(tr.from, tr.to);
            } else {
                so_far.push(event.clone());
            }
            // At every point: as if the events seen so far had arrived in time order.
            so_far.sort_by_key(|e| e.at);
            prop_assert_eq!(&tr.tracking, &ShipmentTracking::replay(&so_far), "arrival {:?}\nwalk\n{:?}", arrival, w);
            t = tr.tracking;
        }
        prop_assert_eq!(t.state(), *w.states.last().expect("non-empty walk"));
        prop_assert_eq!(t, in_order);
    }
}
