//! What a cart is worth, and what a courier's serviceability answer means as a quote. The API's
//! checkout rates, the admin pages and the worker's AWB assignment all use these, so a price is
//! read the same way everywhere.

use crate::courier::CourierQuote;
use crate::money::Money;
use crate::order::OrderLine;

/// Σ (unit price − discount) × units; `None` when a discount exceeds its price or the sum
/// overflows (never a saturated or partial total).
pub fn cart_value(lines: &[OrderLine]) -> Option<Money> {
    lines.iter().try_fold(Money::ZERO, |acc, l| {
        l.unit_price.checked_sub(l.discount)?.checked_mul(u64::from(l.units)).and_then(|v| acc.checked_add(v))
    })
}

/// A rupee amount as Shiprocket sends it (a float) in paise, rounded to the nearest paisa.
/// Saturating: NaN and negatives become 0, and amounts beyond `u64` paise the largest amount.
pub fn money_from_rupees(rupees: f64) -> Money {
    Money::from_paise((rupees * 100.0).round().max(0.0) as u64)
}

/// One courier of a serviceability answer, in the answer's own units.
#[derive(Debug, Clone, PartialEq)]
pub struct CourierOffer<'a> {
    pub courier_id: u64,
    pub name: &'a str,
    /// Rupees.
    pub rate: f64,
    pub etd_days: Option<i64>,
    pub rating: Option<f64>,
    pub cod: bool,
}

/// The quote the courier choice ranks: the rate through [`money_from_rupees`], a delivery
/// estimate only when it is a plausible day count.
pub fn quote_of(offer: &CourierOffer<'_>) -> CourierQuote {
    CourierQuote {
        courier_id: offer.courier_id,
        name: offer.name.to_owned(),
        rate: money_from_rupees(offer.rate),
        etd_days: offer.etd_days.and_then(|d| u32::try_from(d).ok()),
        rating: offer.rating.map(|r| r as f32),
        cod_available: offer.cod,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn line(unit: u64, discount: u64, units: u32) -> OrderLine {
        OrderLine {
            sku: "SKU".into(),
            name: "Thing".into(),
            units,
            unit_price: Money::from_paise(unit),
            discount: Money::from_paise(discount),
            tax_percent: 0.0,
            hsn: None,
            weight: None,
            dimensions: None,
        }
    }

    #[test]
    fn cart_value_is_net_of_discounts_times_units() {
        assert_eq!(cart_value(&[]), Some(Money::ZERO));
        assert_eq!(cart_value(&[line(49_900, 4_900, 2), line(100, 0, 3)]), Some(Money::from_paise(90_300)));
    }

    #[test]
    fn cart_value_refuses_what_does_not_compute() {
        assert_eq!(cart_value(&[line(100, 101, 1)]), None, "a discount above its price");
        assert_eq!(cart_value(&[line(u64::MAX, 0, 2)]), None, "a line that overflows");
        assert_eq!(cart_value(&[line(u64::MAX, 0, 1), line(1, 0, 1)]), None, "a sum that overflows");
    }

    #[test]
    fn rates_round_to_the_nearest_paisa_and_saturate() {
        assert_eq!(money_from_rupees(71.5), Money::from_paise(7_150));
        assert_eq!(money_from_rupees(71.499), Money::from_paise(7_150));
        assert_eq!(money_from_rupees(0.004), Money::ZERO);
        assert_eq!(money_from_rupees(-3.0), Money::ZERO);
        assert_eq!(money_from_rupees(f64::NAN), Money::ZERO);
        assert_eq!(money_from_rupees(f64::INFINITY), Money::from_paise(u64::MAX));
    }

    #[test]
    fn an_offer_becomes_a_quote() {
        let offer = CourierOffer {
            courier_id: 7,
            name: "Xpress",
            rate: 88.255,
            etd_days: Some(3),
            rating: Some(4.5),
            cod: true,
        };
        let q = quote_of(&offer);
        assert_eq!(q.courier_id, 7);
        assert_eq!(q.name, "Xpress");
        assert_eq!(q.rate, Money::from_paise(8_826));
        assert_eq!(q.etd_days, Some(3));
        assert_eq!(q.rating, Some(4.5));
        assert!(q.cod_available);
        assert_eq!(quote_of(&CourierOffer { etd_days: Some(-1), ..offer.clone() }).etd_days, None);
        assert_eq!(quote_of(&CourierOffer { etd_days: None, rating: None, ..offer }).rating, None);
    }
}
