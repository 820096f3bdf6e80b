//! Returns: `orders/create/return` and `orders/processing/return` (list).

use super::{Endpoint, Page, PageRequest, checked_json, decode_page, refuse_if, to_body};
use crate::error::Result;
use chrono::{DateTime, FixedOffset};
use reqwest::Method;
use serde::{Deserialize, Serialize};
use std::borrow::Cow;
use std::fmt;

/// One returned line.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ReturnItem {
    pub name: String,
    pub sku: String,
    #[serde(deserialize_with = "crate::de::u64")]
    pub units: u64,
    #[serde(deserialize_with = "crate::de::f64")]
    pub selling_price: f64,
    #[serde(default, deserialize_with = "crate::de::opt_f64", skip_serializing_if = "Option::is_none")]
    pub discount: Option<f64>,
    #[serde(default, deserialize_with = "crate::de::opt_text", skip_serializing_if = "Option::is_none")]
    pub hsn: Option<String>,
    /// One of Shiprocket's documented reasons, free text accepted.
    #[serde(default, deserialize_with = "crate::de::opt_text", skip_serializing_if = "Option::is_none")]
    pub return_reason: Option<String>,
}

/// `POST orders/create/return` — a reverse pickup from the customer (`pickup_*`) to the shop
/// (`shipping_*`). The `order_id` is a new channel id for the return; a repeat is a 422 "already
/// been taken" (→ [`Error::Conflict`](crate::Error::Conflict)).
#[derive(Clone, PartialEq, Serialize, Deserialize)]
pub struct CreateReturn {
    pub order_id: String,
    pub order_date: String,
    #[serde(default, deserialize_with = "crate::de::opt_id", skip_serializing_if = "Option::is_none")]
    pub channel_id: Option<u64>,
    pub pickup_customer_name: String,
    #[serde(default, deserialize_with = "crate::de::opt_text", skip_serializing_if = "Option::is_none")]
    pub pickup_last_name: Option<String>,
    pub pickup_address: String,
    #[serde(default, deserialize_with = "crate::de::opt_text", skip_serializing_if = "Option::is_none")]
    pub pickup_address_2: Option<String>,
    pub pickup_city: String,
    pub pickup_state: String,
    pub pickup_country: String,
    #[serde(deserialize_with = "crate::de::text")]
    pub pickup_pincode: String,
    pub pickup_email: String,
    #[serde(deserialize_with = "crate::de::text")]
    pub pickup_phone: String,
    #[serde(default, deserialize_with = "crate::de::opt_text", skip_serializing_if = "Option::is_none")]
    pub pickup_isd_code: Option<String>,
    pub shipping_customer_name: String,
    #[serde(default, deserialize_with = "crate::de::opt_text", skip_serializing_if = "Option::is_none")]
    pub shipping_last_name: Option<String>,
    pub shipping_address: String,
    #[serde(default, deserialize_with = "crate::de::opt_text", skip_serializing_if = "Option::is_none")]
    pub shipping_address_2: Option<String>,
    pub shipping_city: String,
    pub shipping_country: String,
    #[serde(deserialize_with = "crate::de::text")]
    pub shipping_pincode: String,
    pub shipping_state: String,
    #[serde(default, deserialize_with = "crate::de::opt_text", skip_serializing_if = "Option::is_none")]
    pub shipping_email: Option<String>,
    #[serde(default, deserialize_with = "crate::de::opt_text", skip_serializing_if = "Option::is_none")]
    pub shipping_isd_code: Option<String>,
    #[serde(deserialize_with = "crate::de::text")]
    pub shipping_phone: String,
    pub order_items: Vec<ReturnItem>,
    /// Always `Prepaid` for returns.
    pub payment_method: String,
    #[serde(default, deserialize_with = "crate::de::opt_f64", skip_serializing_if = "Option::is_none")]
    pub total_discount: Option<f64>,
    #[serde(deserialize_with = "crate::de::f64")]
    pub sub_total: f64,
    #[serde(deserialize_with = "crate::de::f64")]
    pub length: f64,
    #[serde(deserialize_with = "crate::de::f64")]
    pub breadth: f64,
    #[serde(deserialize_with = "crate::de::f64")]
    pub height: f64,
    #[serde(deserialize_with = "crate::de::f64")]
    pub weight: f64,
}

impl fmt::Debug for CreateReturn {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CreateReturn")
            .field("order_id", &self.order_id)
            .field("items", &self.order_items.len())
            .field("sub_total", &self.sub_total)
            .finish_non_exhaustive()
    }
}

/// The created return order.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct CreatedReturn {
    #[serde(deserialize_with = "crate::de::u64")]
    pub order_id: u64,
    #[serde(default, deserialize_with = "crate::de::opt_id")]
    pub shipment_id: Option<u64>,
    #[serde(default, deserialize_with = "crate::de::opt_text")]
    pub status: Option<String>,
    /// Order-status space (21 Return Pending).
    #[serde(default, deserialize_with = "crate::de::opt_i64")]
    pub status_code: Option<i64>,
}

impl Endpoint for CreateReturn {
    type Response = CreatedReturn;
    const NAME: &'static str = "orders.create_return";
    const METHOD: Method = Method::POST;

    fn path(&self) -> Cow<'static, str> {
        "orders/create/return".into()
    }

    fn body(&self) -> Result<Option<serde_json::Value>> {
        refuse_if(self.order_items.is_empty(), "a return needs at least one item")?;
        to_body(self)
    }

    fn decode(&self, _status: u16, body: &[u8]) -> Result<CreatedReturn> {
        checked_json(body)
    }
}

/// A return order in the list.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct ReturnSummary {
    #[serde(deserialize_with = "crate::de::u64")]
    pub id: u64,
    #[serde(default, deserialize_with = "crate::de::opt_text")]
    pub channel_order_id: Option<String>,
    #[serde(default, deserialize_with = "crate::de::opt_id")]
    pub shipment_id: Option<u64>,
    #[serde(default, deserialize_with = "crate::de::opt_text")]
    pub status: Option<String>,
    #[serde(default, deserialize_with = "crate::de::opt_i64")]
    pub status_code: Option<i64>,
    #[serde(default, deserialize_with = "crate::time::lenient_datetime")]
    pub created_at: Option<DateTime<FixedOffset>>,
}

/// `GET orders/processing/return` — a page of return orders.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ListReturns {
    pub page: PageRequest,
}

impl Endpoint for ListReturns {
    type Response = Page<ReturnSummary>;
    const NAME: &'static str = "orders.list_returns";
    const METHOD: Method = Method::GET;

    fn path(&self) -> Cow<'static, str> {
        "orders/processing/return".into()
    }

    fn query(&self) -> Vec<(&'static str, String)> {
        let mut q = Vec::new();
        self.page.push(&mut q);
        q
    }

    fn decode(&self, _status: u16, body: &[u8]) -> Result<Page<ReturnSummary>> {
        decode_page(body)
    }
}
