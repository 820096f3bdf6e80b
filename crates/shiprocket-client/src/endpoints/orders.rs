//! Orders: `orders/create/adhoc`, `orders/update/adhoc`, `orders/address/update`,
//! `orders/cancel`, `orders/show/{id}`, `orders` (list).

mod lookup;
mod payload;

pub use lookup::{ListOrders, OrderShipment, OrderSummary, ShowOrder};
pub use payload::{OrderItem, OrderPayload, PaymentMethod};

use super::{Accepted, Endpoint, checked_json, decode_accepted, refuse_if, to_body};
use crate::error::{Error, Result};
use reqwest::Method;
use serde::{Deserialize, Serialize};
use std::borrow::Cow;
use std::fmt;

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
        refuse_if(self.ids.is_empty(), "no order ids to cancel")?;
        to_body(self)
    }

    fn decode(&self, status: u16, body: &[u8]) -> Result<Accepted> {
        decode_accepted(status, body)
    }
}
