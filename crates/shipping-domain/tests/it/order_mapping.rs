//! The shop's order → Shiprocket create-order draft.

use crate::support::{LineExt, address, line, options, order};
use shipping_domain::{
    AddressField, DomainError, DraftOptions, Field, LineField, Money, Payment, PaymentMethod, Phone,
    ShiprocketOrderDraft, ShopOrder, ShopOrderId, replacement_order,
};

fn build(o: &ShopOrder) -> Result<ShiprocketOrderDraft, DomainError> {
    ShiprocketOrderDraft::build(o, &options())
}

#[test]
fn sub_total_is_the_goods_net_of_discounts_without_shipping() {
    let d = build(&order()).unwrap();
    // 2 × (₹499.50 − ₹50.00) + 1 × ₹99.00 = ₹998.00; shipping ₹50 on top.
    assert_eq!(d.sub_total, Money::from_paise(99_800));
    assert_eq!(d.shipping_charges, Money::from_paise(5_000));
    assert_eq!(d.order_total, Money::from_paise(104_800));
    assert_eq!(d.payment_method, PaymentMethod::Prepaid);
    assert_eq!(d.cod_amount, None);
}

#[test]
fn items_carry_sku_units_price_discount_tax_and_hsn() {
    let mut o = order();
    o.items[0].tax_percent = 18.0;
    o.items[0].hsn = Some(" 6912 ".into());
    o.items[1].hsn = Some(String::new());
    let d = build(&o).unwrap();
    let mug = &d.order_items[0];
    assert_eq!((mug.sku.as_str(), mug.name.as_str(), mug.units), ("MUG-01", "Product MUG-01", 2));
    assert_eq!((mug.selling_price, mug.discount), (Money::from_paise(49_950), Money::from_paise(5_000)));
    assert!((mug.tax - 18.0).abs() < f64::EPSILON);
    assert_eq!(mug.hsn.as_deref(), Some("6912"));
    assert_eq!(d.order_items[1].hsn, None);
    assert_eq!(d.order_items[1].discount, Money::ZERO);
}

#[test]
fn cod_amount_is_what_the_courier_collects_and_must_match_the_total() {
    let mut o = order();
    o.payment = Payment::Cod { amount: Money::from_paise(104_800) };
    let d = build(&o).unwrap();
    assert_eq!(d.payment_method, PaymentMethod::Cod);
    assert_eq!(d.cod_amount, Some(Money::from_paise(104_800)));

    // Forgot the shipping charge.
    o.payment = Payment::Cod { amount: Money::from_paise(99_800) };
    assert_eq!(
        build(&o).unwrap_err(),
        DomainError::Invalid {
            field: Field::CodAmount,
            reason: "₹998.00 differs from the order total ₹1048.00 (items ₹998.00 + shipping ₹50.00); \
                     the courier collects the order total, partial COD is not supported"
                .into()
        }
    );
    o.payment = Payment::Cod { amount: Money::ZERO };
    assert_eq!(build(&o).unwrap_err().field(), Some(Field::CodAmount));
}

#[test]
fn shipping_is_billing_when_there_is_no_other_address() {
    let d = build(&order()).unwrap();
    assert!(d.shipping_is_billing);
    assert_eq!((d.shipping_customer_name.as_deref(), d.shipping_pincode.as_ref()), (None, None));
    assert_eq!(d.billing_customer_name, "Asha");
    assert_eq!(d.billing_pincode.as_str(), "411001");
    assert_eq!(d.billing_phone.as_str(), "9800000001");
    assert_eq!(d.billing_email.as_str(), "asha.kulkarni@example.com");

    // The same address given twice is still "same as billing".
    let mut o = order();
    o.shipping = Some(o.billing.clone());
    assert!(build(&o).unwrap().shipping_is_billing);
}

#[test]
fn a_gift_to_someone_else_fills_the_shipping_fields() {
    let mut o = order();
    let mut to = address("Ravi", "  12 MG Road ", "Bengaluru", "560001");
    to.line2 = Some("   ".into());
    to.phone = Some(Phone::parse("07000000002").unwrap());
    o.shipping = Some(to);
    let d = build(&o).unwrap();
    assert!(!d.shipping_is_billing);
    assert_eq!(d.shipping_customer_name.as_deref(), Some("Ravi"));
    assert_eq!(d.shipping_address.as_deref(), Some("12 MG Road"));
    assert_eq!(d.shipping_address_2, None);
    assert_eq!(d.shipping_city.as_deref(), Some("Bengaluru"));
    assert_eq!(d.shipping_pincode.as_ref().map(|p| p.as_str()), Some("560001"));
    assert_eq!(d.shipping_phone.as_ref().map(Phone::as_str), Some("7000000002"));
    assert_eq!(d.shipping_country.as_deref(), Some("India"));

    // Without a phone of their own, the customer's is used.
    o.shipping.as_mut().unwrap().phone = None;
    assert_eq!(build(&o).unwrap().shipping_phone.as_ref().map(Phone::as_str), Some("9800000001"));
}

#[test]
fn reshipments_get_the_next_suffix() {
    let o = order();
    let first = ShiprocketOrderDraft::build(&o, &options()).unwrap();
    assert_eq!(first.order_id.as_str(), "WEB-1001");
    let again = ShiprocketOrderDraft::build(&o, &DraftOptions { reship_attempt: 2, ..options() }).unwrap();
    assert_eq!(again.order_id.as_str(), "WEB-1001-R2");
    assert_eq!(again.order_id.shop_order_id(), &o.id);
    assert_eq!(again.order_id.reship_attempt(), 2);
}

#[test]
fn an_exchange_replacement_is_a_prepaid_parcel_of_the_same_order() {
    let cod = ShopOrder {
        payment: Payment::Cod { amount: Money::from_paise(104_800) },
        gift_message: Some("Happy birthday".into()),
        courier_id: Some(7),
        ..order()
    };
    assert!(build(&cod).is_ok(), "the original is a valid COD order");
    let at = cod.placed_at + chrono::Duration::days(9);
    let swapped = [line("MUG-02", 1, 52_000)];
    let replacement = replacement_order(&cod, Some(&swapped), at).unwrap();
    let draft =
        ShiprocketOrderDraft::build(&replacement, &DraftOptions { exchange: 1, reship_attempt: 1, ..options() })
            .unwrap();
    assert_eq!(draft.order_id.as_str(), "WEB-1001-X1-R1");
    assert_eq!((draft.payment_method, draft.cod_amount), (PaymentMethod::Prepaid, None));
    assert_eq!((draft.sub_total, draft.shipping_charges), (Money::from_paise(52_000), Money::ZERO));
    assert_eq!(draft.order_items.iter().map(|i| i.sku.as_str()).collect::<Vec<_>>(), ["MUG-02"]);
    assert_eq!((draft.comment, replacement.courier_id, replacement.placed_at), (None, None, at));
    assert_eq!((&replacement.customer, &replacement.billing), (&cod.customer, &cod.billing));

    // The returned lines again when none are named; never none at all.
    let same = replacement_order(&cod, None, at).unwrap();
    assert_eq!(same.items, cod.items);
    assert_eq!(replacement_order(&cod, Some(&[]), at).unwrap_err().field(), Some(Field::Items));
}

#[test]
fn the_order_date_is_india_time() {
    // 18:45 UTC on 1 July is 00:15 IST on 2 July.
    assert_eq!(build(&order()).unwrap().order_date, "2024-07-02 00:15");
}

#[test]
fn the_gift_message_becomes_the_comment() {
    let mut o = order();
    o.gift_message = Some("  Happy birthday, Ravi!  ".into());
    assert_eq!(build(&o).unwrap().comment.as_deref(), Some("Happy birthday, Ravi!"));
    o.gift_message = Some("   ".into());
    assert_eq!(build(&o).unwrap().comment, None);
    // "Reseller: ..." would be printed as the sender's name on the label.
    o.gift_message = Some("reseller: love from Asha".into());
    assert_eq!(build(&o).unwrap().comment.as_deref(), Some("Gift message: reseller: love from Asha"));
}

#[test]
fn the_package_comes_with_the_draft() {
    let d = build(&order()).unwrap();
    // Three defaulted units: 1.5 kg; 20 × 15 × 30 cm → 1.8 kg volumetric.
    assert_eq!(d.package.actual_weight.grams(), 1_500);
    assert_eq!(d.package.chargeable_weight.grams(), 1_800);
    assert_eq!(d.package.defaulted.len(), 4);
}

#[test]
fn invalid_orders_say_which_field_is_wrong() {
    type Breakage = Box<dyn Fn(&mut ShopOrder)>;
    let cases: Vec<(Breakage, Field)> = vec![
        (Box::new(|o| o.items.clear()), Field::Items),
        (Box::new(|o| o.items[1].sku = "  ".into()), Field::Line { index: 1, field: LineField::Sku }),
        (Box::new(|o| o.items[0].name = String::new()), Field::Line { index: 0, field: LineField::Name }),
        (Box::new(|o| o.items[0].units = 0), Field::Line { index: 0, field: LineField::Units }),
        (
            Box::new(|o| o.items[0] = line("X", 1, 100).discount(101)),
            Field::Line { index: 0, field: LineField::Discount },
        ),
        (Box::new(|o| o.items[0].tax_percent = 120.0), Field::Line { index: 0, field: LineField::TaxPercent }),
        (Box::new(|o| o.items[0].tax_percent = f64::NAN), Field::Line { index: 0, field: LineField::TaxPercent }),
        (Box::new(|o| o.items[0].hsn = Some("69A2".into())), Field::Line { index: 0, field: LineField::Hsn }),
        (Box::new(|o| o.billing.first_name = " ".into()), Field::Billing(AddressField::FirstName)),
        (Box::new(|o| o.billing.line1 = "12".into()), Field::Billing(AddressField::Line1)),
        (Box::new(|o| o.billing.city = "C".repeat(31)), Field::Billing(AddressField::City)),
        (Box::new(|o| o.billing.state = String::new()), Field::Billing(AddressField::State)),
        (
            Box::new(|o| o.shipping = Some(address("Ravi", "12 MG Road", "", "560001"))),
            Field::Shipping(AddressField::City),
        ),
        (Box::new(|o| o.shipping_charges = Money::from_paise(u64::MAX)), Field::ShippingCharges),
        (Box::new(|o| o.items[0].unit_price = Money::from_paise(u64::MAX)), Field::SubTotal),
    ];
    for (i, (break_it, field)) in cases.iter().enumerate() {
        let mut o = order();
        break_it(&mut o);
        assert_eq!(build(&o).unwrap_err().field(), Some(*field), "case {i}");
    }
    let o = order();
    for (pickup, ok) in [("", false), ("   ", false), (&"p".repeat(37), false), (&"p".repeat(36), true)] {
        let r = ShiprocketOrderDraft::build(&o, &DraftOptions { pickup_location: pickup.to_owned(), ..options() });
        assert_eq!(r.is_ok(), ok, "{pickup:?}");
        if !ok {
            assert_eq!(r.unwrap_err().field(), Some(Field::PickupLocation));
        }
    }
    let long = {
        let mut o = order();
        o.id = ShopOrderId::parse(&"W".repeat(48)).unwrap();
        o
    };
    let r = ShiprocketOrderDraft::build(&long, &DraftOptions { reship_attempt: 1, ..options() });
    assert_eq!(r.unwrap_err().field(), Some(Field::ChannelOrderId));
}

#[test]
fn debug_output_carries_no_personal_data() {
    let mut o = order();
    o.gift_message = Some("Happy birthday, Ravi!".into());
    o.shipping = Some(address("Ravi", "12 MG Road", "Bengaluru", "560001"));
    let d = build(&o).unwrap();
    let logged = format!("{o:?} {d:?} {:?}", o.customer);
    for secret in ["Asha", "Kulkarni", "Ravi", "Flat 12", "MG Road", "9800000001", "asha.kulkarni", "Happy birthday"] {
        assert!(!logged.contains(secret), "{secret} leaked: {logged}");
    }
    for kept in ["WEB-1001", "411001", "Pune", "98******01", "a***@example.com", "₹998.00"] {
        assert!(logged.contains(kept), "{kept} missing: {logged}");
    }
}
