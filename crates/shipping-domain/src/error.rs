//! The one error type of this crate.
//!
//! Every rejection names the field and says why in words an operator can act on. Reasons never
//! repeat the rejected input: phones, e-mails and addresses are personal data, and these errors
//! end up in logs and API responses.

use std::fmt;

/// What was wrong, and where.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum DomainError {
    /// A value failed validation.
    #[error("invalid {field}: {reason}")]
    Invalid { field: Field, reason: String },

    /// No courier quote is left to choose from.
    #[error("no courier available: {0}")]
    NoCourier(NoCourier),
}

impl DomainError {
    pub(crate) fn invalid(field: Field, reason: impl Into<String>) -> Self {
        DomainError::Invalid { field, reason: reason.into() }
    }

    /// The field an [`DomainError::Invalid`] is about.
    pub fn field(&self) -> Option<Field> {
        match self {
            DomainError::Invalid { field, .. } => Some(*field),
            DomainError::NoCourier(_) => None,
        }
    }
}

/// Why courier choice found nothing. The worker tells these apart: no quotes at all means the lane
/// is not serviceable; quotes without COD means the order could ship prepaid.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum NoCourier {
    /// The quote list was empty.
    NoQuotes,
    /// The order is COD and none of the `quotes` couriers collects cash.
    NoCodCourier { quotes: usize },
}

impl fmt::Display for NoCourier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            NoCourier::NoQuotes => f.write_str("no courier serves this lane"),
            NoCourier::NoCodCourier { quotes } => {
                write!(f, "none of the {quotes} serviceable couriers offers cash on delivery")
            }
        }
    }
}

/// Which value was rejected. `Display` gives a stable, log-friendly path such as `pincode`,
/// `items[2].sku` or `shipping.city`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Field {
    Pincode,
    Phone,
    Email,
    Weight,
    Length,
    Breadth,
    Height,
    Money,
    ShopOrderId,
    ChannelOrderId,
    ShipmentId,
    ShiprocketOrderId,
    Awb,
    /// The order's item list as a whole (e.g. empty).
    Items,
    /// One field of one order line; `index` counts from 0.
    Line {
        index: usize,
        field: LineField,
    },
    Billing(AddressField),
    Shipping(AddressField),
    CodAmount,
    SubTotal,
    ShippingCharges,
    PickupLocation,
    GiftMessage,
    /// The computed package (weight or size out of range).
    Package,
}

/// A field of an order line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum LineField {
    Sku,
    Name,
    Units,
    UnitPrice,
    Discount,
    TaxPercent,
    Hsn,
}

/// A field of an address.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum AddressField {
    FirstName,
    Line1,
    City,
    State,
    Country,
}

impl fmt::Display for Field {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let simple = match self {
            Field::Pincode => "pincode",
            Field::Phone => "phone",
            Field::Email => "email",
            Field::Weight => "weight",
            Field::Length => "length",
            Field::Breadth => "breadth",
            Field::Height => "height",
            Field::Money => "amount",
            Field::ShopOrderId => "shop_order_id",
            Field::ChannelOrderId => "channel_order_id",
            Field::ShipmentId => "shipment_id",
            Field::ShiprocketOrderId => "shiprocket_order_id",
            Field::Awb => "awb",
            Field::Items => "items",
            Field::CodAmount => "cod_amount",
            Field::SubTotal => "sub_total",
            Field::ShippingCharges => "shipping_charges",
            Field::PickupLocation => "pickup_location",
            Field::GiftMessage => "gift_message",
            Field::Package => "package",
            Field::Line { index, field } => return write!(f, "items[{index}].{field}"),
            Field::Billing(a) => return write!(f, "billing.{a}"),
            Field::Shipping(a) => return write!(f, "shipping.{a}"),
        };
        f.write_str(simple)
    }
}

impl fmt::Display for LineField {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            LineField::Sku => "sku",
            LineField::Name => "name",
            LineField::Units => "units",
            LineField::UnitPrice => "unit_price",
            LineField::Discount => "discount",
            LineField::TaxPercent => "tax_percent",
            LineField::Hsn => "hsn",
        })
    }
}

impl fmt::Display for AddressField {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            AddressField::FirstName => "first_name",
            AddressField::Line1 => "line1",
            AddressField::City => "city",
            AddressField::State => "state",
            AddressField::Country => "country",
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_name_the_field_path() {
        let e = DomainError::invalid(Field::Line { index: 2, field: LineField::Sku }, "is empty");
        assert_eq!(e.to_string(), "invalid items[2].sku: is empty");
        let e = DomainError::invalid(Field::Shipping(AddressField::City), "is empty");
        assert_eq!(e.to_string(), "invalid shipping.city: is empty");
        assert_eq!(e.field(), Some(Field::Shipping(AddressField::City)));
        let e = DomainError::NoCourier(NoCourier::NoCodCourier { quotes: 3 });
        assert_eq!(e.to_string(), "no courier available: none of the 3 serviceable couriers offers cash on delivery");
        assert_eq!(e.field(), None);
    }
}
