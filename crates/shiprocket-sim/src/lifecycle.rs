//! Which way a shipment goes after pickup, and the scans each step leaves behind.
//!
//! Status codes are Shiprocket's: `shipment` in the shipment-status space (tracking
//! `sr-status`, webhook `shipment_status_id`), `order` in the order-status space (webhook
//! `current_status_id`).

use serde::{Deserialize, Serialize};

/// The route a forward shipment takes after it is picked up.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Path {
    /// Picked up → in transit → out for delivery → delivered.
    Delivered,
    /// A failed attempt, then an NDR that waits for the seller's action (re-attempt or return).
    /// Without an action within 48 h the courier returns it (RTO).
    Ndr,
    /// A failed attempt and an automatic return to origin.
    Rto,
    /// Lost in transit.
    Lost,
}

impl Path {
    /// Documented by delivery pincode suffix (`…77` NDR, `…88` RTO, `…99` lost); otherwise from
    /// the seed: 90 % delivered, 5 % NDR, 3 % RTO, 2 % lost.
    pub fn for_pincode(seed: u64, delivery_pincode: &str) -> Path {
        if delivery_pincode.ends_with("77") {
            return Path::Ndr;
        }
        if delivery_pincode.ends_with("88") {
            return Path::Rto;
        }
        if delivery_pincode.ends_with("99") {
            return Path::Lost;
        }
        match crate::seeded(seed, &["path", delivery_pincode]) % 100 {
            0..90 => Path::Delivered,
            90..95 => Path::Ndr,
            95..98 => Path::Rto,
            _ => Path::Lost,
        }
    }
}

/// A status as Shiprocket reports it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Status {
    pub shipment: u32,
    pub order: u32,
    pub label: &'static str,
    /// The courier's own scan code.
    pub courier_code: &'static str,
    pub activity: &'static str,
}

macro_rules! status {
    ($name:ident, $shipment:expr, $order:expr, $label:expr, $code:expr, $activity:expr) => {
        pub const $name: Status =
            Status { shipment: $shipment, order: $order, label: $label, courier_code: $code, activity: $activity };
    };
}

status!(PICKUP_SCHEDULED, 3, 4, "PICKUP SCHEDULED", "PUS", "Pickup scheduled with the courier");
status!(PICKED_UP, 42, 51, "PICKED UP", "X-PPOM", "In Transit - Shipment picked up");
status!(IN_TRANSIT, 18, 20, "IN TRANSIT", "X-ILL1F", "In Transit - Bag Received at Facility");
status!(REACHED_HUB, 38, 43, "REACHED AT DESTINATION HUB", "X-ILL2F", "Reached destination hub");
status!(OUT_FOR_DELIVERY, 17, 19, "OUT FOR DELIVERY", "OFD", "Out for Delivery");
status!(DELIVERED, 7, 7, "DELIVERED", "DLVD", "Delivered to consignee");
status!(UNDELIVERED, 21, 36, "UNDELIVERED", "UD", "Consignee unavailable - Delivery attempt failed");
status!(RTO_INITIATED, 9, 15, "RTO INITIATED", "RT", "Return to origin initiated");
status!(RTO_IN_TRANSIT, 46, 55, "RTO IN TRANSIT", "RT-IT", "RTO - In transit to origin");
status!(RTO_DELIVERED, 10, 16, "RTO DELIVERED", "RTD", "RTO - Delivered to shipper");
status!(LOST, 12, 33, "LOST", "LOST", "Shipment lost in transit");
status!(CANCELLED, 8, 5, "CANCELED", "CAN", "Shipment cancelled by seller");
status!(RETURN_PICKUP_GENERATED, 3, 28, "RETURN PICKUP GENERATED", "RPG", "Return pickup generated");
status!(RETURN_PICKED_UP, 42, 32, "RETURN PICKED UP", "RPU", "Return picked up from customer");
status!(RETURN_IN_TRANSIT, 18, 25, "RETURN IN TRANSIT", "RIT", "Return in transit");
status!(RETURN_DELIVERED, 7, 26, "RETURN DELIVERED", "RDL", "Return delivered to seller");

/// A scan with no Shiprocket status: `sr-status` is `"NA"` (quirk #4).
pub const UNMAPPED_SCAN: (&str, &str) = ("X-DBL1F", "In Transit - Added to Bag");

/// Hours after the previous step.
pub type Step = (u32, Status);

/// Forward steps after pickup for each path, as (hours after the previous step, status).
pub fn forward_steps(path: Path) -> Vec<Step> {
    let common = vec![(4, PICKED_UP), (8, IN_TRANSIT), (12, REACHED_HUB), (10, OUT_FOR_DELIVERY)];
    let tail: Vec<Step> = match path {
        Path::Delivered => vec![(4, DELIVERED)],
        Path::Ndr => vec![(5, UNDELIVERED)],
        Path::Rto => vec![(5, UNDELIVERED), (24, RTO_INITIATED), (24, RTO_IN_TRANSIT), (48, RTO_DELIVERED)],
        Path::Lost => return vec![(4, PICKED_UP), (8, IN_TRANSIT), (72, LOST)],
    };
    common.into_iter().chain(tail).collect()
}

/// After an NDR re-attempt: out for delivery again on the chosen day, then delivered.
pub fn reattempt_steps() -> Vec<Step> {
    vec![(20, OUT_FOR_DELIVERY), (4, DELIVERED)]
}

/// After an NDR "return" (or no action within the deadline).
pub fn rto_steps() -> Vec<Step> {
    vec![(2, RTO_INITIATED), (24, RTO_IN_TRANSIT), (48, RTO_DELIVERED)]
}

/// Hours an NDR waits for an action before the courier returns the parcel.
pub const NDR_DEADLINE_HOURS: u32 = 48;

/// A reverse pickup from the customer back to the shop, from the moment its pickup is generated
/// (`courier/generate/pickup` on the return shipment).
pub fn return_steps() -> Vec<Step> {
    vec![(0, RETURN_PICKUP_GENERATED), (6, RETURN_PICKED_UP), (10, RETURN_IN_TRANSIT), (30, RETURN_DELIVERED)]
}

/// Terminal shipment statuses: nothing follows them.
pub fn is_terminal(s: &Status) -> bool {
    [DELIVERED, RTO_DELIVERED, LOST, CANCELLED, RETURN_DELIVERED].iter().any(|t| t == s)
}
