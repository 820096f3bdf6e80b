//! The shipment state machine and forward-only merging of tracking events.
//!
//! Webhooks and polls arrive late, twice and out of order. [`merge`] folds them into a
//! [`ShipmentTracking`] so that the result depends only on which events were seen, not on the
//! order they arrived in (for any sequence the machine allows; see the README):
//!
//! 1. An event whose key (AWB, status, timestamp) was seen before is a duplicate and ignored.
//! 2. Unknown and informational statuses are recorded and change nothing.
//! 3. Until a terminal state, the state is the furthest event along
//!    `Synced < AwbAssigned < LabelReady < PickupScheduled < PickedUp < delivery loop <
//!    RtoInitiated < RtoInTransit`. Inside the delivery loop (`InTransit`, `OutForDelivery`,
//!    `Ndr`) the newest event wins: that is how an NDR goes back to in-transit or
//!    out-for-delivery on a re-attempt, and why an older loop event never undoes a newer one.
//!    Ties on the timestamp go to the later step (`Ndr` over `OutForDelivery` over `InTransit`).
//! 4. The first terminal event to arrive (`Delivered`, `RtoDelivered`, `Cancelled`, `Lost`,
//!    `Damaged`) ends the shipment: a later terminal event of another kind is ignored whatever
//!    its timestamp. Several events of the same terminal kind (RTO delivered, then RTO
//!    acknowledged) agree.
//! 5. After `Delivered` only the customer-return chain moves on:
//!    `ReturnRequested < ReturnPickedUp < ReturnDelivered`, where a cancelled return sits beside
//!    `ReturnRequested` (newest of the two wins) and brings the shipment back to `Delivered`.
//!    Return events that overtake the delivery event count as if it had arrived.
//! 6. `Ndr { attempts }` counts the distinct NDR events seen, in any order.

mod tracking;

pub use tracking::{EventKey, Outcome, ShipmentTracking, TrackingEvent, Transition, merge};

use serde::{Deserialize, Serialize};

/// Where a shipment is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum ShipmentState {
    /// Recorded by us, not yet created at Shiprocket.
    PendingSync,
    /// Creating it at Shiprocket failed for a reason retries will not fix (set by the worker).
    SyncFailed,
    /// The Shiprocket order and shipment exist.
    Synced,
    AwbAssigned,
    LabelReady,
    PickupScheduled,
    PickedUp,
    InTransit,
    OutForDelivery,
    /// Delivery failed (non-delivery report); `attempts` failed attempts so far.
    Ndr {
        attempts: u32,
    },
    Delivered,
    Cancelled,
    RtoInitiated,
    RtoInTransit,
    RtoDelivered,
    Lost,
    Damaged,
    ReturnRequested,
    ReturnPickedUp,
    ReturnDelivered,
}

impl ShipmentState {
    /// Nothing more will happen to the parcel (except a customer return after `Delivered`).
    pub fn is_terminal(self) -> bool {
        matches!(
            self,
            ShipmentState::Delivered
                | ShipmentState::RtoDelivered
                | ShipmentState::Cancelled
                | ShipmentState::Lost
                | ShipmentState::Damaged
                | ShipmentState::ReturnDelivered
        )
    }

    /// The state implies an AWB, so the courier can be asked about the parcel. `Cancelled` does
    /// not: an order can be cancelled before assignment.
    pub fn has_awb(self) -> bool {
        !matches!(
            self,
            ShipmentState::PendingSync | ShipmentState::SyncFailed | ShipmentState::Synced | ShipmentState::Cancelled
        )
    }

    /// Stable snake_case name, for storage, metrics and logs.
    pub fn name(self) -> &'static str {
        match self {
            ShipmentState::PendingSync => "pending_sync",
            ShipmentState::SyncFailed => "sync_failed",
            ShipmentState::Synced => "synced",
            ShipmentState::AwbAssigned => "awb_assigned",
            ShipmentState::LabelReady => "label_ready",
            ShipmentState::PickupScheduled => "pickup_scheduled",
            ShipmentState::PickedUp => "picked_up",
            ShipmentState::InTransit => "in_transit",
            ShipmentState::OutForDelivery => "out_for_delivery",
            ShipmentState::Ndr { .. } => "ndr",
            ShipmentState::Delivered => "delivered",
            ShipmentState::Cancelled => "cancelled",
            ShipmentState::RtoInitiated => "rto_initiated",
            ShipmentState::RtoInTransit => "rto_in_transit",
            ShipmentState::RtoDelivered => "rto_delivered",
            ShipmentState::Lost => "lost",
            ShipmentState::Damaged => "damaged",
            ShipmentState::ReturnRequested => "return_requested",
            ShipmentState::ReturnPickedUp => "return_picked_up",
            ShipmentState::ReturnDelivered => "return_delivered",
        }
    }

    /// Every state, in lifecycle order (the NDR one with 0 attempts).
    pub const ALL: [ShipmentState; 20] = [
        ShipmentState::PendingSync,
        ShipmentState::SyncFailed,
        ShipmentState::Synced,
        ShipmentState::AwbAssigned,
        ShipmentState::LabelReady,
        ShipmentState::PickupScheduled,
        ShipmentState::PickedUp,
        ShipmentState::InTransit,
        ShipmentState::OutForDelivery,
        ShipmentState::Ndr { attempts: 0 },
        ShipmentState::Delivered,
        ShipmentState::Cancelled,
        ShipmentState::RtoInitiated,
        ShipmentState::RtoInTransit,
        ShipmentState::RtoDelivered,
        ShipmentState::Lost,
        ShipmentState::Damaged,
        ShipmentState::ReturnRequested,
        ShipmentState::ReturnPickedUp,
        ShipmentState::ReturnDelivered,
    ];

    /// The state [`ShipmentState::name`] gave, back (storage reads it); `ndr_attempts` fills
    /// the NDR count, which the name does not carry.
    pub fn from_name(name: &str, ndr_attempts: u32) -> Option<ShipmentState> {
        ShipmentState::ALL.into_iter().find(|s| s.name() == name).map(|s| match s {
            ShipmentState::Ndr { .. } => ShipmentState::Ndr { attempts: ndr_attempts },
            other => other,
        })
    }
}

/// See [`ShipmentState::is_terminal`].
pub fn is_terminal(state: ShipmentState) -> bool {
    state.is_terminal()
}

/// Whether the tracking cron should poll this shipment: it has an AWB and is not finished.
/// (A delivered shipment is not polled; a customer return is started by us and then tracked.)
pub fn needs_tracking_refresh(state: ShipmentState) -> bool {
    state.has_awb() && !state.is_terminal()
}
