//! The shop's order, and the Shiprocket create-order draft built from it.
//!
//! [`ShiprocketOrderDraft`] mirrors the body of `orders/create/adhoc` field by field, with our
//! validated types in place of strings. It deliberately does not use the client crate's types:
//! the worker maps one onto the other, so this crate stays free of I/O dependencies.
//!
//! Money follows one reading of Shiprocket, chosen so that no reading double-counts:
//! - `selling_price` is per unit and GST-inclusive; `discount` is per unit, off that price.
//! - `sub_total` = Σ (unit price − unit discount) × units: the goods, net of discounts, without
//!   shipping. Shiprocket does not compute it (quirk #10), so we do.
//! - `shipping_charges` is sent on its own. `total_discount`, `giftwrap_charges` and
//!   `transaction_charges` are never sent: the discounts are already inside `sub_total`.
//! - The order total is `sub_total + shipping_charges`; for COD that is what the courier
//!   collects, and the shop's COD amount must equal it.

use crate::contact::{Email, Phone, Pincode};
use crate::error::{AddressField, DomainError, Field, LineField};
use crate::ids::{ChannelOrderId, ShopOrderId};
use crate::measure::{Dimensions, Weight};
use crate::money::Money;
use crate::package::{Package, PackageDefaults};
use chrono::{DateTime, FixedOffset, Utc};
use serde::{Deserialize, Serialize};
use std::fmt;

/// India Standard Time. Shiprocket reads `order_date` as IST wall-clock time.
const IST: FixedOffset = match FixedOffset::east_opt(5 * 3600 + 30 * 60) {
    Some(offset) => offset,
    None => panic!("IST is a valid offset"),
};

/// Shiprocket's limit on pickup location nicknames (`settings/company/addpickup`).
const MAX_PICKUP_LOCATION_CHARS: usize = 36;
/// Shiprocket's limit on `billing_city` / `shipping_city`.
const MAX_CITY_CHARS: usize = 30;
/// Shiprocket's minimum for `billing_address` on `orders/create`.
const MIN_ADDRESS_CHARS: usize = 3;

/// An order as the shop sends it once paid (or confirmed as COD).
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Clone, PartialEq, Serialize, Deserialize)]
pub struct ShopOrder {
    pub id: ShopOrderId,
    pub placed_at: DateTime<Utc>,
    pub items: Vec<OrderLine>,
    pub customer: Customer,
    pub billing: Address,
    /// Absent or null: ship to the billing address.
    #[serde(default)]
    pub shipping: Option<Address>,
    pub payment: Payment,
    #[serde(default)]
    pub gift_message: Option<String>,
    #[serde(default)]
    pub shipping_charges: Money,
    /// The courier the customer picked at checkout: a `courier_id` from `/v1/rates`. The worker
    /// books it while it still serves the lane, else the configured preference (and says why).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(minimum = 1))]
    pub courier_id: Option<u64>,
}

/// Ids, counts and amounts only: the rest is personal data.
impl fmt::Debug for ShopOrder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ShopOrder")
            .field("id", &self.id)
            .field("placed_at", &self.placed_at)
            .field("items", &self.items)
            .field("customer", &self.customer)
            .field("billing", &self.billing)
            .field("shipping", &self.shipping)
            .field("payment", &self.payment)
            .field("gift_message", &self.gift_message.as_ref().map(|m| format!("<{} chars>", m.chars().count())))
            .field("shipping_charges", &self.shipping_charges)
            .field("courier_id", &self.courier_id)
            .finish()
    }
}

/// One product line.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OrderLine {
    pub sku: String,
    pub name: String,
    pub units: u32,
    /// Per unit, GST-inclusive: Shiprocket's `selling_price`.
    pub unit_price: Money,
    /// Per unit, off `unit_price`; at most `unit_price`. A shop with an order-level coupon
    /// spreads it over the lines before sending the order.
    #[serde(default)]
    pub discount: Money,
    /// GST rate in percent (0–100), informational: the price already includes it.
    #[serde(default)]
    pub tax_percent: f64,
    #[serde(default)]
    pub hsn: Option<String>,
    /// Per unit. Absent: the configured default item weight ([`PackageDefaults::item_weight`]).
    #[serde(default)]
    pub weight: Option<Weight>,
    /// Per unit. Absent: the configured default size ([`PackageDefaults::dimensions`]).
    #[serde(default)]
    pub dimensions: Option<Dimensions>,
}

/// How to reach the buyer. `Debug` masks both.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Customer {
    pub email: Email,
    pub phone: Phone,
}

/// A postal address with the name of whoever is there.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Address {
    pub first_name: String,
    #[serde(default)]
    pub last_name: Option<String>,
    pub line1: String,
    #[serde(default)]
    pub line2: Option<String>,
    pub city: String,
    pub state: String,
    #[serde(default = "india")]
    pub country: String,
    pub pincode: Pincode,
    /// Absent or null: the customer's phone.
    #[serde(default)]
    pub phone: Option<Phone>,
}

fn india() -> String {
    "India".to_owned()
}

/// City, state and pincode only: names and street lines are personal data.
impl fmt::Debug for Address {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Address")
            .field("city", &self.city)
            .field("state", &self.state)
            .field("pincode", &self.pincode)
            .finish_non_exhaustive()
    }
}

/// How the order is paid.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "method", rename_all = "snake_case")]
pub enum Payment {
    Prepaid,
    /// Cash on delivery; `amount` is what the courier must collect.
    Cod {
        amount: Money,
    },
}

/// Shiprocket's `payment_method`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum PaymentMethod {
    #[serde(rename = "Prepaid")]
    Prepaid,
    #[serde(rename = "COD")]
    Cod,
}

/// Settings the draft needs besides the order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DraftOptions {
    /// Nickname of an existing Shiprocket pickup location (≤ 36 characters).
    pub pickup_location: String,
    /// 0 for the order's own parcel; n for the replacement of its n-th exchange (see
    /// [`ChannelOrderId::for_parcel`]).
    pub exchange: u32,
    /// 0 for the first create of the parcel; n for its n-th re-shipment.
    pub reship_attempt: u32,
    pub package_defaults: PackageDefaults,
}

/// One `order_items[]` entry of `orders/create/adhoc`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DraftItem {
    pub name: String,
    pub sku: String,
    pub units: u32,
    /// Per unit, GST-inclusive.
    pub selling_price: Money,
    /// Per unit.
    pub discount: Money,
    /// Percent.
    pub tax: f64,
    pub hsn: Option<String>,
}

/// The body of `orders/create/adhoc`, validated, in our types. Field names are Shiprocket's,
/// except the three marked "not sent", which the worker keeps for its records.
///
/// Shiprocket's `length`, `breadth`, `height` and `weight` are `package.dimensions` and
/// `package.actual_weight` (kg, cm).
#[derive(Clone, PartialEq, Serialize, Deserialize)]
pub struct ShiprocketOrderDraft {
    pub order_id: ChannelOrderId,
    /// `YYYY-MM-DD HH:MM`, India Standard Time.
    pub order_date: String,
    pub pickup_location: String,
    /// The gift message, if any.
    pub comment: Option<String>,
    pub billing_customer_name: String,
    pub billing_last_name: Option<String>,
    pub billing_address: String,
    pub billing_address_2: Option<String>,
    pub billing_city: String,
    pub billing_pincode: Pincode,
    pub billing_state: String,
    pub billing_country: String,
    pub billing_email: Email,
    pub billing_phone: Phone,
    /// When true every `shipping_*` field is `None`; when false the required ones are `Some`.
    pub shipping_is_billing: bool,
    pub shipping_customer_name: Option<String>,
    pub shipping_last_name: Option<String>,
    pub shipping_address: Option<String>,
    pub shipping_address_2: Option<String>,
    pub shipping_city: Option<String>,
    pub shipping_pincode: Option<Pincode>,
    pub shipping_state: Option<String>,
    pub shipping_country: Option<String>,
    pub shipping_phone: Option<Phone>,
    pub order_items: Vec<DraftItem>,
    pub payment_method: PaymentMethod,
    pub shipping_charges: Money,
    /// Σ (selling_price − discount) × units; see the module documentation.
    pub sub_total: Money,
    /// Not sent: `sub_total + shipping_charges`, the total Shiprocket shows and a COD courier
    /// collects.
    pub order_total: Money,
    /// Not sent: for COD, the amount the courier collects (= `order_total`); `None` if prepaid.
    pub cod_amount: Option<Money>,
    /// Not sent as such: the parcel, with what was defaulted.
    pub package: Package,
}

/// Ids, amounts and the parcel only: the rest is personal data.
impl fmt::Debug for ShiprocketOrderDraft {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ShiprocketOrderDraft")
            .field("order_id", &self.order_id)
            .field("pickup_location", &self.pickup_location)
            .field("billing_pincode", &self.billing_pincode)
            .field("shipping_is_billing", &self.shipping_is_billing)
            .field("shipping_pincode", &self.shipping_pincode)
            .field("items", &self.order_items.len())
            .field("payment_method", &self.payment_method)
            .field("sub_total", &self.sub_total)
            .field("shipping_charges", &self.shipping_charges)
            .field("cod_amount", &self.cod_amount)
            .field("package", &self.package)
            .finish_non_exhaustive()
    }
}

impl ShiprocketOrderDraft {
    /// Validates `order` and builds the create-order body for the parcel `options` names.
    pub fn build(order: &ShopOrder, options: &DraftOptions) -> Result<ShiprocketOrderDraft, DomainError> {
        let order_id = ChannelOrderId::for_parcel(&order.id, options.exchange, options.reship_attempt)?;
        let pickup_location = options.pickup_location.trim();
        if pickup_location.is_empty() {
            return Err(DomainError::invalid(Field::PickupLocation, "is empty"));
        }
        if pickup_location.chars().count() > MAX_PICKUP_LOCATION_CHARS {
            return Err(DomainError::invalid(Field::PickupLocation, "is longer than 36 characters"));
        }

        let order_items =
            order.items.iter().enumerate().map(|(i, l)| draft_item(i, l)).collect::<Result<Vec<_>, _>>()?;
        let package = Package::for_lines(&order.items, &options.package_defaults)?;
        let sub_total = sub_total(&order_items)?;
        let order_total = sub_total
            .checked_add(order.shipping_charges)
            .ok_or_else(|| DomainError::invalid(Field::ShippingCharges, "makes the order total too large"))?;
        let (payment_method, cod_amount) = match order.payment {
            Payment::Prepaid => (PaymentMethod::Prepaid, None),
            Payment::Cod { amount } => {
                if amount.is_zero() {
                    return Err(DomainError::invalid(Field::CodAmount, "must be more than ₹0; use prepaid"));
                }
                if amount != order_total {
                    return Err(DomainError::invalid(
                        Field::CodAmount,
                        format!(
                            "{amount} differs from the order total {order_total} (items {sub_total} + shipping {}); \
                             the courier collects the order total, partial COD is not supported",
                            order.shipping_charges
                        ),
                    ));
                }
                (PaymentMethod::Cod, Some(amount))
            }
        };

        let billing = checked_address(&order.billing, Field::Billing)?;
        let shipping = match &order.shipping {
            Some(s) if s != &order.billing => Some(checked_address(s, Field::Shipping)?),
            _ => None,
        };

        Ok(ShiprocketOrderDraft {
            order_id,
            order_date: order.placed_at.with_timezone(&IST).format("%Y-%m-%d %H:%M").to_string(),
            pickup_location: pickup_location.to_owned(),
            comment: gift_comment(order.gift_message.as_deref()),
            billing_customer_name: billing.first_name,
            billing_last_name: billing.last_name,
            billing_address: billing.line1,
            billing_address_2: billing.line2,
            billing_city: billing.city,
            billing_pincode: billing.pincode,
            billing_state: billing.state,
            billing_country: billing.country,
            billing_email: order.customer.email.clone(),
            billing_phone: billing.phone.unwrap_or_else(|| order.customer.phone.clone()),
            shipping_is_billing: shipping.is_none(),
            shipping_customer_name: shipping.as_ref().map(|s| s.first_name.clone()),
            shipping_last_name: shipping.as_ref().and_then(|s| s.last_name.clone()),
            shipping_address: shipping.as_ref().map(|s| s.line1.clone()),
            shipping_address_2: shipping.as_ref().and_then(|s| s.line2.clone()),
            shipping_city: shipping.as_ref().map(|s| s.city.clone()),
            shipping_pincode: shipping.as_ref().map(|s| s.pincode.clone()),
            shipping_state: shipping.as_ref().map(|s| s.state.clone()),
            shipping_country: shipping.as_ref().map(|s| s.country.clone()),
            shipping_phone: shipping.as_ref().map(|s| s.phone.clone().unwrap_or_else(|| order.customer.phone.clone())),
            order_items,
            payment_method,
            shipping_charges: order.shipping_charges,
            sub_total,
            order_total,
            cod_amount,
            package,
        })
    }
}

fn draft_item(index: usize, line: &OrderLine) -> Result<DraftItem, DomainError> {
    let bad = |field: LineField, reason: &str| DomainError::invalid(Field::Line { index, field }, reason);
    let sku = line.sku.trim();
    if sku.is_empty() {
        return Err(bad(LineField::Sku, "is empty"));
    }
    let name = line.name.trim();
    if name.is_empty() {
        return Err(bad(LineField::Name, "is empty"));
    }
    if line.units == 0 {
        return Err(bad(LineField::Units, "must be at least 1"));
    }
    if line.discount > line.unit_price {
        return Err(bad(LineField::Discount, "is more than the unit price"));
    }
    if !(line.tax_percent.is_finite() && (0.0..=100.0).contains(&line.tax_percent)) {
        return Err(bad(LineField::TaxPercent, "must be between 0 and 100"));
    }
    let hsn = match line.hsn.as_deref().map(str::trim) {
        None | Some("") => None,
        Some(h) if (2..=8).contains(&h.len()) && h.bytes().all(|b| b.is_ascii_digit()) => Some(h.to_owned()),
        Some(_) => return Err(bad(LineField::Hsn, "must be 2 to 8 digits")),
    };
    Ok(DraftItem {
        name: name.to_owned(),
        sku: sku.to_owned(),
        units: line.units,
        selling_price: line.unit_price,
        discount: line.discount,
        tax: line.tax_percent,
        hsn,
    })
}

fn sub_total(items: &[DraftItem]) -> Result<Money, DomainError> {
    items.iter().try_fold(Money::ZERO, |acc, item| {
        item.selling_price
            .checked_sub(item.discount)
            .and_then(|net| net.checked_mul(u64::from(item.units)))
            .and_then(|line| acc.checked_add(line))
            .ok_or_else(|| DomainError::invalid(Field::SubTotal, "is too large"))
    })
}

/// An address with its text trimmed, optional parts `None` when blank, and the required parts
/// checked.
fn checked_address(a: &Address, field: fn(AddressField) -> Field) -> Result<Address, DomainError> {
    let required = |part: AddressField, value: &str, min: usize, max: Option<usize>| {
        let v = value.trim();
        let n = v.chars().count();
        if n == 0 {
            return Err(DomainError::invalid(field(part), "is empty"));
        }
        if n < min {
            return Err(DomainError::invalid(field(part), format!("needs at least {min} characters")));
        }
        if let Some(max) = max
            && n > max
        {
            return Err(DomainError::invalid(field(part), format!("is longer than {max} characters")));
        }
        Ok(v.to_owned())
    };
    let optional = |v: &Option<String>| v.as_deref().map(str::trim).filter(|s| !s.is_empty()).map(str::to_owned);
    Ok(Address {
        first_name: required(AddressField::FirstName, &a.first_name, 1, None)?,
        last_name: optional(&a.last_name),
        line1: required(AddressField::Line1, &a.line1, MIN_ADDRESS_CHARS, None)?,
        line2: optional(&a.line2),
        city: required(AddressField::City, &a.city, 1, Some(MAX_CITY_CHARS))?,
        state: required(AddressField::State, &a.state, 1, None)?,
        country: required(AddressField::Country, &a.country, 1, None)?,
        pincode: a.pincode.clone(),
        phone: a.phone.clone(),
    })
}

/// The gift message as Shiprocket's `comment`. A comment starting with `Reseller:` is printed as
/// the parcel's "From" name, so a message that happens to start that way is prefixed.
fn gift_comment(message: Option<&str>) -> Option<String> {
    let m = message.map(str::trim).filter(|m| !m.is_empty())?;
    let looks_like_reseller = m.get(..9).is_some_and(|p| p.eq_ignore_ascii_case("reseller:"));
    Some(if looks_like_reseller { format!("Gift message: {m}") } else { m.to_owned() })
}
