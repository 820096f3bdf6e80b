//! Shiprocket status codes and labels → [`ShipmentState`].
//!
//! Shiprocket numbers statuses in two different spaces (quirk #3): order-status codes (§8a of the
//! API reference: orders list, NDR list, webhook `current_status_id`) and shipment-status codes
//! (§8b: tracking `shipment_status`, activity `sr-status`, webhook `shipment_status_id`). The same
//! event is 20 in one and 18 in the other. Labels (`current_status`, `sr-status-label`) come in
//! both spellings and any case.
//!
//! Every code and label maps to one of three answers:
//! - [`StatusMapping::State`]: where the parcel is. Statuses the tables list separately but that
//!   mean the same to a shop (pickup queued / rescheduled / error / out for pickup) share a state;
//!   warehouse and fulfilment-centre steps before handover map to `Synced`, the lowest state that
//!   a tracking event can set, so they never move a shipment that is further along.
//! - [`StatusMapping::Informational`]: a known status that says nothing reliable about where the
//!   parcel is (`Cancellation Requested` may still fail, `Partial Delivered`, `Untraceable`,
//!   `Archived`, ...). The event is kept; the state stays.
//! - [`StatusMapping::Unknown`]: a code not in the tables (order space 56, 63, 85, ...), a label we do not
//!   know, or `"NA"` (quirk #4). The raw value is kept for the operator; nothing panics.

use crate::state::ShipmentState;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::fmt;
use std::sync::LazyLock;

/// A status exactly as Shiprocket gave it.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(tag = "space", content = "value", rename_all = "snake_case")]
pub enum RawStatus {
    /// Order-status space (§8a).
    Order(i64),
    /// Shipment-status space (§8b).
    Shipment(i64),
    /// A status label, as received.
    Label(String),
}

impl RawStatus {
    /// An activity's `sr-status`: a shipment-space code written as text (`"42"`), or `"NA"` and
    /// other non-numbers, which are kept as a label.
    pub fn from_sr_status(value: &str) -> RawStatus {
        let v = value.trim();
        match v.parse::<i64>() {
            Ok(code) if v.bytes().all(|b| b.is_ascii_digit()) => RawStatus::Shipment(code),
            _ => RawStatus::Label(v.to_owned()),
        }
    }

    pub fn mapping(&self) -> StatusMapping {
        match self.meaning() {
            Some(Meaning::State(state)) => StatusMapping::State(state),
            Some(Meaning::ReturnCancelled) => StatusMapping::State(ShipmentState::Delivered),
            Some(Meaning::Informational) => StatusMapping::Informational { raw: self.clone() },
            None => StatusMapping::Unknown { raw: self.clone() },
        }
    }

    /// Shiprocket's name for the status, if the tables know it.
    pub fn label(&self) -> Option<&'static str> {
        match self {
            RawStatus::Order(code) => lookup(ORDER_STATUSES, *code).map(|(label, _)| label),
            RawStatus::Shipment(code) => lookup(SHIPMENT_STATUSES, *code).map(|(label, _)| label),
            RawStatus::Label(text) => label_meaning(text).map(|(label, _)| label),
        }
    }

    pub(crate) fn meaning(&self) -> Option<Meaning> {
        match self {
            RawStatus::Order(code) => lookup(ORDER_STATUSES, *code).map(|(_, m)| m),
            RawStatus::Shipment(code) => lookup(SHIPMENT_STATUSES, *code).map(|(_, m)| m),
            RawStatus::Label(text) => label_meaning(text).map(|(_, m)| m),
        }
    }

    /// The form used in dedupe keys: labels normalised, so `"IN TRANSIT"` and `"In Transit"`
    /// are the same status.
    pub(crate) fn normalised(&self) -> RawStatus {
        match self {
            RawStatus::Label(text) => RawStatus::Label(normalise_label(text)),
            other => other.clone(),
        }
    }
}

impl fmt::Display for RawStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RawStatus::Order(code) => write!(f, "order status {code}"),
            RawStatus::Shipment(code) => write!(f, "shipment status {code}"),
            RawStatus::Label(text) => write!(f, "status {text:?}"),
        }
    }
}

/// What a Shiprocket status means for our state machine.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum StatusMapping {
    /// The parcel is in this state. NDR statuses give `Ndr { attempts: 1 }`: one event is one
    /// failed attempt; [`crate::ShipmentTracking`] counts them.
    State(ShipmentState),
    /// Known, but does not move the shipment.
    Informational { raw: RawStatus },
    /// Not in Shiprocket's tables.
    Unknown { raw: RawStatus },
}

impl StatusMapping {
    pub fn state(&self) -> Option<ShipmentState> {
        match self {
            StatusMapping::State(s) => Some(*s),
            _ => None,
        }
    }
}

/// An order-status code (§8a).
pub fn from_order_status(code: i64) -> StatusMapping {
    RawStatus::Order(code).mapping()
}

/// A shipment-status code (§8b).
pub fn from_shipment_status(code: i64) -> StatusMapping {
    RawStatus::Shipment(code).mapping()
}

/// A label from either table, in any case, with `_`, `-`, `/` or brackets as separators
/// (`"IN TRANSIT"`, `"In Transit"`, `"RTO_OFD"`, `"RTO In-Transit"`, `"RETURN ACKNOWLEGED"`).
pub fn from_label(label: &str) -> StatusMapping {
    RawStatus::Label(label.to_owned()).mapping()
}

/// An activity's `sr-status` string; see [`RawStatus::from_sr_status`].
pub fn from_sr_status(value: &str) -> StatusMapping {
    RawStatus::from_sr_status(value).mapping()
}

/// The first of a webhook's or tracking answer's statuses that the tables know, preferring the
/// shipment space (it is the one tracking and `sr-status` use, so dedupe keys line up), then the
/// order space, then the label. If none is known, the first one present (so the raw value is
/// kept), or `None` if there is nothing at all.
pub fn pick_status(shipment: Option<i64>, order: Option<i64>, label: Option<&str>) -> Option<RawStatus> {
    let candidates: Vec<RawStatus> = [
        shipment.map(RawStatus::Shipment),
        order.map(RawStatus::Order),
        label.map(str::trim).filter(|l| !l.is_empty()).map(|l| RawStatus::Label(l.to_owned())),
    ]
    .into_iter()
    .flatten()
    .collect();
    candidates.iter().find(|c| c.meaning().is_some()).or(candidates.first()).cloned()
}

/// Every order-status code of §8a with Shiprocket's label, in code order.
pub fn order_status_table() -> impl Iterator<Item = (i64, &'static str)> {
    ORDER_STATUSES.iter().map(|(code, label, _)| (*code, *label))
}

/// Every shipment-status code of §8b with Shiprocket's label, in code order.
pub fn shipment_status_table() -> impl Iterator<Item = (i64, &'static str)> {
    SHIPMENT_STATUSES.iter().map(|(code, label, _)| (*code, *label))
}

/// The crate-internal reading of a status. Richer than [`StatusMapping`] only in telling a
/// cancelled customer return apart from a plain delivery: both leave the parcel with the
/// customer, but the first can be followed by a new return request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Meaning {
    State(ShipmentState),
    ReturnCancelled,
    Informational,
}

type Entry = (i64, &'static str, Meaning);

use tables::{LABEL_ALIASES, ORDER_STATUSES, SHIPMENT_STATUSES};

fn lookup(table: &'static [Entry], code: i64) -> Option<(&'static str, Meaning)> {
    table.iter().find(|(c, _, _)| *c == code).map(|(_, label, m)| (*label, *m))
}

/// Upper case, separators (`_ - / ( )` and runs of whitespace) as single spaces.
fn normalise_label(label: &str) -> String {
    let spaced: String = label
        .chars()
        .map(|c| if matches!(c, '_' | '-' | '/' | '(' | ')') { ' ' } else { c.to_ascii_uppercase() })
        .collect();
    spaced.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// The order-status code whose label (or alias) is `label`, in any spelling.
pub(crate) fn order_code_of_label(label: &str) -> Option<i64> {
    let wanted = normalise_label(label);
    ORDER_STATUSES
        .iter()
        .find(|(_, l, _)| normalise_label(l) == wanted)
        .map(|(code, _, _)| *code)
        // The corrected spelling of 68's label.
        .or_else(|| (wanted == "RETURN ACKNOWLEDGED").then_some(68))
}

fn label_meaning(label: &str) -> Option<(&'static str, Meaning)> {
    LABELS.get(&normalise_label(label)).copied()
}

/// Normalised label → (label as the table spells it, meaning). The order-space spelling wins
/// where both tables use the same words (they agree on the meaning; a test checks it).
static LABELS: LazyLock<HashMap<String, (&'static str, Meaning)>> = LazyLock::new(|| {
    let mut map = HashMap::new();
    for (_, label, meaning) in ORDER_STATUSES.iter().chain(SHIPMENT_STATUSES).chain(LABEL_ALIASES) {
        map.entry(normalise_label(label)).or_insert((*label, *meaning));
    }
    map
});

/// The two reference tables, one line per code, as in §8 of the API reference.
mod tables {
    use super::{Entry, Meaning};
    use crate::state::ShipmentState;
    use Meaning::{Informational as Info, ReturnCancelled, State as S};
    use ShipmentState::*;

    const NDR: Meaning = S(Ndr { attempts: 1 });

    /// §8a, order-status space.
    pub(super) const ORDER_STATUSES: &[Entry] = &[
        (1, "New", S(Synced)),
        (2, "Invoiced", S(Synced)),
        (3, "Ready To Ship", S(AwbAssigned)),
        (4, "Pickup Scheduled", S(PickupScheduled)),
        (5, "Canceled", S(Cancelled)),
        (6, "Shipped", S(InTransit)),
        (7, "Delivered", S(Delivered)),
        (8, "ePayment Failed", Info),
        // A forward order that came back to the seller; customer returns are separate return
        // orders with their own codes (21–32).
        (9, "Returned", S(RtoDelivered)),
        (10, "Unmapped", Info),
        (11, "Unfulfillable", Info),
        (12, "Pickup Queue", S(PickupScheduled)),
        (13, "Pickup Rescheduled", S(PickupScheduled)),
        (14, "Pickup Error", S(PickupScheduled)),
        (15, "RTO Initiated", S(RtoInitiated)),
        (16, "RTO Delivered", S(RtoDelivered)),
        (17, "RTO Acknowledged", S(RtoDelivered)),
        (18, "Cancellation Requested", Info),
        (19, "Out for Delivery", S(OutForDelivery)),
        (20, "In Transit", S(InTransit)),
        (21, "Return Pending", S(ReturnRequested)),
        (22, "Return Initiated", S(ReturnRequested)),
        (23, "Return Pickup Queued", S(ReturnRequested)),
        (24, "Return Pickup Error", S(ReturnRequested)),
        (25, "Return In Transit", S(ReturnPickedUp)),
        (26, "Return Delivered", S(ReturnDelivered)),
        (27, "Return Cancelled", ReturnCancelled),
        (28, "Return Pickup Generated", S(ReturnRequested)),
        (29, "Return Cancellation Requested", Info),
        (30, "Return Pickup Cancelled", ReturnCancelled),
        (31, "Return Pickup Rescheduled", S(ReturnRequested)),
        (32, "Return Picked Up", S(ReturnPickedUp)),
        (33, "Lost", S(Lost)),
        (34, "Out For Pickup", S(PickupScheduled)),
        (35, "Pickup Exception", S(PickupScheduled)),
        (36, "Undelivered", NDR),
        (37, "Delivery Delayed", S(InTransit)),
        (38, "Partial Delivered", Info),
        (39, "Destroyed", S(Damaged)),
        (40, "Damaged", S(Damaged)),
        (41, "Fulfilled", Info),
        (42, "Archived", Info),
        (43, "Reached Destination Hub", S(InTransit)),
        (44, "Misrouted", S(InTransit)),
        (45, "RTO_OFD", S(RtoInTransit)),
        (46, "RTO_NDR", S(RtoInTransit)),
        (47, "Return Out For Pickup", S(ReturnRequested)),
        (48, "Return Out For Delivery", S(ReturnPickedUp)),
        (49, "Return Pickup Exception", S(ReturnRequested)),
        (50, "Return Undelivered", S(ReturnPickedUp)),
        (51, "Picked Up", S(PickedUp)),
        (52, "Self Fulfilled", Info),
        (53, "Disposed Off", S(Lost)),
        (54, "Canceled before Dispatched", S(Cancelled)),
        (55, "RTO In-Transit", S(RtoInTransit)),
        (57, "QC Failed", Info),
        (58, "Reached Warehouse", S(InTransit)),
        (59, "Custom Cleared", S(InTransit)),
        (60, "In Flight", S(InTransit)),
        (61, "Handover to Courier", S(PickedUp)),
        (62, "Booked", S(Synced)),
        (64, "In Transit Overseas", S(InTransit)),
        (65, "Connection Aligned", S(InTransit)),
        (66, "Reached Overseas Warehouse", S(InTransit)),
        (67, "Custom Cleared Overseas", S(InTransit)),
        (68, "RETURN ACKNOWLEGED", S(ReturnDelivered)),
        (69, "Box Packing", S(Synced)),
        (70, "Pickup Booked", S(PickupScheduled)),
        (71, "DARKSTORE SCHEDULED", S(Synced)),
        (72, "Allocation in Progress", S(Synced)),
        (73, "FC Allocated", S(Synced)),
        (74, "Picklist Generated", S(Synced)),
        (75, "Ready to Pack", S(Synced)),
        (76, "Packed", S(Synced)),
        (80, "FC MANIFEST GENERATED", S(PickupScheduled)),
        (81, "PROCESSED AT WAREHOUSE", S(Synced)),
        (82, "PACKED EXCEPTION", S(Synced)),
        (83, "HANDOVER EXCEPTION", S(PickupScheduled)),
        (87, "RTO_LOCK", S(RtoInitiated)),
        (88, "UNTRACEABLE", Info),
        (89, "ISSUE_RELATED_TO_THE_RECIPIENT", NDR),
        (90, "REACHED_BACK_AT_SELLER_CITY", S(RtoInTransit)),
    ];

    /// §8b, shipment-status space.
    pub(super) const SHIPMENT_STATUSES: &[Entry] = &[
        (1, "AWB Assigned", S(AwbAssigned)),
        (2, "Label Generated", S(LabelReady)),
        (3, "Pickup Scheduled/Generated", S(PickupScheduled)),
        (4, "Pickup Queued", S(PickupScheduled)),
        (5, "Manifest Generated", S(PickupScheduled)),
        (6, "Shipped", S(InTransit)),
        (7, "Delivered", S(Delivered)),
        (8, "Cancelled", S(Cancelled)),
        (9, "RTO Initiated", S(RtoInitiated)),
        (10, "RTO Delivered", S(RtoDelivered)),
        (11, "Pending", S(Synced)),
        (12, "Lost", S(Lost)),
        (13, "Pickup Error", S(PickupScheduled)),
        (14, "RTO Acknowledged", S(RtoDelivered)),
        (15, "Pickup Rescheduled", S(PickupScheduled)),
        (16, "Cancellation Requested", Info),
        (17, "Out For Delivery", S(OutForDelivery)),
        (18, "In Transit", S(InTransit)),
        (19, "Out For Pickup", S(PickupScheduled)),
        (20, "Pickup Exception", S(PickupScheduled)),
        (21, "Undelivered", NDR),
        // Listed among the NDR-relevant codes, but a delay is not a failed delivery attempt.
        (22, "Delayed", S(InTransit)),
        (23, "Partial_Delivered", Info),
        (24, "Destroyed", S(Damaged)),
        (25, "Damaged", S(Damaged)),
        (26, "Fulfilled", Info),
        (27, "Pickup Booked", S(PickupScheduled)),
        (38, "Reached at Destination (Hub)", S(InTransit)),
        (39, "Misrouted", S(InTransit)),
        (40, "RTO NDR", S(RtoInTransit)),
        (41, "RTO OFD", S(RtoInTransit)),
        (42, "Picked Up", S(PickedUp)),
        (43, "Self Fulfilled", Info),
        (44, "Disposed Off", S(Lost)),
        (45, "Cancelled Before Dispatched", S(Cancelled)),
        (46, "RTO In Transit", S(RtoInTransit)),
        (47, "QC Failed", Info),
        (48, "Reached Warehouse", S(InTransit)),
        (49, "Custom Cleared", S(InTransit)),
        (50, "In Flight", S(InTransit)),
        (51, "Handover to Courier", S(PickedUp)),
        (52, "Shipment Booked", S(Synced)),
        (54, "In Transit Overseas", S(InTransit)),
        (55, "Connection Aligned", S(InTransit)),
        (56, "Reached Overseas Warehouse", S(InTransit)),
        (57, "Custom Cleared Overseas", S(InTransit)),
        (59, "Box Packing", S(Synced)),
        (60, "FC Allocated", S(Synced)),
        (61, "Picklist Generated", S(Synced)),
        (62, "Ready To Pack", S(Synced)),
        (63, "Packed", S(Synced)),
        (67, "FC Manifest Generated", S(PickupScheduled)),
        (68, "Processed At Warehouse", S(Synced)),
        (71, "Handover Exception", S(PickupScheduled)),
        (72, "Packed Exception", S(Synced)),
        (75, "RTO_LOCK", S(RtoInitiated)),
        (76, "Untraceable", Info),
        (77, "Issue Related To The Recipient", NDR),
        (78, "Reached Back At Seller City", S(RtoInTransit)),
    ];

    /// Labels seen in tracking answers that are not literally in either table. The code is unused.
    pub(super) const LABEL_ALIASES: &[Entry] =
        &[(0, "Pickup Generated", S(PickupScheduled)), (0, "RETURN ACKNOWLEDGED", S(ReturnDelivered))];
}
