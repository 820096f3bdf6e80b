//! Orders: `orders/create/adhoc`, `orders/update/adhoc`, `orders/address/update`,
//! `orders/cancel`, `orders/show/{id}`, `orders` (list).

use super::{Accepted, Endpoint, Page, PageRequest, checked_json, decode_accepted, decode_page, to_body};
use crate::error::{Error, Result};
use chrono::{DateTime, FixedOffset};
use reqwest::Method;
use serde::{Deserialize, Serialize};
use std::borrow::Cow;
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

/// `POST orders/create/adhoc` — creates an order and its shipment.
///
/// Not idempotent (quirk #9): a repeated `order_id` may hand back the existing, possibly
/// cancelled, order, or a 422. Look the order up with [`ListOrders::by_channel_order_id`] before
/// retrying a create whose outcome is unknown, and check [`CreatedOrder::is_cancelled`].
#[derive(Debug, Clone)]
pub struct CreateOrder(pub OrderPayload);

/// The created (or, on a repeat, the existing) order.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct CreatedOrder {
    /// Shiprocket's order id (not ours).
    #[serde(deserialize_with = "crate::de::u64")]
    pub order_id: u64,
    #[serde(default, deserialize_with = "crate::de::opt_id")]
    pub shipment_id: Option<u64>,
    #[serde(default, deserialize_with = "crate::de::opt_text")]
    pub status: Option<String>,
    /// Order-status space (1 New, 5 Canceled, ...).
    #[serde(default, deserialize_with = "crate::de::opt_i64")]
    pub status_code: Option<i64>,
    #[serde(default, deserialize_with = "crate::de::opt_text")]
    pub awb_code: Option<String>,
    #[serde(default, deserialize_with = "crate::de::opt_id")]
    pub courier_company_id: Option<u64>,
    #[serde(default, deserialize_with = "crate::de::opt_text")]
    pub courier_name: Option<String>,
}

/// Order-status codes that mean the order is dead (5 Canceled, 18 Cancellation Requested,
/// 54 Canceled before Dispatched).
const CANCELLED_ORDER_CODES: &[i64] = &[5, 18, 54];

fn is_cancelled(status_code: Option<i64>, status: Option<&str>) -> bool {
    status_code.is_some_and(|c| CANCELLED_ORDER_CODES.contains(&c))
        || status.is_some_and(|s| s.to_ascii_uppercase().contains("CANCEL"))
}

impl CreatedOrder {
    /// A create that returned an existing cancelled order (a real production failure mode):
    /// the order cannot be used; re-ship under a new channel order id.
    pub fn is_cancelled(&self) -> bool {
        is_cancelled(self.status_code, self.status.as_deref())
    }
}

impl Endpoint for CreateOrder {
    type Response = CreatedOrder;
    const NAME: &'static str = "orders.create";
    const METHOD: Method = Method::POST;

    fn path(&self) -> Cow<'static, str> {
        "orders/create/adhoc".into()
    }

    fn body(&self) -> Result<Option<serde_json::Value>> {
        self.0.validate()?;
        to_body(&self.0)
    }

    fn decode(&self, _status: u16, body: &[u8]) -> Result<CreatedOrder> {
        checked_json(body)
    }
}

/// `POST orders/update/adhoc` — same body as create, identified by our `order_id`. Only items
/// and `is_document` change, and only before an AWB exists; other fields are ignored and listed
/// in [`UpdatedOrder::not_updated_fields`].
#[derive(Debug, Clone)]
pub struct UpdateOrder(pub OrderPayload);

/// What an update changed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UpdatedOrder {
    pub order_id: u64,
    pub shipment_id: Option<u64>,
    pub partially_updated: bool,
    pub not_updated_fields: Vec<String>,
    pub new_status: Option<String>,
    pub old_status_code: Option<i64>,
}

#[derive(Deserialize)]
struct RawUpdated {
    #[serde(default = "crate::de::default_true", deserialize_with = "crate::de::flag")]
    success: bool,
    #[serde(default, deserialize_with = "crate::de::flag")]
    partially_update: bool,
    #[serde(default, deserialize_with = "crate::de::text_or_empty")]
    not_updated_fields: String,
    #[serde(deserialize_with = "crate::de::u64")]
    order_id: u64,
    #[serde(default, deserialize_with = "crate::de::opt_id")]
    shipment_id: Option<u64>,
    #[serde(default, deserialize_with = "crate::de::opt_text")]
    new_order_status: Option<String>,
    #[serde(default, deserialize_with = "crate::de::opt_i64")]
    old_order_status: Option<i64>,
}

impl Endpoint for UpdateOrder {
    type Response = UpdatedOrder;
    const NAME: &'static str = "orders.update";
    const METHOD: Method = Method::POST;

    fn path(&self) -> Cow<'static, str> {
        "orders/update/adhoc".into()
    }

    fn body(&self) -> Result<Option<serde_json::Value>> {
        self.0.validate()?;
        to_body(&self.0)
    }

    fn decode(&self, _status: u16, body: &[u8]) -> Result<UpdatedOrder> {
        let raw: RawUpdated = checked_json(body)?;
        if !raw.success {
            return Err(Error::validation("Shiprocket did not update the order"));
        }
        Ok(UpdatedOrder {
            order_id: raw.order_id,
            shipment_id: raw.shipment_id,
            partially_updated: raw.partially_update,
            not_updated_fields: raw
                .not_updated_fields
                .split(',')
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(str::to_owned)
                .collect(),
            new_status: raw.new_order_status,
            old_status_code: raw.old_order_status,
        })
    }
}

/// `POST orders/address/update` — replaces the delivery address of an order (Shiprocket's order
/// id), which `orders/update/adhoc` ignores. Success is 202 with an empty body; an unknown id
/// is a 422 "The selected order id is invalid.".
///
/// The reference names the endpoint, its success and that error only; the body's fields are
/// assumed to be the create body's `shipping_*` fields plus `order_id`, as Shiprocket's
/// published collection shows them.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UpdateDeliveryAddress {
    /// Shiprocket's order id (not our channel order id).
    pub order_id: u64,
    pub shipping_customer_name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub shipping_last_name: Option<String>,
    pub shipping_phone: String,
    pub shipping_address: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub shipping_address_2: Option<String>,
    pub shipping_city: String,
    pub shipping_state: String,
    pub shipping_country: String,
    pub shipping_pincode: String,
}

/// The order id only: the rest is personal data.
impl fmt::Debug for UpdateDeliveryAddress {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("UpdateDeliveryAddress").field("order_id", &self.order_id).finish_non_exhaustive()
    }
}

impl Endpoint for UpdateDeliveryAddress {
    type Response = Accepted;
    const NAME: &'static str = "orders.address_update";
    const METHOD: Method = Method::POST;

    fn path(&self) -> Cow<'static, str> {
        "orders/address/update".into()
    }

    fn body(&self) -> Result<Option<serde_json::Value>> {
        let mut fields = crate::error::FieldErrors::new();
        for (name, v) in [
            ("shipping_customer_name", &self.shipping_customer_name),
            ("shipping_phone", &self.shipping_phone),
            ("shipping_address", &self.shipping_address),
            ("shipping_city", &self.shipping_city),
            ("shipping_state", &self.shipping_state),
            ("shipping_country", &self.shipping_country),
            ("shipping_pincode", &self.shipping_pincode),
        ] {
            if v.trim().is_empty() {
                fields.entry(name.to_owned()).or_default().push("is required".to_owned());
            }
        }
        if !fields.is_empty() {
            return Err(Error::Validation { message: "the delivery address is incomplete".into(), fields });
        }
        to_body(self)
    }

    fn decode(&self, status: u16, body: &[u8]) -> Result<Accepted> {
        decode_accepted(status, body)
    }
}

/// `POST orders/cancel` — cancels orders by Shiprocket order id. Answers 204 and completes
/// asynchronously; an unknown id answers 500 "Trying to get property of non-object"
/// (→ [`Error::NotFound`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CancelOrders {
    pub ids: Vec<u64>,
}

impl Endpoint for CancelOrders {
    type Response = Accepted;
    const NAME: &'static str = "orders.cancel";
    const METHOD: Method = Method::POST;

    fn path(&self) -> Cow<'static, str> {
        "orders/cancel".into()
    }

    fn body(&self) -> Result<Option<serde_json::Value>> {
        if self.ids.is_empty() {
            return Err(Error::validation("no order ids to cancel"));
        }
        to_body(self)
    }

    fn decode(&self, status: u16, body: &[u8]) -> Result<Accepted> {
        decode_accepted(status, body)
    }
}

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
