//! What the world holds: the clock, orders, shipments and their scans, fault rules, webhook
//! records, counters and modes.

use crate::lifecycle::{self, Path, Status};
use crate::{CancelledOrderMode, DuplicateOrderMode};
use chrono::{DateTime, Duration, FixedOffset, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::{BTreeMap, VecDeque};

use super::ist;

/// The simulated clock: real time scaled by `speed`, plus whatever the control API advanced.
#[derive(Debug, Clone)]
pub struct Clock {
    start_sim: DateTime<FixedOffset>,
    start_real: std::time::Instant,
    speed: f64,
    advanced: Duration,
}

impl Clock {
    pub fn new(speed: f64) -> Self {
        Clock {
            start_sim: Utc::now().with_timezone(&ist()),
            start_real: std::time::Instant::now(),
            speed,
            advanced: Duration::zero(),
        }
    }

    pub fn now(&self) -> DateTime<FixedOffset> {
        let real = self.start_real.elapsed().as_secs_f64() * self.speed;
        self.start_sim + Duration::milliseconds((real * 1000.0) as i64) + self.advanced
    }

    pub fn advance(&mut self, by: Duration) {
        self.advanced += by;
    }
}

/// One scan in a shipment's history.
#[derive(Debug, Clone)]
pub struct Scan {
    pub at: DateTime<FixedOffset>,
    /// `None` for scans that map to no Shiprocket status (`sr-status: "NA"`).
    pub status: Option<Status>,
    pub courier_code: &'static str,
    pub activity: &'static str,
    pub location: String,
}

/// An NDR waiting for (or after) the seller's decision.
#[derive(Debug, Clone)]
pub struct Ndr {
    pub id: u64,
    pub attempts: u32,
    pub raised_at: DateTime<FixedOffset>,
    pub deadline: DateTime<FixedOffset>,
    pub actions: Vec<String>,
    pub open: bool,
}

#[derive(Debug, Clone)]
pub struct Order {
    pub id: u64,
    pub channel_order_id: String,
    pub channel_id: u64,
    pub created_at: DateTime<FixedOffset>,
    pub status_code: u32,
    pub status: String,
    pub shipment_id: u64,
    pub is_return: bool,
    /// The create request as received; list and show answer from it.
    pub request: Value,
}

#[derive(Debug, Clone)]
pub struct Shipment {
    pub id: u64,
    pub order_id: u64,
    pub channel_order_id: String,
    pub is_return: bool,
    pub pickup_pincode: String,
    pub delivery_pincode: String,
    pub cod: bool,
    pub weight: f64,
    pub declared_value: f64,
    pub awb: Option<String>,
    pub courier: Option<(u64, &'static str)>,
    pub awb_assigned_at: Option<DateTime<FixedOffset>>,
    pub reassigned_at: Option<DateTime<FixedOffset>>,
    pub pickup_scheduled_at: Option<DateTime<FixedOffset>>,
    pub pickup_token: Option<String>,
    pub status: Option<Status>,
    pub scans: Vec<Scan>,
    pub forced_path: Option<Path>,
    pub plan: VecDeque<(DateTime<FixedOffset>, Status)>,
    pub ndr: Option<Ndr>,
    pub manifested: bool,
    pub etd: Option<DateTime<FixedOffset>>,
}

impl Shipment {
    pub fn path(&self, seed: u64) -> Path {
        self.forced_path.unwrap_or_else(|| Path::for_pincode(seed, &self.delivery_pincode))
    }

    pub fn is_cancelled(&self) -> bool {
        self.status == Some(lifecycle::CANCELLED)
    }

    /// Picked up or beyond: cancellation is no longer possible.
    pub fn picked_up(&self) -> bool {
        self.scans
            .iter()
            .any(|s| s.status == Some(lifecycle::PICKED_UP) || s.status == Some(lifecycle::RETURN_PICKED_UP))
    }
}

/// What a fault does to a call.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum FaultKind {
    /// Answer with this status and a Shiprocket-shaped error body, without doing anything.
    Status { status: u16 },
    /// 429, with `Retry-After` when given.
    RateLimited { retry_after_secs: Option<u64> },
    /// Answer normally after this delay.
    Latency { ms: u64 },
    /// Never answer (well: after an hour).
    Hang,
    /// Do the work, then break the connection instead of answering.
    CommitThenDrop,
}

/// A fault rule: on calls to `endpoint` (a route template such as `orders/create/adhoc`, or
/// `*`), with this probability, at most `times` times.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FaultRule {
    pub endpoint: String,
    #[serde(flatten)]
    pub kind: FaultKind,
    #[serde(default = "one")]
    pub probability: f64,
    #[serde(default)]
    pub times: Option<u32>,
}

fn one() -> f64 {
    1.0
}

/// A webhook delivery and how the receiver answered.
#[derive(Debug, Clone, Serialize)]
pub struct WebhookRecord {
    pub awb: String,
    pub current_status_id: u32,
    pub shipment_status_id: u32,
    pub payload: Value,
    pub api_key_sent: bool,
    /// HTTP status, or `None` when the receiver could not be reached.
    pub response_status: Option<u16>,
}

/// Counters tests assert on.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Counters {
    /// Calls per route template.
    pub calls: BTreeMap<String, u64>,
    /// New Shiprocket orders created per channel order id.
    pub orders_created: BTreeMap<String, u64>,
    pub logins: u64,
    pub faults_injected: u64,
}

/// Switchable behaviours.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Modes {
    pub duplicate_order: DuplicateOrderMode,
    pub cancelled_order: CancelledOrderMode,
    /// Deliver every webhook twice.
    pub webhook_duplicates: bool,
    /// Hold each webhook back and deliver it after the next one of the same shipment.
    pub webhook_out_of_order: bool,
}
