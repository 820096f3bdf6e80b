//! `GET courier/serviceability/` — which couriers serve a lane, at what price and speed.

use super::{Endpoint, json};
use crate::error::{Error, Result};
use chrono::NaiveDate;
use reqwest::Method;
use serde::{Deserialize, Serialize};
use std::borrow::Cow;

/// Asks for couriers between two pincodes for a parcel (or for an existing order).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CheckServiceability {
    #[serde(deserialize_with = "crate::de::text")]
    pub pickup_postcode: String,
    #[serde(deserialize_with = "crate::de::text")]
    pub delivery_postcode: String,
    /// Kilograms (sent as a string, as clients do).
    #[serde(default, deserialize_with = "crate::de::opt_f64", skip_serializing_if = "Option::is_none")]
    pub weight: Option<f64>,
    #[serde(
        default,
        deserialize_with = "crate::de::opt_flag",
        serialize_with = "crate::de::ser_opt_flag01",
        skip_serializing_if = "Option::is_none"
    )]
    pub cod: Option<bool>,
    /// Rupees.
    #[serde(default, deserialize_with = "crate::de::opt_f64", skip_serializing_if = "Option::is_none")]
    pub declared_value: Option<f64>,
    /// Shiprocket order id, instead of weight + cod.
    #[serde(default, deserialize_with = "crate::de::opt_id", skip_serializing_if = "Option::is_none")]
    pub order_id: Option<u64>,
    #[serde(default, deserialize_with = "crate::de::opt_f64", skip_serializing_if = "Option::is_none")]
    pub length: Option<f64>,
    #[serde(default, deserialize_with = "crate::de::opt_f64", skip_serializing_if = "Option::is_none")]
    pub breadth: Option<f64>,
    #[serde(default, deserialize_with = "crate::de::opt_f64", skip_serializing_if = "Option::is_none")]
    pub height: Option<f64>,
    /// `Surface` or `Air`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mode: Option<String>,
    #[serde(
        default,
        deserialize_with = "crate::de::opt_flag",
        serialize_with = "crate::de::ser_opt_flag01",
        skip_serializing_if = "Option::is_none"
    )]
    pub is_return: Option<bool>,
}

impl CheckServiceability {
    /// The common checkout question: this parcel, this lane, prepaid or COD.
    pub fn parcel(
        pickup: impl Into<String>,
        delivery: impl Into<String>,
        weight_kg: f64,
        cod: bool,
        declared_value: f64,
    ) -> Self {
        CheckServiceability {
            pickup_postcode: pickup.into(),
            delivery_postcode: delivery.into(),
            weight: Some(weight_kg),
            cod: Some(cod),
            declared_value: Some(declared_value),
            order_id: None,
            length: None,
            breadth: None,
            height: None,
            mode: None,
            is_return: None,
        }
    }
}

/// One courier that serves the lane. Amounts in rupees.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct CourierOption {
    /// Pass this as `courier_id` when assigning an AWB (not the rate-row `id`, quirk #22).
    #[serde(deserialize_with = "crate::de::u64")]
    pub courier_company_id: u64,
    #[serde(deserialize_with = "crate::de::text")]
    pub courier_name: String,
    /// Total rate for this parcel.
    #[serde(deserialize_with = "crate::de::f64")]
    pub rate: f64,
    #[serde(default, deserialize_with = "crate::de::opt_f64")]
    pub freight_charge: Option<f64>,
    #[serde(default, deserialize_with = "crate::de::opt_f64")]
    pub cod_charges: Option<f64>,
    #[serde(default, deserialize_with = "crate::de::opt_f64")]
    pub rto_charges: Option<f64>,
    #[serde(default, deserialize_with = "crate::de::opt_i64")]
    pub estimated_delivery_days: Option<i64>,
    /// Expected delivery date ("Jan 18, 2025").
    #[serde(default, deserialize_with = "crate::time::opt_date")]
    pub etd: Option<NaiveDate>,
    #[serde(default, deserialize_with = "crate::de::opt_i64")]
    pub etd_hours: Option<i64>,
    #[serde(default, deserialize_with = "crate::de::opt_f64")]
    pub rating: Option<f64>,
    #[serde(default, deserialize_with = "crate::de::opt_f64")]
    pub delivery_performance: Option<f64>,
    #[serde(default, deserialize_with = "crate::de::opt_f64")]
    pub pickup_performance: Option<f64>,
    #[serde(default, deserialize_with = "crate::de::opt_f64")]
    pub rto_performance: Option<f64>,
    /// Whether this courier collects cash on delivery on this lane.
    #[serde(default, deserialize_with = "crate::de::flag")]
    pub cod: bool,
    #[serde(default, deserialize_with = "crate::de::flag")]
    pub is_surface: bool,
    #[serde(default, deserialize_with = "crate::de::opt_f64")]
    pub charge_weight: Option<f64>,
    #[serde(default, deserialize_with = "crate::de::opt_f64")]
    pub min_weight: Option<f64>,
    #[serde(default, deserialize_with = "crate::de::opt_text")]
    pub cutoff_time: Option<String>,
    #[serde(default, deserialize_with = "crate::de::opt_text")]
    pub zone: Option<String>,
    #[serde(default, deserialize_with = "crate::de::flag")]
    pub blocked: bool,
}

/// A courier Shiprocket lists as blocked for this lane.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct BlockedCourier {
    #[serde(deserialize_with = "crate::de::u64")]
    pub courier_company_id: u64,
    #[serde(default, deserialize_with = "crate::de::opt_text")]
    pub courier_name: Option<String>,
    #[serde(default, deserialize_with = "crate::de::opt_text")]
    pub block_reason: Option<String>,
}

/// The serviceable couriers (never empty: an empty list is [`Error::NotServiceable`]).
#[derive(Debug, Clone, PartialEq)]
pub struct Serviceability {
    pub couriers: Vec<CourierOption>,
    pub recommended_courier_company_id: Option<u64>,
    pub blocked: Vec<BlockedCourier>,
}

#[derive(Deserialize)]
struct Raw {
    #[serde(default, deserialize_with = "crate::de::opt_i64")]
    status: Option<i64>,
    #[serde(default, deserialize_with = "crate::de::text_or_empty")]
    message: String,
    #[serde(default)]
    data: Option<RawData>,
}

#[derive(Deserialize)]
struct RawData {
    #[serde(default, deserialize_with = "crate::de::vec_or_empty")]
    available_courier_companies: Vec<CourierOption>,
    #[serde(default, deserialize_with = "crate::de::vec_or_empty")]
    blocked_courier_companies: Vec<BlockedCourier>,
    #[serde(default, deserialize_with = "crate::de::opt_id")]
    recommended_courier_company_id: Option<u64>,
}

impl Endpoint for CheckServiceability {
    type Response = Serviceability;
    const NAME: &'static str = "courier.serviceability";
    const METHOD: Method = Method::GET;

    fn path(&self) -> Cow<'static, str> {
        "courier/serviceability/".into()
    }

    fn query(&self) -> Vec<(&'static str, String)> {
        let mut q = vec![
            ("pickup_postcode", self.pickup_postcode.clone()),
            ("delivery_postcode", self.delivery_postcode.clone()),
        ];
        let mut opt = |k: &'static str, v: Option<String>| {
            if let Some(v) = v {
                q.push((k, v));
            }
        };
        opt("order_id", self.order_id.map(|v| v.to_string()));
        opt("weight", self.weight.map(|v| v.to_string()));
        opt("cod", self.cod.map(|v| u8::from(v).to_string()));
        opt("declared_value", self.declared_value.map(|v| v.to_string()));
        opt("length", self.length.map(|v| v.to_string()));
        opt("breadth", self.breadth.map(|v| v.to_string()));
        opt("height", self.height.map(|v| v.to_string()));
        opt("mode", self.mode.clone());
        opt("is_return", self.is_return.map(|v| u8::from(v).to_string()));
        q
    }

    fn body(&self) -> Result<Option<serde_json::Value>> {
        if self.order_id.is_none() && (self.weight.is_none() || self.cod.is_none()) {
            return Err(Error::validation("serviceability needs either order_id, or weight and cod"));
        }
        Ok(None)
    }

    /// Any 200 without couriers is "not serviceable" — except "Order does not exist!".
    fn decode(&self, _status: u16, body: &[u8]) -> Result<Serviceability> {
        let raw: Raw = json(body)?;
        let failed_status = raw.status.filter(|s| *s != 200 && *s >= 300);
        if let Some(status) = failed_status {
            let message =
                if raw.message.is_empty() { format!("Shiprocket reported status {status}") } else { raw.message };
            return Err(if message.to_ascii_lowercase().contains("order does not exist") {
                Error::NotFound { message }
            } else {
                Error::NotServiceable { message }
            });
        }
        let data = raw.data.ok_or_else(|| Error::NotServiceable {
            message: if raw.message.is_empty() { "no couriers serve this lane".into() } else { raw.message.clone() },
        })?;
        let couriers: Vec<CourierOption> =
            data.available_courier_companies.into_iter().filter(|c| !c.blocked).collect();
        if couriers.is_empty() {
            return Err(Error::NotServiceable { message: "no couriers serve this lane".into() });
        }
        Ok(Serviceability {
            couriers,
            recommended_courier_company_id: data.recommended_courier_company_id,
            blocked: data.blocked_courier_companies,
        })
    }
}
