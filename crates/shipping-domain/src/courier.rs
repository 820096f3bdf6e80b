//! Choosing a courier among Shiprocket's serviceable quotes.
//!
//! The result is a full ranking, not just a winner: Shiprocket sometimes refuses the courier it
//! quoted (AWB assignment fails inside an HTTP 200), and the worker then tries
//! [`CourierChoice::alternatives`] in order.
//!
//! Every ranking is a total order, so the same quotes always give the same answer:
//!
//! | preference | 1st | 2nd | 3rd | 4th | last |
//! |---|---|---|---|---|---|
//! | `Cost` | lower rate | faster | higher rating | | lower courier id |
//! | `Speed` | faster | lower rate | higher rating | | lower courier id |
//! | `Rating` | higher rating | lower rate | faster | | lower courier id |
//! | `Preferred(ids)` | earlier in `ids` (unlisted after all listed) | lower rate | faster | higher rating | lower courier id |
//!
//! "Faster" compares `etd_days`; a quote without an estimate is slower than any with one. A
//! quote without a rating (or with a NaN rating) ranks below every rated one. If a courier id
//! appears in several quotes only its best-ranked quote is kept. A COD order only ever sees
//! couriers with `cod_available`.

use crate::error::{DomainError, NoCourier};
use crate::money::Money;
use crate::order::PaymentMethod;
use serde::{Deserialize, Serialize};
use std::cmp::Ordering;
use std::collections::HashSet;

/// One serviceable courier for a lane, as Shiprocket quoted it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CourierQuote {
    /// Shiprocket's `courier_company_id` (what `courier/assign/awb` takes).
    pub courier_id: u64,
    pub name: String,
    pub rate: Money,
    pub etd_days: Option<u32>,
    pub rating: Option<f32>,
    pub cod_available: bool,
}

/// What the shop optimises for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Preference {
    Cost,
    Speed,
    Rating,
    /// Courier ids in the shop's order of preference. Serviceable couriers not in the list still
    /// follow, cheapest first, so that a shipment is not stuck when no favourite serves the lane.
    Preferred(Vec<u64>),
}

/// The chosen courier, why, and who to try next.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CourierChoice {
    pub courier: CourierQuote,
    /// One line for people, e.g. `cheapest of 7 couriers (₹71.50)`.
    pub reason: String,
    /// Every other candidate, best first.
    pub alternatives: Vec<CourierQuote>,
}

impl CourierChoice {
    /// The chosen courier followed by the alternatives: the order to try them in.
    pub fn ranked(&self) -> impl Iterator<Item = &CourierQuote> {
        std::iter::once(&self.courier).chain(&self.alternatives)
    }
}

/// Ranks `quotes` for `preference`; see the module documentation for the order.
pub fn choose_courier(
    quotes: &[CourierQuote],
    preference: &Preference,
    payment: PaymentMethod,
) -> Result<CourierChoice, DomainError> {
    if quotes.is_empty() {
        return Err(DomainError::NoCourier(NoCourier::NoQuotes));
    }
    let cod = payment == PaymentMethod::Cod;
    let mut ranked: Vec<CourierQuote> = quotes.iter().filter(|q| !cod || q.cod_available).cloned().collect();
    if ranked.is_empty() {
        return Err(DomainError::NoCourier(NoCourier::NoCodCourier { quotes: quotes.len() }));
    }
    let keys = keys_for(preference);
    ranked.sort_by(|a, b| compare(a, b, keys, preference));
    let mut seen = HashSet::new();
    ranked.retain(|q| seen.insert(q.courier_id));

    let mut rest = ranked.into_iter();
    let Some(courier) = rest.next() else {
        return Err(DomainError::NoCourier(NoCourier::NoQuotes));
    };
    let alternatives: Vec<CourierQuote> = rest.collect();
    let reason = explain(&courier, alternatives.first(), alternatives.len() + 1, preference, cod);
    Ok(CourierChoice { courier, reason, alternatives })
}

fn tied_on(key: Key) -> &'static str {
    match key {
        Key::Listed => "preference",
        Key::Rate => "price",
        Key::Speed => "delivery time",
        Key::Rating => "rating",
        Key::Id => "courier id",
    }
}

fn won_on(key: Key) -> &'static str {
    match key {
        Key::Listed => "preference",
        Key::Rate => "lower price",
        Key::Speed => "faster delivery",
        Key::Rating => "higher rating",
        Key::Id => "lower courier id",
    }
}

/// A ranking criterion.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Key {
    Listed,
    Rate,
    Speed,
    Rating,
    Id,
}

fn keys_for(preference: &Preference) -> &'static [Key] {
    match preference {
        Preference::Cost => &[Key::Rate, Key::Speed, Key::Rating, Key::Id],
        Preference::Speed => &[Key::Speed, Key::Rate, Key::Rating, Key::Id],
        Preference::Rating => &[Key::Rating, Key::Rate, Key::Speed, Key::Id],
        Preference::Preferred(_) => &[Key::Listed, Key::Rate, Key::Speed, Key::Rating, Key::Id],
    }
}

fn compare(a: &CourierQuote, b: &CourierQuote, keys: &[Key], preference: &Preference) -> Ordering {
    keys.iter().map(|k| compare_by(*k, a, b, preference)).find(|o| o.is_ne()).unwrap_or(Ordering::Equal)
}

/// `Less` when `a` is the better courier by `key`.
fn compare_by(key: Key, a: &CourierQuote, b: &CourierQuote, preference: &Preference) -> Ordering {
    match key {
        Key::Listed => listed_position(a.courier_id, preference).cmp(&listed_position(b.courier_id, preference)),
        Key::Rate => a.rate.cmp(&b.rate),
        // None sorts after every Some.
        Key::Speed => match (a.etd_days, b.etd_days) {
            (Some(x), Some(y)) => x.cmp(&y),
            (Some(_), None) => Ordering::Less,
            (None, Some(_)) => Ordering::Greater,
            (None, None) => Ordering::Equal,
        },
        Key::Rating => match (rating(a), rating(b)) {
            (Some(x), Some(y)) => y.total_cmp(&x),
            (Some(_), None) => Ordering::Less,
            (None, Some(_)) => Ordering::Greater,
            (None, None) => Ordering::Equal,
        },
        Key::Id => a.courier_id.cmp(&b.courier_id),
    }
}

fn rating(q: &CourierQuote) -> Option<f32> {
    q.rating.filter(|r| !r.is_nan())
}

/// Index in the preferred list; unlisted couriers (and every courier for other preferences)
/// share the position after the list.
fn listed_position(courier_id: u64, preference: &Preference) -> usize {
    match preference {
        Preference::Preferred(ids) => ids.iter().position(|id| *id == courier_id).unwrap_or(ids.len()),
        _ => 0,
    }
}

fn explain(
    chosen: &CourierQuote,
    runner_up: Option<&CourierQuote>,
    candidates: usize,
    preference: &Preference,
    cod: bool,
) -> String {
    let of = format!(
        "of {candidates} courier{}{}",
        if candidates == 1 { "" } else { "s" },
        if cod { " with COD" } else { "" }
    );
    let rate = chosen.rate;
    let mut reason = match preference {
        Preference::Cost => format!("cheapest {of} ({rate})"),
        Preference::Speed => match chosen.etd_days {
            Some(1) => format!("fastest {of} (1 day, {rate})"),
            Some(days) => format!("fastest {of} ({days} days, {rate})"),
            None => format!("fastest {of} (no delivery estimates, {rate})"),
        },
        Preference::Rating => match rating(chosen) {
            Some(r) => format!("best rated {of} ({r:.1}★, {rate})"),
            None => format!("best rated {of} (none rated, {rate})"),
        },
        Preference::Preferred(ids) => match ids.iter().position(|id| *id == chosen.courier_id) {
            Some(0) => format!("first preferred courier, {} ({rate})", chosen.name),
            Some(p) => format!(
                "preferred courier #{}, {} ({rate}); the {} before it did not quote",
                p + 1,
                chosen.name,
                if p == 1 { "one" } else { "ones" }
            ),
            None => format!("no preferred courier quoted; cheapest {of} ({rate})"),
        },
    };
    // Say which rule settled a tie on the primary criterion, so the choice can be checked.
    if let Some(other) = runner_up {
        let mut keys = keys_for(preference);
        // Two unlisted couriers tie on the list; between them price is what counts first.
        if let Some((Key::Listed, rest)) = keys.split_first()
            && compare_by(Key::Listed, chosen, other, preference).is_eq()
        {
            keys = rest;
        }
        let decisive = keys.iter().copied().find(|k| compare_by(*k, chosen, other, preference).is_ne());
        if let (Some(won_by), Some(primary)) = (decisive, keys.first().copied())
            && won_by != primary
        {
            reason.push_str(&format!("; tied on {} with {}, won on {}", tied_on(primary), other.name, won_on(won_by)));
        }
    }
    reason
}
