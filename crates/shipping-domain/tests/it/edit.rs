//! Correcting a stored order: what an edit may change, what it may not, and which way it goes.

use crate::support::{LineExt, address, line, options, order};
use shipping_domain::{
    DomainError, EditRefused, EditRoute, Field, OrderEdit, Phone, ShipmentState, ShiprocketOrderDraft, Weight,
    changed_fields, edit_route,
};

#[test]
fn an_edit_replaces_contact_addresses_and_items_and_keeps_id_payment_and_charges() {
    let before = order();
    let mut edit = OrderEdit::of(&before);
    edit.customer.phone = Phone::parse("9123456780").unwrap();
    edit.shipping = Some(address("Ravi", "42 Lake View Road", "Mumbai", "400001"));
    edit.items[1] = edit.items[1].clone().weight(Weight::from_grams(300).unwrap());
    let after = edit.apply(&before).unwrap();
    assert_eq!(
        (after.id.clone(), after.placed_at, after.payment),
        (before.id.clone(), before.placed_at, before.payment)
    );
    assert_eq!(after.shipping_charges, before.shipping_charges);
    assert_eq!(after.customer.phone.as_str(), "9123456780");
    let draft = ShiprocketOrderDraft::build(&after, &options()).unwrap();
    assert_eq!(draft.shipping_city.as_deref(), Some("Mumbai"));
    assert_eq!(
        changed_fields(&before, &after),
        [
            "customer.phone",
            "shipping.first_name",
            "shipping.line1",
            "shipping.city",
            "shipping.pincode",
            "items[1].weight"
        ]
    );
    assert!(changed_fields(&before, &before).is_empty(), "nothing changed, nothing named");
}

#[test]
fn items_may_be_reshaped_but_not_to_a_different_total() {
    let before = order();
    // 2 × (₹499.50 − ₹50) + ₹99 = ₹998 either way: one line split into two.
    let mut edit = OrderEdit::of(&before);
    edit.items = vec![
        line("MUG-01", 1, 49_950).discount(5_000),
        line("MUG-01B", 1, 49_950).discount(5_000),
        line("CARD-07", 1, 9_900),
    ];
    let after = edit.apply(&before).unwrap();
    assert_eq!(changed_fields(&before, &after), ["items"]);

    edit.items[2].units = 2; // ₹99 more than was paid
    let err = edit.apply(&before).unwrap_err();
    assert_eq!(err.field(), Some(Field::Items));
    assert!(err.to_string().contains("cannot change what was paid"), "{err}");
}

#[test]
fn payment_and_id_are_not_part_of_an_edit() {
    let body = serde_json::json!({
        "customer": {"email": "a@example.com", "phone": "9800000001"},
        "billing": {"first_name": "A", "line1": "12 MG Road", "city": "Pune", "state": "MH", "pincode": "411001"},
        "items": [],
        "payment": {"method": "prepaid"}
    });
    let err = serde_json::from_value::<OrderEdit>(body).unwrap_err();
    assert!(err.to_string().contains("unknown field `payment`"), "{err}");
}

#[test]
fn the_shipment_state_decides_the_route() {
    use ShipmentState as S;
    assert_eq!(edit_route(S::PendingSync, false), Ok(EditRoute::BeforeSync { resync: false }));
    assert_eq!(edit_route(S::SyncFailed, false), Ok(EditRoute::BeforeSync { resync: true }));
    assert_eq!(edit_route(S::PendingSync, true), Err(EditRefused::SyncInProgress));
    assert_eq!(edit_route(S::Synced, false), Ok(EditRoute::UpdateAtShiprocket));
    for s in [S::AwbAssigned, S::LabelReady, S::PickupScheduled, S::InTransit, S::Delivered] {
        assert_eq!(edit_route(s, false), Err(EditRefused::AwbAssigned), "{s:?}");
    }
    assert_eq!(edit_route(S::Cancelled, false), Err(EditRefused::Cancelled));
    assert_eq!(edit_route(S::Cancelled, true), Err(EditRefused::Cancelled));
}

#[test]
fn the_edited_order_is_validated_like_a_new_one() {
    let before = order();
    let mut edit = OrderEdit::of(&before);
    edit.billing.city = " ".into();
    let after = edit.apply(&before).unwrap();
    let err: DomainError = ShiprocketOrderDraft::build(&after, &options()).unwrap_err();
    assert_eq!(err.to_string(), "invalid billing.city: is empty");
}
