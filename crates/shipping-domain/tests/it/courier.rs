//! Courier choice: each preference, its tie-breaks, COD filtering, the fallback list.

use proptest::prelude::*;
use shipping_domain::{CourierQuote, DomainError, Money, NoCourier, PaymentMethod, Preference, choose_courier};

fn quote(id: u64, name: &str, paise: u64, etd: Option<u32>, rating: Option<f32>, cod: bool) -> CourierQuote {
    CourierQuote {
        courier_id: id,
        name: name.into(),
        rate: Money::from_paise(paise),
        etd_days: etd,
        rating,
        cod_available: cod,
    }
}

/// Seven couriers for one lane.
fn lane() -> Vec<CourierQuote> {
    vec![
        quote(1, "Blue Dart", 12_000, Some(2), Some(4.8), true),
        quote(10, "Delhivery", 8_500, Some(3), Some(4.2), true),
        quote(43, "Delhivery Surface", 7_150, Some(5), Some(3.9), true),
        quote(33, "Xpressbees", 7_900, Some(4), Some(4.0), false),
        quote(51, "Xpressbees Surface", 7_300, Some(6), None, true),
        quote(58, "Shadowfax Surface", 9_900, None, Some(4.5), true),
        quote(142, "Amazon Surface", 8_800, Some(4), Some(4.8), false),
    ]
}

fn ids(choice: &shipping_domain::CourierChoice) -> Vec<u64> {
    choice.ranked().map(|q| q.courier_id).collect()
}

#[test]
fn cost_picks_the_cheapest_and_ranks_the_rest_by_price() {
    let c = choose_courier(&lane(), &Preference::Cost, PaymentMethod::Prepaid).expect("choice");
    assert_eq!(c.courier.courier_id, 43);
    assert_eq!(c.reason, "cheapest of 7 couriers (₹71.50)");
    assert_eq!(ids(&c), [43, 51, 33, 10, 142, 58, 1]);
    assert_eq!(c.alternatives.len(), 6);
}

#[test]
fn speed_picks_the_fastest_and_puts_unknown_estimates_last() {
    let c = choose_courier(&lane(), &Preference::Speed, PaymentMethod::Prepaid).expect("choice");
    assert_eq!(c.courier.courier_id, 1);
    assert_eq!(c.reason, "fastest of 7 couriers (2 days, ₹120.00)");
    // 4 days: Xpressbees ₹79 before Amazon ₹88; no estimate (Shadowfax) last.
    assert_eq!(ids(&c), [1, 10, 33, 142, 43, 51, 58]);
}

#[test]
fn rating_picks_the_best_rated_then_the_cheaper() {
    let c = choose_courier(&lane(), &Preference::Rating, PaymentMethod::Prepaid).expect("choice");
    // Blue Dart and Amazon both 4.8: Amazon is cheaper.
    assert_eq!(c.courier.courier_id, 142);
    assert_eq!(c.reason, "best rated of 7 couriers (4.8★, ₹88.00); tied on rating with Blue Dart, won on lower price");
    // Unrated Xpressbees Surface last.
    assert_eq!(ids(&c), [142, 1, 58, 10, 33, 43, 51]);
}

#[test]
fn preferred_follows_the_list_then_falls_back_to_cheapest() {
    let c = choose_courier(&lane(), &Preference::Preferred(vec![58, 1]), PaymentMethod::Prepaid).expect("choice");
    assert_eq!(c.courier.courier_id, 58);
    assert_eq!(c.reason, "first preferred courier, Shadowfax Surface (₹99.00)");
    assert_eq!(ids(&c), [58, 1, 43, 51, 33, 10, 142]);

    // The first favourite does not serve the lane.
    let c = choose_courier(&lane(), &Preference::Preferred(vec![999, 1]), PaymentMethod::Prepaid).expect("choice");
    assert_eq!(c.courier.courier_id, 1);
    assert_eq!(c.reason, "preferred courier #2, Blue Dart (₹120.00); the one before it did not quote");

    // None does: cheapest, said so.
    let c = choose_courier(&lane(), &Preference::Preferred(vec![7, 8]), PaymentMethod::Prepaid).expect("choice");
    assert_eq!(c.courier.courier_id, 43);
    assert_eq!(c.reason, "no preferred courier quoted; cheapest of 7 couriers (₹71.50)");
}

#[test]
fn ties_are_broken_in_the_documented_order() {
    let same_price = [
        quote(9, "C", 5_000, Some(3), Some(4.0), true),
        quote(8, "B", 5_000, Some(2), Some(3.0), true),
        quote(7, "A", 5_000, Some(2), Some(4.5), true),
        quote(6, "D", 5_000, Some(2), Some(4.5), true),
    ];
    let c = choose_courier(&same_price, &Preference::Cost, PaymentMethod::Prepaid).expect("choice");
    // Price ties; faster (2 days) beats 3; among 2-day, 4.5 beats 3.0; 6 and 7 tie on all: lower id.
    assert_eq!(ids(&c), [6, 7, 8, 9]);
    assert_eq!(c.reason, "cheapest of 4 couriers (₹50.00); tied on price with A, won on lower courier id");

    let c = choose_courier(&same_price[..3], &Preference::Cost, PaymentMethod::Prepaid).expect("choice");
    assert_eq!(c.reason, "cheapest of 3 couriers (₹50.00); tied on price with B, won on higher rating");

    let same_speed =
        [quote(2, "Slow pricey", 9_000, Some(2), None, true), quote(3, "Cheap", 4_000, Some(2), None, true)];
    let c = choose_courier(&same_speed, &Preference::Speed, PaymentMethod::Prepaid).expect("choice");
    assert_eq!(
        c.reason,
        "fastest of 2 couriers (2 days, ₹40.00); tied on delivery time with Slow pricey, won on lower price"
    );

    let unrated = [quote(2, "X", 9_000, Some(2), Some(f32::NAN), true), quote(3, "Y", 4_000, None, None, true)];
    let c = choose_courier(&unrated, &Preference::Rating, PaymentMethod::Prepaid).expect("choice");
    assert_eq!(c.courier.courier_id, 3);
    assert_eq!(c.reason, "best rated of 2 couriers (none rated, ₹40.00); tied on rating with X, won on lower price");
}

#[test]
fn a_cod_order_never_gets_a_courier_without_cod() {
    let c = choose_courier(&lane(), &Preference::Rating, PaymentMethod::Cod).expect("choice");
    assert_eq!(c.courier.courier_id, 1);
    assert!(c.ranked().all(|q| q.cod_available));
    assert_eq!(ids(&c), [1, 58, 10, 43, 51]);
    assert_eq!(c.reason, "best rated of 5 couriers with COD (4.8★, ₹120.00)");

    // A preferred courier without COD is skipped for COD orders.
    let c = choose_courier(&lane(), &Preference::Preferred(vec![33, 142]), PaymentMethod::Cod).expect("choice");
    assert_eq!(c.courier.courier_id, 43);
    assert!(!ids(&c).contains(&33) && !ids(&c).contains(&142));
}

#[test]
fn nothing_to_choose_from_is_a_typed_error() {
    assert_eq!(
        choose_courier(&[], &Preference::Cost, PaymentMethod::Prepaid),
        Err(DomainError::NoCourier(NoCourier::NoQuotes))
    );
    let no_cod = [quote(33, "Xpressbees", 7_900, Some(4), None, false), quote(142, "Amazon", 8_800, None, None, false)];
    assert_eq!(
        choose_courier(&no_cod, &Preference::Cost, PaymentMethod::Cod),
        Err(DomainError::NoCourier(NoCourier::NoCodCourier { quotes: 2 }))
    );
    assert!(choose_courier(&no_cod, &Preference::Cost, PaymentMethod::Prepaid).is_ok());
}

#[test]
fn a_courier_quoted_twice_appears_once_with_its_best_quote() {
    let quotes = [
        quote(10, "Delhivery", 9_000, Some(3), None, true),
        quote(43, "Surface", 8_000, Some(5), None, true),
        quote(10, "Delhivery", 7_000, Some(3), None, true),
    ];
    let c = choose_courier(&quotes, &Preference::Cost, PaymentMethod::Prepaid).expect("choice");
    assert_eq!(ids(&c), [10, 43]);
    assert_eq!(c.courier.rate, Money::from_paise(7_000));
    assert_eq!(c.reason, "cheapest of 2 couriers (₹70.00)");
}

fn any_quote() -> impl Strategy<Value = CourierQuote> {
    (
        1u64..20,
        0u64..5,
        prop::option::of(1u32..5),
        prop::option::of(prop_oneof![Just(f32::NAN), (0u8..=10).prop_map(|r| f32::from(r) / 2.0)]),
        any::<bool>(),
    )
        .prop_map(|(id, price, etd, rating, cod)| quote(id, &format!("C{id}"), price * 1000, etd, rating, cod))
}

fn any_preference() -> impl Strategy<Value = Preference> {
    prop_oneof![
        Just(Preference::Cost),
        Just(Preference::Speed),
        Just(Preference::Rating),
        prop::collection::vec(1u64..25, 0..4).prop_map(Preference::Preferred),
    ]
}

proptest! {
    #[test]
    fn the_choice_does_not_depend_on_the_order_of_the_quotes(
        (quotes, shuffled) in prop::collection::vec(any_quote(), 0..10)
            .prop_flat_map(|q| (Just(q.clone()), Just(q).prop_shuffle())),
        preference in any_preference(),
        cod in any::<bool>(),
    ) {
        let payment = if cod { PaymentMethod::Cod } else { PaymentMethod::Prepaid };
        let a = choose_courier(&quotes, &preference, payment);
        let b = choose_courier(&shuffled, &preference, payment);
        match (&a, &b) {
            // NaN ratings make `CourierQuote: PartialEq` useless; compare what matters.
            (Ok(a), Ok(b)) => {
                prop_assert_eq!(ids(a), ids(b));
                prop_assert_eq!(&a.reason, &b.reason);
                prop_assert!(!cod || a.ranked().all(|q| q.cod_available));
                let unique: std::collections::HashSet<u64> = ids(a).into_iter().collect();
                prop_assert_eq!(unique.len(), a.alternatives.len() + 1);
            }
            _ => prop_assert_eq!(a, b),
        }
    }
}
