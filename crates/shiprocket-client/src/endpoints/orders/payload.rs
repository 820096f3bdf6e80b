//! The adhoc order body that create and update send, and the checks made before sending it.

use crate::error::{Error, Result};
use serde::{Deserialize, Serialize};
use std::fmt;

/// `payment_method` as Shiprocket spells it on create; lists echo it in lower case.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum PaymentMethod {
    #[serde(rename = "COD", alias = "cod")]
    Cod,
    #[serde(rename = "Prepaid", alias = "prepaid", alias = "PREPAID")]
    Prepaid,
}

/// One line of an order.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OrderItem {
    pub name: String,
    pub sku: String,
    #[serde(deserialize_with = "crate::de::u64")]
    pub units: u64,
    /// Per unit, GST inclusive, rupees.
    #[serde(deserialize_with = "crate::de::f64")]
    pub selling_price: f64,
    #[serde(default, deserialize_with = "crate::de::opt_f64", skip_serializing_if = "Option::is_none")]
    pub discount: Option<f64>,
    /// Percent.
    #[serde(default, deserialize_with = "crate::de::opt_f64", skip_serializing_if = "Option::is_none")]
    pub tax: Option<f64>,
    #[serde(default, deserialize_with = "crate::de::opt_text", skip_serializing_if = "Option::is_none")]
    pub hsn: Option<String>,
}

/// The body of an adhoc order create or update. Pincodes and phones are texts (Shiprocket
/// accepts both forms; texts keep leading zeros and country codes intact). `sub_total` is not
/// computed by Shiprocket: send the real total.
#[derive(Clone, PartialEq, Serialize, Deserialize)]
pub struct OrderPayload {
    /// Our channel order id (≤ 50 chars). Stable per shop order; never reuse a cancelled one.
    pub order_id: String,
    /// `yyyy-mm-dd hh:mm`.
    pub order_date: String,
    /// Nickname of an existing pickup location.
    pub pickup_location: String,
    #[serde(default, deserialize_with = "crate::de::opt_id", skip_serializing_if = "Option::is_none")]
    pub channel_id: Option<u64>,
    #[serde(default, deserialize_with = "crate::de::opt_text", skip_serializing_if = "Option::is_none")]
    pub comment: Option<String>,
    pub billing_customer_name: String,
    #[serde(default, deserialize_with = "crate::de::opt_text", skip_serializing_if = "Option::is_none")]
    pub billing_last_name: Option<String>,
    pub billing_address: String,
    #[serde(default, deserialize_with = "crate::de::opt_text", skip_serializing_if = "Option::is_none")]
    pub billing_address_2: Option<String>,
    pub billing_city: String,
    #[serde(deserialize_with = "crate::de::text")]
    pub billing_pincode: String,
    pub billing_state: String,
    pub billing_country: String,
    pub billing_email: String,
    #[serde(deserialize_with = "crate::de::text")]
    pub billing_phone: String,
    #[serde(deserialize_with = "crate::de::flag")]
    pub shipping_is_billing: bool,
    #[serde(default, deserialize_with = "crate::de::opt_text", skip_serializing_if = "Option::is_none")]
    pub shipping_customer_name: Option<String>,
    #[serde(default, deserialize_with = "crate::de::opt_text", skip_serializing_if = "Option::is_none")]
    pub shipping_last_name: Option<String>,
    #[serde(default, deserialize_with = "crate::de::opt_text", skip_serializing_if = "Option::is_none")]
    pub shipping_address: Option<String>,
    #[serde(default, deserialize_with = "crate::de::opt_text", skip_serializing_if = "Option::is_none")]
    pub shipping_address_2: Option<String>,
    #[serde(default, deserialize_with = "crate::de::opt_text", skip_serializing_if = "Option::is_none")]
    pub shipping_city: Option<String>,
    #[serde(default, deserialize_with = "crate::de::opt_text", skip_serializing_if = "Option::is_none")]
    pub shipping_pincode: Option<String>,
    #[serde(default, deserialize_with = "crate::de::opt_text", skip_serializing_if = "Option::is_none")]
    pub shipping_country: Option<String>,
    #[serde(default, deserialize_with = "crate::de::opt_text", skip_serializing_if = "Option::is_none")]
    pub shipping_state: Option<String>,
    #[serde(default, deserialize_with = "crate::de::opt_text", skip_serializing_if = "Option::is_none")]
    pub shipping_email: Option<String>,
    #[serde(default, deserialize_with = "crate::de::opt_text", skip_serializing_if = "Option::is_none")]
    pub shipping_phone: Option<String>,
    pub order_items: Vec<OrderItem>,
    pub payment_method: PaymentMethod,
    #[serde(default, deserialize_with = "crate::de::opt_f64", skip_serializing_if = "Option::is_none")]
    pub shipping_charges: Option<f64>,
    #[serde(default, deserialize_with = "crate::de::opt_f64", skip_serializing_if = "Option::is_none")]
    pub giftwrap_charges: Option<f64>,
    #[serde(default, deserialize_with = "crate::de::opt_f64", skip_serializing_if = "Option::is_none")]
    pub transaction_charges: Option<f64>,
    #[serde(default, deserialize_with = "crate::de::opt_f64", skip_serializing_if = "Option::is_none")]
    pub total_discount: Option<f64>,
    #[serde(deserialize_with = "crate::de::f64")]
    pub sub_total: f64,
    /// Centimetres, each > 0.5.
    #[serde(deserialize_with = "crate::de::f64")]
    pub length: f64,
    #[serde(deserialize_with = "crate::de::f64")]
    pub breadth: f64,
    #[serde(deserialize_with = "crate::de::f64")]
    pub height: f64,
    /// Kilograms, > 0.
    #[serde(deserialize_with = "crate::de::f64")]
    pub weight: f64,
}

/// Only ids and amounts: the payload is full of customer data.
impl fmt::Debug for OrderPayload {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OrderPayload")
            .field("order_id", &self.order_id)
            .field("pickup_location", &self.pickup_location)
            .field("items", &self.order_items.len())
            .field("payment_method", &self.payment_method)
            .field("sub_total", &self.sub_total)
            .field("weight", &self.weight)
            .finish_non_exhaustive()
    }
}

impl OrderPayload {
    /// Checks what Shiprocket would refuse with a 422, before spending a call on it.
    pub fn validate(&self) -> Result<()> {
        let mut fields = crate::error::FieldErrors::new();
        let mut bad = |field: &str, msg: &str| {
            fields.entry(field.to_owned()).or_default().push(msg.to_owned());
        };
        if self.order_id.trim().is_empty() || self.order_id.len() > 50 {
            bad("order_id", "must be 1 to 50 characters");
        }
        if self.order_items.is_empty() {
            bad("order_items", "at least one item is required");
        }
        if self.order_items.iter().any(|i| i.units == 0) {
            bad("order_items", "units must be at least 1");
        }
        for (name, v) in [("length", self.length), ("breadth", self.breadth), ("height", self.height)] {
            if v.is_nan() || v <= 0.5 {
                bad(name, "must be more than 0.5 cm");
            }
        }
        if self.weight.is_nan() || self.weight <= 0.0 {
            bad("weight", "must be more than 0 kg");
        }
        if !self.shipping_is_billing {
            for (name, v) in [
                ("shipping_customer_name", &self.shipping_customer_name),
                ("shipping_address", &self.shipping_address),
                ("shipping_city", &self.shipping_city),
                ("shipping_pincode", &self.shipping_pincode),
                ("shipping_state", &self.shipping_state),
                ("shipping_country", &self.shipping_country),
                ("shipping_phone", &self.shipping_phone),
            ] {
                if v.as_deref().is_none_or(|s| s.trim().is_empty()) {
                    bad(name, "required when shipping_is_billing is false");
                }
            }
        }
        if fields.is_empty() {
            Ok(())
        } else {
            Err(Error::Validation { message: "the order payload is invalid".into(), fields })
        }
    }
}
