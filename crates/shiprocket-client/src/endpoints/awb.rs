//! `POST courier/assign/awb` — book a courier and get the AWB (tracking number).

use super::{Endpoint, from_value, json, to_body};
use crate::error::{Error, Result};
use chrono::{DateTime, FixedOffset};
use reqwest::Method;
use serde::{Deserialize, Serialize};
use std::borrow::Cow;

/// Assigns an AWB to a shipment, with a courier of our choice or Shiprocket's recommendation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AssignAwb {
    #[serde(deserialize_with = "crate::de::u64")]
    pub shipment_id: u64,
    /// `courier_company_id` from serviceability; `None` lets Shiprocket pick.
    #[serde(default, deserialize_with = "crate::de::opt_id", skip_serializing_if = "Option::is_none")]
    pub courier_id: Option<u64>,
    /// `"reassign"` to change the courier (once per 24 h).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<String>,
    #[serde(
        default,
        deserialize_with = "crate::de::flag",
        serialize_with = "crate::de::ser_flag01",
        skip_serializing_if = "std::ops::Not::not"
    )]
    pub is_return: bool,
}

/// The AWB assignment. `courier_company_id` may differ from the courier asked for: Shiprocket
/// can pick another one; callers must record what was actually booked.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct AssignedAwb {
    #[serde(deserialize_with = "crate::de::text")]
    pub awb_code: String,
    #[serde(deserialize_with = "crate::de::u64")]
    pub courier_company_id: u64,
    #[serde(default, deserialize_with = "crate::de::opt_text")]
    pub courier_name: Option<String>,
    #[serde(default, deserialize_with = "crate::de::opt_id")]
    pub shipment_id: Option<u64>,
    #[serde(default, deserialize_with = "crate::de::opt_id")]
    pub order_id: Option<u64>,
    #[serde(default, deserialize_with = "crate::de::flag")]
    pub cod: bool,
    #[serde(default, deserialize_with = "crate::de::opt_f64")]
    pub applied_weight: Option<f64>,
    #[serde(default, deserialize_with = "crate::time::lenient_datetime")]
    pub assigned_date_time: Option<DateTime<FixedOffset>>,
    #[serde(default, deserialize_with = "crate::time::lenient_datetime")]
    pub pickup_scheduled_date: Option<DateTime<FixedOffset>>,
    #[serde(default, deserialize_with = "crate::de::opt_text")]
    pub routing_code: Option<String>,
}

#[derive(Deserialize)]
struct Raw {
    #[serde(default, deserialize_with = "crate::de::opt_i64")]
    awb_assign_status: Option<i64>,
    #[serde(default)]
    response: Option<serde_json::Value>,
}

#[derive(Deserialize)]
struct RawError {
    #[serde(default, deserialize_with = "crate::de::opt_text")]
    awb_assign_error: Option<String>,
    #[serde(default, deserialize_with = "crate::de::opt_text")]
    awb_code: Option<String>,
}

impl Endpoint for AssignAwb {
    type Response = AssignedAwb;
    const NAME: &'static str = "courier.assign_awb";
    const METHOD: Method = Method::POST;

    fn path(&self) -> Cow<'static, str> {
        "courier/assign/awb".into()
    }

    fn body(&self) -> Result<Option<serde_json::Value>> {
        to_body(self)
    }

    /// Success needs `awb_assign_status == 1` *and* an AWB (quirk #2). `response.data` is
    /// sometimes `response` itself.
    fn decode(&self, _status: u16, body: &[u8]) -> Result<AssignedAwb> {
        let value: serde_json::Value = json(body)?;
        if let Some(e) = super::embedded_failure(&value) {
            return Err(e);
        }
        let raw: Raw = json(body)?;
        let data = raw.response.map(|r| match r.get("data") {
            Some(d) if d.is_object() => d.clone(),
            _ => r,
        });
        let reason = data
            .as_ref()
            .and_then(|d| serde_json::from_value::<RawError>(d.clone()).ok())
            .unwrap_or(RawError { awb_assign_error: None, awb_code: None });
        let ok = raw.awb_assign_status == Some(1) && reason.awb_code.is_some();
        if !ok {
            let message = reason.awb_assign_error.unwrap_or_else(|| "AWB was not assigned".to_owned());
            let lower = message.to_ascii_lowercase();
            return Err(if lower.contains("already assigned") {
                Error::Conflict { message }
            } else if lower.contains("serviceab") || lower.contains("no courier") {
                Error::NotServiceable { message }
            } else {
                Error::validation(message)
            });
        }
        from_value(data.unwrap_or_default(), "response.data")
    }
}
