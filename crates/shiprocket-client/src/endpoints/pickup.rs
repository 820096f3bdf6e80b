//! `POST courier/generate/pickup` — ask the courier to collect a shipment.

use super::{Endpoint, checked_json, to_body};
use crate::error::{Error, Result};
use chrono::{DateTime, FixedOffset};
use reqwest::Method;
use serde::{Deserialize, Serialize};
use std::borrow::Cow;

/// Schedules the pickup of one shipment (the API takes an array but one id per call). The AWB
/// must exist first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GeneratePickup {
    pub shipment_id: Vec<u64>,
    /// `yyyy-mm-dd`; Sundays and holidays roll forward.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub pickup_date: Vec<String>,
    /// `"retry"` to re-request a failed pickup.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<String>,
}

impl GeneratePickup {
    pub fn new(shipment_id: u64) -> Self {
        GeneratePickup { shipment_id: vec![shipment_id], pickup_date: Vec::new(), status: None }
    }
}

/// The scheduled pickup.
#[derive(Debug, Clone, PartialEq)]
pub struct PickupScheduled {
    pub pickup_scheduled_date: Option<DateTime<FixedOffset>>,
    pub pickup_token_number: Option<String>,
    /// Shipment-status space (3 = pickup scheduled).
    pub status: Option<i64>,
    pub message: Option<String>,
}

#[derive(Deserialize)]
struct Raw {
    #[serde(default, deserialize_with = "crate::de::opt_i64")]
    pickup_status: Option<i64>,
    #[serde(default)]
    response: Option<RawResponse>,
}

#[derive(Deserialize)]
struct RawResponse {
    #[serde(default, deserialize_with = "crate::time::lenient_datetime")]
    pickup_scheduled_date: Option<DateTime<FixedOffset>>,
    #[serde(default, deserialize_with = "crate::de::opt_text")]
    pickup_token_number: Option<String>,
    #[serde(default, deserialize_with = "crate::de::opt_i64")]
    status: Option<i64>,
    #[serde(default, deserialize_with = "crate::de::opt_text")]
    data: Option<String>,
}

impl Endpoint for GeneratePickup {
    type Response = PickupScheduled;
    const NAME: &'static str = "courier.generate_pickup";
    const METHOD: Method = Method::POST;

    fn path(&self) -> Cow<'static, str> {
        "courier/generate/pickup".into()
    }

    fn body(&self) -> Result<Option<serde_json::Value>> {
        if self.shipment_id.len() != 1 {
            return Err(Error::validation("a pickup is generated for exactly one shipment per call"));
        }
        to_body(self)
    }

    fn decode(&self, _status: u16, body: &[u8]) -> Result<PickupScheduled> {
        let raw: Raw = checked_json(body)?;
        match (raw.pickup_status, raw.response) {
            (Some(1), Some(r)) => Ok(PickupScheduled {
                pickup_scheduled_date: r.pickup_scheduled_date,
                pickup_token_number: r.pickup_token_number,
                status: r.status,
                message: r.data,
            }),
            (_, r) => {
                Err(Error::validation(r.and_then(|r| r.data).unwrap_or_else(|| "pickup was not scheduled".to_owned())))
            }
        }
    }
}
