//! Everything the simulator remembers, and the rules that move it forward in time.

mod records;

use crate::lifecycle::{self, Path, Status};
use chrono::{DateTime, Duration, FixedOffset};
use serde_json::{Value, json};
use std::collections::{BTreeMap, HashMap, VecDeque};

pub use records::{Clock, Counters, FaultKind, FaultRule, Modes, Ndr, Order, Scan, Shipment, WebhookRecord};

/// Shiprocket's wall clock: IST, no offset in the text.
pub fn ist() -> FixedOffset {
    FixedOffset::east_opt(19_800).expect("+05:30 is a valid offset")
}

/// `YYYY-MM-DD HH:MM:SS`, the common Shiprocket timestamp.
pub fn fmt_ts(t: DateTime<FixedOffset>) -> String {
    t.format("%Y-%m-%d %H:%M:%S").to_string()
}

#[derive(Debug)]
pub struct World {
    pub seed: u64,
    pub modes: Modes,
    pub clock: Clock,
    pub token_ttl: Duration,
    pub credentials: Option<(String, String)>,
    pub tokens: HashMap<String, DateTime<FixedOffset>>,
    pub orders: BTreeMap<u64, Order>,
    pub by_channel: HashMap<String, u64>,
    pub shipments: BTreeMap<u64, Shipment>,
    pub by_awb: HashMap<String, u64>,
    pub pickup_locations: Vec<Value>,
    pub documents: HashMap<String, Vec<u8>>,
    /// Serialized serviceability answers: a pure function of the query and the day, and the
    /// hottest endpoint (checkout pages ask it on every pincode typed).
    pub rate_answers: HashMap<String, axum::body::Bytes>,
    pub counters: Counters,
    pub faults: Vec<FaultRule>,
    fault_calls: HashMap<String, u64>,
    /// Payloads waiting to be delivered, in order.
    pub webhook_queue: VecDeque<Value>,
    held_back: HashMap<String, Value>,
    pub webhooks: Vec<WebhookRecord>,
    next_id: u64,
    next_awb: u64,
}

impl World {
    pub fn new(
        seed: u64,
        modes: Modes,
        speed: f64,
        token_ttl: Duration,
        credentials: Option<(String, String)>,
    ) -> Self {
        World {
            seed,
            modes,
            clock: Clock::new(speed),
            token_ttl,
            credentials,
            tokens: HashMap::new(),
            orders: BTreeMap::new(),
            by_channel: HashMap::new(),
            shipments: BTreeMap::new(),
            by_awb: HashMap::new(),
            pickup_locations: vec![default_pickup_location()],
            documents: HashMap::new(),
            rate_answers: HashMap::new(),
            counters: Counters::default(),
            faults: Vec::new(),
            fault_calls: HashMap::new(),
            webhook_queue: VecDeque::new(),
            held_back: HashMap::new(),
            webhooks: Vec::new(),
            next_id: 0,
            next_awb: 0,
        }
    }

    pub fn now(&self) -> DateTime<FixedOffset> {
        self.clock.now()
    }

    /// Ids grow from Shiprocket-looking bases; the seed shifts them so two runs with different
    /// seeds do not collide in a shared database.
    pub fn next_ids(&mut self) -> (u64, u64) {
        self.next_id += 1;
        let shift = (self.seed % 1000) * 100_000;
        (412_345_000 + shift + self.next_id, 409_876_000 + shift + self.next_id)
    }

    pub fn next_awb(&mut self) -> String {
        self.next_awb += 1;
        format!("1904{:010}", (self.seed % 1000) * 1_000_000 + self.next_awb)
    }

    pub fn issue_token(&mut self) -> String {
        self.counters.logins += 1;
        let token = format!(
            "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.sim{}.{:016x}",
            self.counters.logins,
            crate::seeded(self.seed, &["token", &self.counters.logins.to_string()])
        );
        let expires = self.now() + self.token_ttl;
        self.tokens.insert(token.clone(), expires);
        token
    }

    pub fn token_valid(&self, token: &str) -> bool {
        self.tokens.get(token).is_some_and(|exp| *exp > self.now())
    }

    /// Counts the call and decides, reproducibly from the seed, whether a fault applies.
    pub fn fault_for(&mut self, endpoint: &str) -> Option<FaultKind> {
        *self.counters.calls.entry(endpoint.to_owned()).or_default() += 1;
        let n = {
            let c = self.fault_calls.entry(endpoint.to_owned()).or_default();
            *c += 1;
            *c
        };
        let seed = self.seed;
        for (i, rule) in self.faults.iter_mut().enumerate() {
            if rule.endpoint != "*" && rule.endpoint != endpoint {
                continue;
            }
            if rule.times == Some(0) {
                continue;
            }
            let roll = crate::seeded(seed, &["fault", endpoint, &n.to_string(), &i.to_string()]) % 10_000;
            if (roll as f64) < rule.probability * 10_000.0 {
                if let Some(t) = rule.times.as_mut() {
                    *t -= 1;
                }
                self.counters.faults_injected += 1;
                return Some(rule.kind.clone());
            }
        }
        None
    }

    pub fn location_for(&self, s: &Shipment, status: &Status) -> String {
        let pin = match status.shipment {
            3 | 42 if !s.is_return => &s.pickup_pincode,
            9 | 46 | 10 => &s.delivery_pincode,
            _ if status == &lifecycle::IN_TRANSIT => &s.pickup_pincode,
            _ => &s.delivery_pincode,
        };
        let city = crate::rates::city_of(pin);
        format!("{}_Hub ({})", city.replace(' ', "_"), crate::rates::state_of(pin))
    }

    /// Applies `status` to a shipment now: scan, order status, webhook.
    pub fn apply_status(&mut self, shipment_id: u64, status: Status, at: DateTime<FixedOffset>) {
        let Some(s) = self.shipments.get(&shipment_id) else { return };
        let location = self.location_for(s, &status);
        let mut scans = Vec::new();
        if status == lifecycle::IN_TRANSIT && !s.is_return {
            // A courier scan Shiprocket cannot map: sr-status "NA".
            let (code, activity) = lifecycle::UNMAPPED_SCAN;
            scans.push(Scan {
                at: at - Duration::minutes(30),
                status: None,
                courier_code: code,
                activity,
                location: location.clone(),
            });
        }
        scans.push(Scan {
            at,
            status: Some(status),
            courier_code: status.courier_code,
            activity: status.activity,
            location,
        });
        let seed = self.seed;
        let Some(s) = self.shipments.get_mut(&shipment_id) else { return };
        s.scans.extend(scans);
        s.status = Some(status);
        if status == lifecycle::UNDELIVERED && s.path(seed) == Path::Ndr {
            let ndr = s.ndr.get_or_insert(Ndr {
                id: 94_700_000 + shipment_id % 100_000,
                attempts: 0,
                raised_at: at,
                deadline: at,
                actions: Vec::new(),
                open: true,
            });
            ndr.attempts += 1;
            ndr.raised_at = at;
            ndr.deadline = at + Duration::hours(i64::from(lifecycle::NDR_DEADLINE_HOURS));
            ndr.open = true;
        }
        let order_id = s.order_id;
        if let Some(o) = self.orders.get_mut(&order_id) {
            o.status_code = status.order;
            o.status = status.label.to_owned();
        }
        let payload = self.webhook_payload(shipment_id);
        self.queue_webhook(payload);
    }

    fn queue_webhook(&mut self, payload: Value) {
        let awb = payload["awb"].as_str().unwrap_or_default().to_owned();
        let copies = if self.modes.webhook_duplicates { 2 } else { 1 };
        if self.modes.webhook_out_of_order {
            // Events 1, 2, 3, 4 go out as 2, 1, 4, 3.
            match self.held_back.remove(&awb) {
                Some(previous) => {
                    for p in [&payload, &previous] {
                        for _ in 0..copies {
                            self.webhook_queue.push_back(p.clone());
                        }
                    }
                }
                None => {
                    self.held_back.insert(awb, payload);
                }
            }
            return;
        }
        for _ in 0..copies {
            self.webhook_queue.push_back(payload.clone());
        }
    }

    /// Releases webhooks held back for out-of-order delivery (at the end of an advance).
    pub fn flush_held_back(&mut self) {
        let held: Vec<Value> = self.held_back.drain().map(|(_, v)| v).collect();
        self.webhook_queue.extend(held);
    }

    /// Moves every shipment to where the clock says it is.
    pub fn process_due(&mut self) {
        let now = self.now();
        let ids: Vec<u64> = self.shipments.keys().copied().collect();
        for id in ids {
            while let Some(s) = self.shipments.get_mut(&id) {
                // An NDR nobody acted on in time goes back to origin.
                if let Some(ndr) = s.ndr.as_mut()
                    && ndr.open
                    && s.plan.is_empty()
                    && ndr.deadline <= now
                {
                    ndr.open = false;
                    let start = ndr.deadline;
                    s.plan = schedule(start, &lifecycle::rto_steps());
                }
                let due = matches!(s.plan.front(), Some((at, _)) if *at <= now);
                if !due {
                    break;
                }
                let Some((at, status)) = s.plan.pop_front() else { break };
                self.apply_status(id, status, at);
            }
        }
    }

    pub fn webhook_payload(&self, shipment_id: u64) -> Value {
        let Some(s) = self.shipments.get(&shipment_id) else { return Value::Null };
        let status = s.status.unwrap_or(lifecycle::PICKUP_SCHEDULED);
        let at = s.scans.last().map_or_else(|| self.now(), |sc| sc.at);
        let order = self.orders.get(&s.order_id);
        json!({
            "awb": s.awb.clone().unwrap_or_default(),
            "courier_name": s.courier.map(|c| c.1).unwrap_or_default(),
            "current_status": status.label,
            "current_status_id": status.order,
            "shipment_status": status.label,
            "shipment_status_id": status.shipment,
            "current_timestamp": at.format("%d %m %Y %H:%M:%S").to_string(),
            "order_id": s.channel_order_id,
            "sr_order_id": s.order_id,
            "awb_assigned_date": s.awb_assigned_at.map(fmt_ts).unwrap_or_default(),
            "pickup_scheduled_date": s.pickup_scheduled_at.map(fmt_ts).unwrap_or_default(),
            "etd": s.etd.map(fmt_ts).unwrap_or_default(),
            "scans": s.scans.iter().map(scan_json).collect::<Vec<_>>(),
            "is_return": u8::from(s.is_return),
            "channel_id": order.map_or(0, |o| o.channel_id),
            "pod_status": "",
            "pod": "Not Available",
            "qc_image": "",
            "qc_failure_reason": "",
        })
    }
}

/// Steps relative to `start` → absolute plan.
pub fn schedule(start: DateTime<FixedOffset>, steps: &[lifecycle::Step]) -> VecDeque<(DateTime<FixedOffset>, Status)> {
    let mut at = start;
    steps
        .iter()
        .map(|(hours, status)| {
            at += Duration::hours(i64::from(*hours));
            (at, *status)
        })
        .collect()
}

/// A scan as tracking answers and webhooks carry it.
pub fn scan_json(s: &Scan) -> Value {
    let (code, label) = match s.status {
        Some(st) => (st.shipment.to_string(), st.label.to_owned()),
        None => ("NA".to_owned(), "NA".to_owned()),
    };
    json!({
        "date": fmt_ts(s.at),
        "status": s.courier_code,
        "activity": s.activity,
        "location": s.location,
        "sr-status": code,
        "sr-status-label": label,
    })
}

fn default_pickup_location() -> Value {
    json!({
        "id": 4980001, "pickup_location": "Primary WH", "address_type": null,
        "address": "Unit 4, Industrial Estate", "address_2": "Hadapsar", "updated_address": false,
        "old_address": "", "old_address2": "", "tag": "", "tag_value": "", "instruction": "",
        "city": "Pune", "state": "Maharashtra", "country": "India", "pin_code": "411013",
        "email": "ops@example-store.in", "is_first_mile_pickup": 0, "phone": "9800000009",
        "name": "Example Store", "company_id": 765432, "gstin": null, "vendor_name": null,
        "status": 2, "phone_verified": 1, "lat": "18.508", "long": "73.926", "open_time": null,
        "close_time": null, "warehouse_code": null, "alternate_phone": "", "rto_address_id": 4980001,
        "lat_long_status": 1, "new": 1, "associated_rto_address": null, "is_primary_location": 1
    })
}
