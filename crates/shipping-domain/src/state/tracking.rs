//! Tracking events and their forward-only merge into a [`ShipmentTracking`] (the rules are in
//! the parent module's documentation).

use super::ShipmentState;
use crate::ids::Awb;
use crate::status::{Meaning, RawStatus, StatusMapping};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::cmp::Reverse;
use std::collections::BTreeSet;

/// One status report about a shipment, from a webhook, a tracking poll or our own API call.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TrackingEvent {
    /// `None` only for events before AWB assignment.
    pub awb: Option<Awb>,
    pub status: RawStatus,
    /// When it happened (Shiprocket's timestamp, converted from IST by the caller).
    pub at: DateTime<Utc>,
}

impl TrackingEvent {
    pub fn new(awb: Option<Awb>, status: RawStatus, at: DateTime<Utc>) -> TrackingEvent {
        TrackingEvent { awb, status, at }
    }

    /// The dedupe key: AWB, status (labels normalised) and timestamp.
    pub fn key(&self) -> EventKey {
        EventKey { awb: self.awb.clone(), status: self.status.normalised(), at: self.at }
    }

    pub fn mapping(&self) -> StatusMapping {
        self.status.mapping()
    }
}

/// Identifies an event for deduplication; the same key twice is the same event.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct EventKey {
    pub awb: Option<Awb>,
    pub status: RawStatus,
    pub at: DateTime<Utc>,
}

/// What merging one event did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// The state changed (`from` ≠ `to`).
    Moved,
    /// The event is now the latest word on the shipment, but the state is the same (another
    /// in-transit scan).
    Unchanged,
    /// The event is older than, or behind, what we already know, or came after a terminal
    /// state: recorded, state kept.
    Stale,
    /// Seen before (same key).
    Duplicate,
    /// A known status that does not move shipments.
    Informational,
    /// A status not in Shiprocket's tables; kept for the operator.
    Unknown,
}

/// The result of [`merge`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Transition {
    /// The shipment after the event.
    pub tracking: ShipmentTracking,
    pub from: ShipmentState,
    pub to: ShipmentState,
    pub outcome: Outcome,
}

impl Transition {
    pub fn changed(&self) -> bool {
        self.from != self.to
    }
}

/// Everything the merge needs to know about a shipment's events. Rebuild it from stored events
/// with [`ShipmentTracking::replay`]; its internals are not a storage format.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ShipmentTracking {
    /// `PendingSync` or `SyncFailed`: the state while no event has been seen.
    base: Base,
    /// The furthest non-terminal forward event.
    progress: Option<Mark<Progress>>,
    /// The first terminal event to arrive.
    end: Option<Mark<End>>,
    /// The furthest customer-return event.
    ret: Option<Mark<Return>>,
    ndr_attempts: u32,
    seen: BTreeSet<EventKey>,
    /// The earliest event that has the parcel with the courier (see [`Step::with_courier`]).
    picked_up_at: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
enum Base {
    #[default]
    PendingSync,
    SyncFailed,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Mark<T> {
    step: T,
    at: DateTime<Utc>,
}

/// Non-terminal forward steps, in order (see [`progress_band`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Progress {
    Synced,
    AwbAssigned,
    LabelReady,
    PickupScheduled,
    PickedUp,
    /// The delivery loop; ordered by time first, see `Mark::<Progress>::rank`.
    Loop(LoopStep),
    RtoInitiated,
    RtoInTransit,
}

/// In the order that breaks a timestamp tie.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum LoopStep {
    InTransit,
    OutForDelivery,
    Ndr,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum End {
    Delivered,
    RtoDelivered,
    Cancelled,
    Lost,
    Damaged,
}

/// Customer-return steps. `Requested` and `Cancelled` share a level (newest wins).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Return {
    Requested,
    Cancelled,
    PickedUp,
    Delivered,
}

/// How one event can affect the shipment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Step {
    Progress(Progress),
    End(End),
    Return(Return),
}

impl Step {
    /// Whether the parcel is with the courier (or delivered by it) at this step: what the
    /// transit time is measured from. Customer returns and cancellations are not.
    fn with_courier(self) -> bool {
        matches!(
            self,
            Step::Progress(Progress::PickedUp | Progress::Loop(_) | Progress::RtoInitiated | Progress::RtoInTransit)
                | Step::End(End::Delivered | End::RtoDelivered)
        )
    }

    fn of(meaning: Meaning) -> Option<Step> {
        use ShipmentState as S;
        Some(match meaning {
            Meaning::Informational => return None,
            Meaning::ReturnCancelled => Step::Return(Return::Cancelled),
            Meaning::State(state) => match state {
                // Local states: no Shiprocket status maps to them.
                S::PendingSync | S::SyncFailed => return None,
                S::Synced => Step::Progress(Progress::Synced),
                S::AwbAssigned => Step::Progress(Progress::AwbAssigned),
                S::LabelReady => Step::Progress(Progress::LabelReady),
                S::PickupScheduled => Step::Progress(Progress::PickupScheduled),
                S::PickedUp => Step::Progress(Progress::PickedUp),
                S::InTransit => Step::Progress(Progress::Loop(LoopStep::InTransit)),
                S::OutForDelivery => Step::Progress(Progress::Loop(LoopStep::OutForDelivery)),
                S::Ndr { .. } => Step::Progress(Progress::Loop(LoopStep::Ndr)),
                S::RtoInitiated => Step::Progress(Progress::RtoInitiated),
                S::RtoInTransit => Step::Progress(Progress::RtoInTransit),
                S::Delivered => Step::End(End::Delivered),
                S::RtoDelivered => Step::End(End::RtoDelivered),
                S::Cancelled => Step::End(End::Cancelled),
                S::Lost => Step::End(End::Lost),
                S::Damaged => Step::End(End::Damaged),
                S::ReturnRequested => Step::Return(Return::Requested),
                S::ReturnPickedUp => Step::Return(Return::PickedUp),
                S::ReturnDelivered => Step::Return(Return::Delivered),
            },
        })
    }
}

/// The sort key a mark is compared by: greater is further along. A step's band comes first;
/// inside a band where "newest wins" the timestamp comes next; the final `Reverse(at)` keeps the
/// earliest of otherwise equal events, so the result does not depend on arrival order.
type Rank = (u8, Option<DateTime<Utc>>, u8, Reverse<DateTime<Utc>>);

impl Mark<Progress> {
    fn rank(&self) -> Rank {
        match self.step {
            Progress::Loop(step) => (5, Some(self.at), step as u8, Reverse(self.at)),
            other => (progress_band(other), None, 0, Reverse(self.at)),
        }
    }
}

fn progress_band(p: Progress) -> u8 {
    match p {
        Progress::Synced => 0,
        Progress::AwbAssigned => 1,
        Progress::LabelReady => 2,
        Progress::PickupScheduled => 3,
        Progress::PickedUp => 4,
        Progress::Loop(_) => 5,
        Progress::RtoInitiated => 6,
        Progress::RtoInTransit => 7,
    }
}

impl Mark<Return> {
    fn rank(&self) -> Rank {
        match self.step {
            Return::Requested | Return::Cancelled => (0, Some(self.at), self.step as u8, Reverse(self.at)),
            Return::PickedUp => (1, None, 0, Reverse(self.at)),
            Return::Delivered => (2, None, 0, Reverse(self.at)),
        }
    }
}

/// Keeps `new` if it ranks above `current`.
fn keep_best<T: Copy>(current: &mut Option<Mark<T>>, new: Mark<T>, rank: impl Fn(&Mark<T>) -> Rank) -> bool {
    match current {
        Some(c) if rank(c) >= rank(&new) => false,
        _ => {
            *current = Some(new);
            true
        }
    }
}

impl ShipmentTracking {
    /// A shipment recorded by us and not yet created at Shiprocket.
    pub fn new() -> ShipmentTracking {
        ShipmentTracking::default()
    }

    /// Folds `events` in the order given.
    pub fn replay<'a>(events: impl IntoIterator<Item = &'a TrackingEvent>) -> ShipmentTracking {
        events.into_iter().fold(ShipmentTracking::new(), |t, e| merge(t, e).tracking)
    }

    /// The current state.
    pub fn state(&self) -> ShipmentState {
        let ret = self.ret.map(|r| match r.step {
            Return::Requested => ShipmentState::ReturnRequested,
            Return::Cancelled => ShipmentState::Delivered,
            Return::PickedUp => ShipmentState::ReturnPickedUp,
            Return::Delivered => ShipmentState::ReturnDelivered,
        });
        match (self.end.map(|e| e.step), ret) {
            (Some(End::Delivered) | None, Some(ret)) => ret,
            (Some(end), _) => match end {
                End::Delivered => ShipmentState::Delivered,
                End::RtoDelivered => ShipmentState::RtoDelivered,
                End::Cancelled => ShipmentState::Cancelled,
                End::Lost => ShipmentState::Lost,
                End::Damaged => ShipmentState::Damaged,
            },
            (None, None) => match self.progress.map(|p| p.step) {
                None => match self.base {
                    Base::PendingSync => ShipmentState::PendingSync,
                    Base::SyncFailed => ShipmentState::SyncFailed,
                },
                Some(Progress::Synced) => ShipmentState::Synced,
                Some(Progress::AwbAssigned) => ShipmentState::AwbAssigned,
                Some(Progress::LabelReady) => ShipmentState::LabelReady,
                Some(Progress::PickupScheduled) => ShipmentState::PickupScheduled,
                Some(Progress::PickedUp) => ShipmentState::PickedUp,
                Some(Progress::Loop(LoopStep::InTransit)) => ShipmentState::InTransit,
                Some(Progress::Loop(LoopStep::OutForDelivery)) => ShipmentState::OutForDelivery,
                Some(Progress::Loop(LoopStep::Ndr)) => ShipmentState::Ndr { attempts: self.ndr_attempts.max(1) },
                Some(Progress::RtoInitiated) => ShipmentState::RtoInitiated,
                Some(Progress::RtoInTransit) => ShipmentState::RtoInTransit,
            },
        }
    }

    /// Failed NDR events seen so far (they stay counted after a re-attempt).
    pub fn ndr_attempts(&self) -> u32 {
        self.ndr_attempts
    }

    /// When the courier first had the parcel: the earliest pickup-or-later event, whatever order
    /// the events arrived in.
    pub fn picked_up_at(&self) -> Option<DateTime<Utc>> {
        self.picked_up_at
    }

    /// When the parcel was delivered to the customer (also once a customer return follows).
    pub fn delivered_at(&self) -> Option<DateTime<Utc>> {
        self.end.filter(|e| e.step == End::Delivered).map(|e| e.at)
    }

    /// The timestamp of the newest event seen, if any.
    pub fn last_event_at(&self) -> Option<DateTime<Utc>> {
        self.seen.iter().map(|k| k.at).max()
    }

    pub fn has_seen(&self, key: &EventKey) -> bool {
        self.seen.contains(key)
    }

    /// Records that creating the order at Shiprocket failed for good. Only possible while no
    /// tracking event has moved the shipment; returns whether the state is now `SyncFailed`.
    pub fn mark_sync_failed(&mut self) -> bool {
        self.set_base(Base::SyncFailed)
    }

    /// Back to `PendingSync` for a retry after `SyncFailed` (an operator fixed the order).
    /// Returns whether the state is now `PendingSync`.
    pub fn retry_sync(&mut self) -> bool {
        self.set_base(Base::PendingSync)
    }

    fn set_base(&mut self, base: Base) -> bool {
        if self.progress.is_none() && self.end.is_none() && self.ret.is_none() {
            self.base = base;
            true
        } else {
            false
        }
    }

    /// Whether the current state comes from the kind of mark `step` sets (a progress event after
    /// a terminal one may become the progress mark, but does not decide anything).
    fn decided_by(&self, step: Step) -> bool {
        let by_return = self.ret.is_some() && matches!(self.end.map(|e| e.step), None | Some(End::Delivered));
        match step {
            Step::Return(_) => by_return,
            Step::End(_) => !by_return && self.end.is_some(),
            Step::Progress(_) => self.end.is_none() && self.ret.is_none(),
        }
    }

    /// Applies one step; true if it became the winning mark of its kind.
    fn apply(&mut self, step: Step, at: DateTime<Utc>) -> bool {
        match step {
            Step::Progress(p) => keep_best(&mut self.progress, Mark { step: p, at }, Mark::<Progress>::rank),
            Step::Return(r) => keep_best(&mut self.ret, Mark { step: r, at }, Mark::<Return>::rank),
            Step::End(e) => match &mut self.end {
                None => {
                    self.end = Some(Mark { step: e, at });
                    true
                }
                // The same terminal kind again: keep the earliest, for order independence.
                Some(current) if current.step == e && at < current.at => {
                    current.at = at;
                    true
                }
                Some(_) => false,
            },
        }
    }
}

/// Merges one event into `current`; see the module documentation for the rules.
pub fn merge(mut current: ShipmentTracking, event: &TrackingEvent) -> Transition {
    let from = current.state();
    let key = event.key();
    if !current.seen.insert(key) {
        return Transition { tracking: current, from, to: from, outcome: Outcome::Duplicate };
    }
    let outcome = match event.status.meaning() {
        None => Outcome::Unknown,
        Some(meaning) => match Step::of(meaning) {
            None => Outcome::Informational,
            Some(step) => {
                if step == Step::Progress(Progress::Loop(LoopStep::Ndr)) {
                    current.ndr_attempts = current.ndr_attempts.saturating_add(1);
                }
                if step.with_courier() && current.picked_up_at.is_none_or(|t| event.at < t) {
                    current.picked_up_at = Some(event.at);
                }
                let won = current.apply(step, event.at);
                if current.state() != from {
                    Outcome::Moved
                } else if won && current.decided_by(step) {
                    Outcome::Unchanged
                } else {
                    Outcome::Stale
                }
            }
        },
    };
    let to = current.state();
    Transition { tracking: current, from, to, outcome }
}
