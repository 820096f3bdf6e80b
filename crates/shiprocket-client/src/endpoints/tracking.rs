//! Tracking: by AWB, by shipment id, by our order id, and up to 50 AWBs at once. Each answer
//! wraps a `tracking_data` object; the order variant answers an array and the multi-AWB variant
//! an object keyed by AWB (quirk #7). "Not found" is a 200 with `track_status: 0`.

use super::{Endpoint, from_value, json, to_body};
use crate::error::{Error, Result};
use chrono::{DateTime, FixedOffset};
use reqwest::Method;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::borrow::Cow;
use std::collections::BTreeMap;

/// One scan, as the courier reported it.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct TrackingActivity {
    /// When it happened (IST).
    #[serde(rename = "date", deserialize_with = "required_datetime")]
    pub at: DateTime<FixedOffset>,
    /// The courier's own code ("DLVD", "X-PPOM"); absent on older responses.
    #[serde(default, rename = "status", deserialize_with = "crate::de::opt_text")]
    pub courier_status: Option<String>,
    #[serde(default, deserialize_with = "crate::de::text_or_empty")]
    pub activity: String,
    #[serde(default, deserialize_with = "crate::de::opt_text")]
    pub location: Option<String>,
    /// Shipment-status space code; `"NA"` (a scan that maps to no status) is `None`.
    #[serde(default, rename = "sr-status", deserialize_with = "lenient_code")]
    pub status_code: Option<i64>,
    #[serde(default, rename = "sr-status-label", deserialize_with = "crate::de::opt_text_na")]
    pub status_label: Option<String>,
}

fn required_datetime<'de, D: serde::Deserializer<'de>>(d: D) -> std::result::Result<DateTime<FixedOffset>, D::Error> {
    crate::time::opt_datetime(d)?.ok_or_else(|| serde::de::Error::custom("a scan without a date"))
}

/// `"42"`, `42`, `"NA"`, `""` → a code or `None`; any other text is `None` too (it is the
/// courier's business, not a failure of the whole answer).
fn lenient_code<'de, D: serde::Deserializer<'de>>(d: D) -> std::result::Result<Option<i64>, D::Error> {
    Ok(crate::de::opt_text_na(d)?.and_then(|s| s.parse().ok()))
}

/// Where a shipment is, according to Shiprocket.
#[derive(Debug, Clone, PartialEq)]
pub struct Tracking {
    /// Shipment-status space (6 Shipped, 7 Delivered, 17 Out For Delivery, 18 In Transit, ...).
    pub shipment_status: Option<i64>,
    pub awb_code: Option<String>,
    pub shipment_id: Option<u64>,
    /// Shiprocket's order id.
    pub order_id: Option<u64>,
    pub courier_company_id: Option<u64>,
    pub courier_name: Option<String>,
    pub current_status: Option<String>,
    pub pickup_date: Option<DateTime<FixedOffset>>,
    pub delivered_date: Option<DateTime<FixedOffset>>,
    pub destination: Option<String>,
    /// Expected delivery.
    pub etd: Option<DateTime<FixedOffset>>,
    /// Newest first, as sent.
    pub activities: Vec<TrackingActivity>,
    pub track_url: Option<String>,
}

#[derive(Deserialize)]
struct RawEnvelope {
    tracking_data: Option<RawTrackingData>,
}

#[derive(Deserialize)]
struct RawTrackingData {
    #[serde(default, deserialize_with = "crate::de::opt_i64")]
    track_status: Option<i64>,
    #[serde(default, deserialize_with = "crate::de::opt_i64")]
    shipment_status: Option<i64>,
    #[serde(default, deserialize_with = "crate::de::vec_or_empty")]
    shipment_track: Vec<RawTrack>,
    #[serde(default, deserialize_with = "crate::de::vec_or_empty")]
    shipment_track_activities: Vec<TrackingActivity>,
    #[serde(default, deserialize_with = "crate::de::opt_text")]
    track_url: Option<String>,
    #[serde(default, deserialize_with = "crate::time::lenient_datetime")]
    etd: Option<DateTime<FixedOffset>>,
    #[serde(default, deserialize_with = "crate::de::opt_text")]
    error: Option<String>,
}

#[derive(Deserialize)]
struct RawTrack {
    #[serde(default, deserialize_with = "crate::de::opt_text")]
    awb_code: Option<String>,
    #[serde(default, deserialize_with = "crate::de::opt_id")]
    courier_company_id: Option<u64>,
    #[serde(default, deserialize_with = "crate::de::opt_id")]
    shipment_id: Option<u64>,
    #[serde(default, deserialize_with = "crate::de::opt_id")]
    order_id: Option<u64>,
    #[serde(default, deserialize_with = "crate::time::lenient_datetime")]
    pickup_date: Option<DateTime<FixedOffset>>,
    #[serde(default, deserialize_with = "crate::time::lenient_datetime")]
    delivered_date: Option<DateTime<FixedOffset>>,
    #[serde(default, deserialize_with = "crate::de::opt_text")]
    current_status: Option<String>,
    #[serde(default, deserialize_with = "crate::de::opt_text")]
    destination: Option<String>,
    #[serde(default, deserialize_with = "crate::de::opt_text")]
    courier_name: Option<String>,
    #[serde(default, deserialize_with = "crate::time::lenient_datetime")]
    edd: Option<DateTime<FixedOffset>>,
}

impl RawTrackingData {
    fn into_tracking(self) -> Result<Tracking> {
        if self.track_status == Some(0) || (self.error.is_some() && self.shipment_track_activities.is_empty()) {
            return Err(Error::NotFound {
                message: self.error.unwrap_or_else(|| "no tracking activity yet".to_owned()),
            });
        }
        let track = self.shipment_track.into_iter().next();
        let (
            awb_code,
            shipment_id,
            order_id,
            courier_company_id,
            courier_name,
            current_status,
            pickup_date,
            delivered_date,
            destination,
            edd,
        ) = match track {
            Some(t) => (
                t.awb_code,
                t.shipment_id,
                t.order_id,
                t.courier_company_id,
                t.courier_name,
                t.current_status,
                t.pickup_date,
                t.delivered_date,
                t.destination,
                t.edd,
            ),
            None => Default::default(),
        };
        Ok(Tracking {
            shipment_status: self.shipment_status,
            awb_code,
            shipment_id,
            order_id,
            courier_company_id,
            courier_name,
            current_status,
            pickup_date,
            delivered_date,
            destination,
            etd: self.etd.or(edd),
            activities: self.shipment_track_activities,
            track_url: self.track_url,
        })
    }
}

fn decode_envelope(value: Value, at: &str) -> Result<Tracking> {
    let raw: RawEnvelope = from_value(value, at)?;
    raw.tracking_data
        .ok_or_else(|| Error::NotFound { message: "no tracking_data in the answer".into() })?
        .into_tracking()
}

fn decode_single(body: &[u8]) -> Result<Tracking> {
    let value: Value = json(body)?;
    if let Some(e) = super::embedded_failure(&value) {
        return Err(e);
    }
    decode_envelope(value, "")
}

/// `GET courier/track/awb/{awb}`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TrackAwb {
    pub awb: String,
}

impl Endpoint for TrackAwb {
    type Response = Tracking;
    const NAME: &'static str = "tracking.awb";
    const METHOD: Method = Method::GET;

    fn path(&self) -> Cow<'static, str> {
        format!("courier/track/awb/{}", self.awb.trim()).into()
    }

    fn body(&self) -> Result<Option<Value>> {
        if self.awb.trim().is_empty() || self.awb.contains('/') {
            return Err(Error::validation("an AWB is required"));
        }
        Ok(None)
    }

    fn decode(&self, _status: u16, body: &[u8]) -> Result<Tracking> {
        decode_single(body)
    }
}

/// `GET courier/track/shipment/{shipment_id}`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TrackShipment {
    pub shipment_id: u64,
}

impl Endpoint for TrackShipment {
    type Response = Tracking;
    const NAME: &'static str = "tracking.shipment";
    const METHOD: Method = Method::GET;

    fn path(&self) -> Cow<'static, str> {
        format!("courier/track/shipment/{}", self.shipment_id).into()
    }

    fn decode(&self, _status: u16, body: &[u8]) -> Result<Tracking> {
        decode_single(body)
    }
}

/// `GET courier/track?order_id=<our channel order id>` — one entry per shipment of the order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TrackOrder {
    pub channel_order_id: String,
    pub channel_id: Option<u64>,
}

impl Endpoint for TrackOrder {
    type Response = Vec<Tracking>;
    const NAME: &'static str = "tracking.order";
    const METHOD: Method = Method::GET;

    fn path(&self) -> Cow<'static, str> {
        "courier/track".into()
    }

    fn query(&self) -> Vec<(&'static str, String)> {
        let mut q = vec![("order_id", self.channel_order_id.clone())];
        if let Some(c) = self.channel_id {
            q.push(("channel_id", c.to_string()));
        }
        q
    }

    /// Entries without activity are skipped; none at all is [`Error::NotFound`].
    fn decode(&self, _status: u16, body: &[u8]) -> Result<Vec<Tracking>> {
        let value: Value = json(body)?;
        let entries = match value {
            Value::Array(items) => items,
            other => {
                if let Some(e) = super::embedded_failure(&other) {
                    return Err(e);
                }
                vec![other]
            }
        };
        let mut found = Vec::new();
        let mut last_error = None;
        for (i, entry) in entries.into_iter().enumerate() {
            match decode_envelope(entry, &format!("[{i}]")) {
                Ok(t) => found.push(t),
                Err(e @ Error::NotFound { .. }) => last_error = Some(e),
                Err(e) => return Err(e),
            }
        }
        if found.is_empty() {
            return Err(
                last_error.unwrap_or(Error::NotFound { message: "no shipments to track for this order".into() })
            );
        }
        Ok(found)
    }
}

/// `POST courier/track/awbs` — up to 50 AWBs in one call (the tracking refresh uses this).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TrackAwbs {
    pub awbs: Vec<String>,
}

/// The most AWBs one multi-track call accepts.
pub const MAX_AWBS_PER_TRACK_CALL: usize = 50;

/// Per AWB: its tracking, or why there is none. Every requested AWB appears exactly once.
#[derive(Debug, Clone)]
pub struct MultiTracking {
    pub found: BTreeMap<String, Tracking>,
    pub missing: BTreeMap<String, String>,
}

impl Endpoint for TrackAwbs {
    type Response = MultiTracking;
    const NAME: &'static str = "tracking.awbs";
    const METHOD: Method = Method::POST;

    fn path(&self) -> Cow<'static, str> {
        "courier/track/awbs".into()
    }

    fn body(&self) -> Result<Option<Value>> {
        if self.awbs.is_empty() || self.awbs.len() > MAX_AWBS_PER_TRACK_CALL {
            return Err(Error::validation(format!("between 1 and {MAX_AWBS_PER_TRACK_CALL} AWBs per call")));
        }
        to_body(self)
    }

    /// An object keyed by AWB; unknown AWBs are absent (`{}` when none is known).
    fn decode(&self, _status: u16, body: &[u8]) -> Result<MultiTracking> {
        let value: Value = json(body)?;
        let Value::Object(mut by_awb) = value else {
            return Err(Error::decode(".", "expected an object keyed by AWB"));
        };
        let mut out = MultiTracking { found: BTreeMap::new(), missing: BTreeMap::new() };
        for awb in &self.awbs {
            match by_awb.remove(awb) {
                None => {
                    out.missing.insert(awb.clone(), "Shiprocket returned nothing for this AWB".into());
                }
                Some(entry) => match decode_envelope(entry, awb) {
                    Ok(t) => {
                        out.found.insert(awb.clone(), t);
                    }
                    Err(Error::NotFound { message }) => {
                        out.missing.insert(awb.clone(), message);
                    }
                    Err(e) => return Err(e),
                },
            }
        }
        Ok(out)
    }
}
