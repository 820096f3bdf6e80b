//! Reading orders back: `orders/show/{id}` and `orders` (list), and the order and shipment
//! shapes they answer with.

use super::{PaymentMethod, is_cancelled};
use crate::endpoints::{Endpoint, Page, PageRequest, checked_json, decode_page};
use crate::error::Result;
use chrono::{DateTime, FixedOffset};
use reqwest::Method;
use serde::Deserialize;
use std::borrow::Cow;

/// A shipment as order endpoints describe it.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct OrderShipment {
    #[serde(deserialize_with = "crate::de::u64")]
    pub id: u64,
    #[serde(default, alias = "awb_code", deserialize_with = "crate::de::opt_text_na")]
    pub awb: Option<String>,
    #[serde(default, alias = "courier_name", deserialize_with = "crate::de::opt_text_na")]
    pub courier: Option<String>,
    #[serde(default, deserialize_with = "crate::de::opt_f64")]
    pub weight: Option<f64>,
    #[serde(default, deserialize_with = "crate::time::lenient_datetime")]
    pub pickup_scheduled_date: Option<DateTime<FixedOffset>>,
    #[serde(default, deserialize_with = "crate::time::lenient_datetime")]
    pub etd: Option<DateTime<FixedOffset>>,
    #[serde(default, deserialize_with = "crate::time::lenient_datetime")]
    pub delivered_date: Option<DateTime<FixedOffset>>,
    #[serde(default, deserialize_with = "crate::time::lenient_datetime")]
    pub rto_delivered_date: Option<DateTime<FixedOffset>>,
}

/// An order as the list and show endpoints describe it (customer fields left out on purpose).
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct OrderSummary {
    /// Shiprocket's order id.
    #[serde(deserialize_with = "crate::de::u64")]
    pub id: u64,
    /// Our order id.
    #[serde(deserialize_with = "crate::de::text")]
    pub channel_order_id: String,
    #[serde(default, deserialize_with = "crate::de::opt_id")]
    pub channel_id: Option<u64>,
    #[serde(default, deserialize_with = "crate::de::opt_text")]
    pub status: Option<String>,
    /// Order-status space.
    #[serde(default, deserialize_with = "crate::de::opt_i64")]
    pub status_code: Option<i64>,
    #[serde(default)]
    pub payment_method: Option<PaymentMethod>,
    #[serde(default, deserialize_with = "crate::de::opt_f64")]
    pub total: Option<f64>,
    #[serde(default, deserialize_with = "crate::de::opt_text")]
    pub pickup_location: Option<String>,
    #[serde(default, deserialize_with = "crate::time::lenient_datetime")]
    pub created_at: Option<DateTime<FixedOffset>>,
    /// An array in the list, an object in show: both become a list here.
    #[serde(default, deserialize_with = "one_or_many")]
    pub shipments: Vec<OrderShipment>,
}

impl OrderSummary {
    pub fn is_cancelled(&self) -> bool {
        is_cancelled(self.status_code, self.status.as_deref())
    }
}

fn one_or_many<'de, D: serde::Deserializer<'de>>(d: D) -> std::result::Result<Vec<OrderShipment>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Shape {
        Many(Vec<OrderShipment>),
        One(OrderShipment),
        Other(serde::de::IgnoredAny),
    }
    Ok(match Option::<Shape>::deserialize(d)? {
        Some(Shape::Many(v)) => v,
        Some(Shape::One(s)) => vec![s],
        Some(Shape::Other(_)) | None => Vec::new(),
    })
}

/// `GET orders/show/{id}` — one order by Shiprocket order id. Unknown id → 400 "Order ID not
/// found" (→ [`Error::NotFound`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ShowOrder {
    pub id: u64,
}

impl Endpoint for ShowOrder {
    type Response = OrderSummary;
    const NAME: &'static str = "orders.show";
    const METHOD: Method = Method::GET;

    fn path(&self) -> Cow<'static, str> {
        format!("orders/show/{}", self.id).into()
    }

    fn decode(&self, _status: u16, body: &[u8]) -> Result<OrderSummary> {
        #[derive(Deserialize)]
        struct Raw {
            data: OrderSummary,
        }
        let raw: Raw = checked_json(body)?;
        Ok(raw.data)
    }
}

/// `GET orders` — a page of orders, optionally searched by our channel order id or an AWB.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ListOrders {
    pub page: PageRequest,
    /// AWB or channel order id.
    pub search: Option<String>,
    /// Comma list of order-status codes (`filter_by=status`).
    pub status_codes: Vec<i64>,
    /// `updated_from`/`updated_to` (`yyyy-mm-dd`, at most 30 days apart).
    pub updated_between: Option<(String, String)>,
}

impl ListOrders {
    /// The lookup to run before re-sending a create whose outcome is unknown.
    pub fn by_channel_order_id(channel_order_id: impl Into<String>) -> Self {
        ListOrders { search: Some(channel_order_id.into()), ..ListOrders::default() }
    }
}

impl Endpoint for ListOrders {
    type Response = Page<OrderSummary>;
    const NAME: &'static str = "orders.list";
    const METHOD: Method = Method::GET;

    fn path(&self) -> Cow<'static, str> {
        "orders".into()
    }

    fn query(&self) -> Vec<(&'static str, String)> {
        let mut q = Vec::new();
        self.page.push(&mut q);
        if let Some(s) = &self.search {
            q.push(("search", s.clone()));
        }
        if !self.status_codes.is_empty() {
            q.push(("filter_by", "status".into()));
            let codes: Vec<String> = self.status_codes.iter().map(i64::to_string).collect();
            q.push(("filter", codes.join(",")));
        }
        if let Some((from, to)) = &self.updated_between {
            q.push(("updated_from", from.clone()));
            q.push(("updated_to", to.clone()));
        }
        q
    }

    fn decode(&self, _status: u16, body: &[u8]) -> Result<Page<OrderSummary>> {
        decode_page(body)
    }
}
