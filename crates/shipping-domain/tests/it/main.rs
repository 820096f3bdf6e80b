//! Behaviour tests of shipping-domain: one binary, one module per area.
#![allow(clippy::unwrap_used)]

mod courier;
mod edit;
mod merge;
mod merge_props;
mod order_mapping;
mod package;
mod parsing_props;
mod returns;
mod status_tables;

mod support {
    use chrono::{TimeZone, Utc};
    use shipping_domain::{
        Address, Customer, Dimensions, DraftOptions, Email, Money, OrderLine, PackageDefaults, Payment, Phone, Pincode,
        ShopOrder, ShopOrderId, Weight,
    };

    /// A line with no discount, tax, HSN, weight or size.
    pub fn line(sku: &str, units: u32, unit_price_paise: u64) -> OrderLine {
        OrderLine {
            sku: sku.into(),
            name: format!("Product {sku}"),
            units,
            unit_price: Money::from_paise(unit_price_paise),
            discount: Money::ZERO,
            tax_percent: 0.0,
            hsn: None,
            weight: None,
            dimensions: None,
        }
    }

    pub trait LineExt {
        fn weight(self, w: Weight) -> Self;
        fn dims(self, d: Dimensions) -> Self;
        fn discount(self, paise: u64) -> Self;
    }

    impl LineExt for OrderLine {
        fn weight(mut self, w: Weight) -> Self {
            self.weight = Some(w);
            self
        }
        fn dims(mut self, d: Dimensions) -> Self {
            self.dimensions = Some(d);
            self
        }
        fn discount(mut self, paise: u64) -> Self {
            self.discount = Money::from_paise(paise);
            self
        }
    }

    pub fn address(first_name: &str, line1: &str, city: &str, pincode: &str) -> Address {
        Address {
            first_name: first_name.into(),
            last_name: Some("Kulkarni".into()),
            line1: line1.into(),
            line2: None,
            city: city.into(),
            state: "Maharashtra".into(),
            country: "India".into(),
            pincode: Pincode::parse(pincode).unwrap(),
            phone: None,
        }
    }

    /// A prepaid order of two lines to Pune, ₹50 shipping.
    pub fn order() -> ShopOrder {
        ShopOrder {
            id: ShopOrderId::parse("WEB-1001").unwrap(),
            placed_at: Utc.with_ymd_and_hms(2024, 7, 1, 18, 45, 0).single().unwrap(),
            items: vec![line("MUG-01", 2, 49_950).discount(5_000), line("CARD-07", 1, 9_900)],
            customer: Customer {
                email: Email::parse("asha.kulkarni@example.com").unwrap(),
                phone: Phone::parse("+91 98000 00001").unwrap(),
            },
            billing: address("Asha", "Flat 12, Sunshine Apartments", "Pune", "411001"),
            shipping: None,
            payment: Payment::Prepaid,
            gift_message: None,
            shipping_charges: Money::from_paise(5_000),
            courier_id: None,
        }
    }

    pub fn options() -> DraftOptions {
        DraftOptions {
            pickup_location: "Primary".into(),
            exchange: 0,
            reship_attempt: 0,
            package_defaults: PackageDefaults::default(),
        }
    }
}
