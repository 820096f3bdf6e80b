//! Customer returns: where a return is, how Shiprocket's statuses read on a return AWB, and
//! which customer mails each step deserves.
//!
//! A return only moves forward: its state is the furthest step seen, along
//! `Requested < Created < PickupScheduled < Cancelled < PickedUp < InTransit < Failed <
//! DeliveredToWarehouse`. Taking the furthest of a set is what makes late, duplicate and
//! reordered scans harmless: the result depends on which steps were seen, never on their order.
//! The places of the two unhappy ends are choices:
//! - `Cancelled` ranks above the pickup steps (a cancelled pickup is not revived by an older
//!   "out for pickup" scan) but below `PickedUp`: a scan of the parcel moving says the
//!   cancellation did not take.
//! - `Failed` (lost, destroyed, or refused by Shiprocket for good) ranks below
//!   `DeliveredToWarehouse` only: a parcel that reached the warehouse was not lost.
//!
//! Reading statuses: the order-status space has return codes of its own (21–32, 47–50, 68);
//! the shipment-status space and the remaining order codes have none, and on a return AWB
//! they mean the same step as on a forward parcel (the simulator's return webhooks carry
//! shipment status 42 "Picked Up" beside order status 32 "Return Picked Up"): "delivered" is
//! delivered to its consignee, which for a return is the warehouse.

use crate::state::ShipmentState;
use crate::status::{Meaning, RawStatus};
use serde::{Deserialize, Serialize};

/// Where a customer return is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReturnState {
    /// Recorded by us, not yet created at Shiprocket.
    Requested,
    /// The Shiprocket return order exists (and later its AWB).
    Created,
    /// The courier is to collect the parcel from the customer.
    PickupScheduled,
    Cancelled,
    PickedUp,
    InTransit,
    /// Lost or destroyed on the way, or refused by Shiprocket for good.
    Failed,
    DeliveredToWarehouse,
}

impl ReturnState {
    /// Every state, in rank order.
    pub const ALL: [ReturnState; 8] = [
        ReturnState::Requested,
        ReturnState::Created,
        ReturnState::PickupScheduled,
        ReturnState::Cancelled,
        ReturnState::PickedUp,
        ReturnState::InTransit,
        ReturnState::Failed,
        ReturnState::DeliveredToWarehouse,
    ];

    /// Stable snake_case name, for storage, the API and pages.
    pub fn name(self) -> &'static str {
        match self {
            ReturnState::Requested => "requested",
            ReturnState::Created => "created",
            ReturnState::PickupScheduled => "pickup_scheduled",
            ReturnState::Cancelled => "cancelled",
            ReturnState::PickedUp => "picked_up",
            ReturnState::InTransit => "in_transit",
            ReturnState::Failed => "failed",
            ReturnState::DeliveredToWarehouse => "delivered_to_warehouse",
        }
    }

    /// The state [`ReturnState::name`] gave, back.
    pub fn from_name(name: &str) -> Option<ReturnState> {
        ReturnState::ALL.into_iter().find(|s| s.name() == name)
    }

    /// Words for people (pages, the API's timeline).
    pub fn label(self) -> &'static str {
        match self {
            ReturnState::Requested => "Return requested",
            ReturnState::Created => "Return created",
            ReturnState::PickupScheduled => "Return pickup scheduled",
            ReturnState::Cancelled => "Return cancelled",
            ReturnState::PickedUp => "Return picked up",
            ReturnState::InTransit => "Return in transit",
            ReturnState::Failed => "Return failed",
            ReturnState::DeliveredToWarehouse => "Return delivered to the warehouse",
        }
    }

    fn rank(self) -> usize {
        ReturnState::ALL.iter().position(|s| *s == self).unwrap_or(0)
    }

    /// Whether `self` is at least as far along as `other`.
    pub fn is_at_least(self, other: ReturnState) -> bool {
        self.rank() >= other.rank()
    }

    /// The furthest of the two: how a step is merged into the current state.
    pub fn merge(self, step: ReturnState) -> ReturnState {
        if step.rank() > self.rank() { step } else { self }
    }

    /// Nothing more is expected (the refresh stops polling it).
    pub fn is_terminal(self) -> bool {
        matches!(self, ReturnState::Cancelled | ReturnState::Failed | ReturnState::DeliveredToWarehouse)
    }

    /// The shipment-level status this step stands for in the shipment's own merge (order-status
    /// space, where the return codes are): the shipment follows its return through
    /// `ReturnRequested`, `ReturnPickedUp` and `ReturnDelivered`, back to `Delivered` when the
    /// return is cancelled. A failed return leaves the shipment where it was.
    pub fn shipment_status(self) -> Option<RawStatus> {
        Some(RawStatus::Order(match self {
            ReturnState::Requested | ReturnState::Created | ReturnState::PickupScheduled => 21,
            ReturnState::Cancelled => 27,
            ReturnState::PickedUp => 32,
            ReturnState::InTransit => 25,
            ReturnState::DeliveredToWarehouse => 26,
            ReturnState::Failed => return None,
        }))
    }

    /// The customer mails due once a return has reached this state, in the order they are
    /// sent. Cumulative: when reordered scans skip a step (delivered seen before picked up), the
    /// skipped step's mail is still due, and each mail is queued once whatever the order.
    pub fn mails_due(self) -> &'static [ReturnMail] {
        use ReturnMail as M;
        match self {
            ReturnState::Requested | ReturnState::Created | ReturnState::Cancelled | ReturnState::Failed => &[],
            ReturnState::PickupScheduled => &[M::PickupScheduled],
            ReturnState::PickedUp | ReturnState::InTransit => &[M::PickupScheduled, M::PickedUp],
            ReturnState::DeliveredToWarehouse => &[M::PickupScheduled, M::PickedUp, M::DeliveredToWarehouse],
        }
    }
}

/// What a status reported for a return AWB means for the return.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReturnReading {
    Step(ReturnState),
    /// Known, but says nothing about where the return is.
    Informational,
    /// Not in Shiprocket's tables.
    Unknown,
}

impl ReturnReading {
    pub fn step(self) -> Option<ReturnState> {
        match self {
            ReturnReading::Step(s) => Some(s),
            _ => None,
        }
    }
}

/// The order-status codes that exist for returns only (§8a), as return steps.
const RETURN_ORDER_CODES: &[(i64, Option<ReturnState>)] = {
    use ReturnState::*;
    &[
        (21, Some(Created)),              // Return Pending: what create answers
        (22, Some(Created)),              // Return Initiated
        (23, Some(PickupScheduled)),      // Return Pickup Queued
        (24, Some(PickupScheduled)),      // Return Pickup Error (the courier tries again)
        (25, Some(InTransit)),            // Return In Transit
        (26, Some(DeliveredToWarehouse)), // Return Delivered
        (27, Some(Cancelled)),            // Return Cancelled
        (28, Some(PickupScheduled)),      // Return Pickup Generated
        (29, None),                       // Return Cancellation Requested: may still fail
        (30, Some(Cancelled)),            // Return Pickup Cancelled
        (31, Some(PickupScheduled)),      // Return Pickup Rescheduled
        (32, Some(PickedUp)),             // Return Picked Up
        (47, Some(PickupScheduled)),      // Return Out For Pickup
        (48, Some(InTransit)),            // Return Out For Delivery (to the warehouse)
        (49, Some(PickupScheduled)),      // Return Pickup Exception
        (50, Some(InTransit)),            // Return Undelivered (at the warehouse; tried again)
        (68, Some(DeliveredToWarehouse)), // RETURN ACKNOWLEGED
    ]
};

fn return_order_code(code: i64) -> Option<ReturnReading> {
    RETURN_ORDER_CODES
        .iter()
        .find(|(c, _)| *c == code)
        .map(|(_, s)| s.map_or(ReturnReading::Informational, ReturnReading::Step))
}

/// A forward parcel's state, read for a return parcel (see the module documentation).
fn from_forward(state: ShipmentState) -> ReturnReading {
    use ReturnState as R;
    use ShipmentState as S;
    ReturnReading::Step(match state {
        S::AwbAssigned | S::LabelReady => R::Created,
        S::PickupScheduled => R::PickupScheduled,
        S::PickedUp => R::PickedUp,
        S::InTransit | S::OutForDelivery | S::Ndr { .. } => R::InTransit,
        S::Delivered => R::DeliveredToWarehouse,
        S::Cancelled => R::Cancelled,
        S::Lost | S::Damaged => R::Failed,
        // Warehouse steps before handover, a return of the return, and the return states
        // (answered by the return codes first): nothing to say about where the parcel is.
        S::PendingSync
        | S::SyncFailed
        | S::Synced
        | S::RtoInitiated
        | S::RtoInTransit
        | S::RtoDelivered
        | S::ReturnRequested
        | S::ReturnPickedUp
        | S::ReturnDelivered => return ReturnReading::Informational,
    })
}

/// What `status`, reported for a return's AWB, says about the return.
pub fn read_return_status(status: &RawStatus) -> ReturnReading {
    let own = match status {
        RawStatus::Order(code) => return_order_code(*code),
        RawStatus::Label(text) => crate::status::order_code_of_label(text).and_then(return_order_code),
        RawStatus::Shipment(_) => None,
    };
    if let Some(reading) = own {
        return reading;
    }
    match status.meaning() {
        Some(Meaning::State(state)) => from_forward(state),
        Some(Meaning::ReturnCancelled) => ReturnReading::Step(ReturnState::Cancelled),
        Some(Meaning::Informational) => ReturnReading::Informational,
        None => ReturnReading::Unknown,
    }
}

/// A customer mail about a return.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReturnMail {
    /// "We have your return; the courier will collect it" (sent once the pickup is booked).
    PickupScheduled,
    PickedUp,
    DeliveredToWarehouse,
}

impl ReturnMail {
    pub const ALL: [ReturnMail; 3] =
        [ReturnMail::PickupScheduled, ReturnMail::PickedUp, ReturnMail::DeliveredToWarehouse];

    /// The template's name.
    pub fn name(self) -> &'static str {
        match self {
            ReturnMail::PickupScheduled => "return_pickup_scheduled",
            ReturnMail::PickedUp => "return_picked_up",
            ReturnMail::DeliveredToWarehouse => "return_delivered",
        }
    }

    /// The notification kind for this mail about return `return_id`. Notifications are unique
    /// per (shipment, kind); the return's id in the kind lets a second return of the same
    /// shipment (after a cancelled one) have mails of its own.
    pub fn kind(self, return_id: i64) -> String {
        format!("{}:{return_id}", self.name())
    }

    /// The mail and return id a notification kind names, if it is a return mail.
    pub fn from_kind(kind: &str) -> Option<(ReturnMail, i64)> {
        let (name, id) = kind.split_once(':')?;
        let mail = ReturnMail::ALL.into_iter().find(|m| m.name() == name)?;
        Some((mail, id.parse().ok()?))
    }
}
