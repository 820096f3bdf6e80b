//! Deterministic serviceability and rates, computed from the lane, the parcel and the seed.
//!
//! Documented pincode rules (see the crate README):
//! - a pincode that is not 6 digits, or starts with 0 → 422 (validation);
//! - a pickup or delivery pincode starting with `9` → not serviceable (HTTP 200, body status 404);
//! - a delivery pincode ending in `13` → no courier offers COD;
//! - every other lane is served by 5–10 of the 10 couriers below, chosen from the seed.

use crate::seeded;
use serde_json::{Value, json};

/// A courier the simulator knows. Ids and names follow Shiprocket's published courier table.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Courier {
    pub id: u64,
    pub name: &'static str,
    pub air: bool,
    /// Multiplier on the zone base rate, in percent.
    pub price_pct: u32,
    /// Days added to the zone's transit time.
    pub extra_days: u32,
    pub rating: f64,
    pub max_weight_kg: f64,
}

pub const COURIERS: &[Courier] = &[
    Courier { id: 1, name: "Blue Dart", air: true, price_pct: 165, extra_days: 0, rating: 4.7, max_weight_kg: 50.0 },
    Courier { id: 10, name: "Delhivery", air: true, price_pct: 140, extra_days: 0, rating: 4.5, max_weight_kg: 50.0 },
    Courier {
        id: 43,
        name: "Delhivery Surface",
        air: false,
        price_pct: 100,
        extra_days: 2,
        rating: 4.5,
        max_weight_kg: 20.0,
    },
    Courier { id: 33, name: "Xpressbees", air: true, price_pct: 130, extra_days: 1, rating: 4.2, max_weight_kg: 20.0 },
    Courier {
        id: 51,
        name: "Xpressbees Surface",
        air: false,
        price_pct: 95,
        extra_days: 2,
        rating: 4.1,
        max_weight_kg: 20.0,
    },
    Courier {
        id: 58,
        name: "Shadowfax Surface",
        air: false,
        price_pct: 92,
        extra_days: 3,
        rating: 3.9,
        max_weight_kg: 10.0,
    },
    Courier {
        id: 142,
        name: "Amazon Surface",
        air: false,
        price_pct: 98,
        extra_days: 2,
        rating: 4.4,
        max_weight_kg: 20.0,
    },
    Courier {
        id: 29,
        name: "DTDC Surface",
        air: false,
        price_pct: 90,
        extra_days: 3,
        rating: 3.8,
        max_weight_kg: 30.0,
    },
    Courier {
        id: 24,
        name: "Ekart Logistics",
        air: false,
        price_pct: 97,
        extra_days: 2,
        rating: 4.3,
        max_weight_kg: 15.0,
    },
    Courier {
        id: 14,
        name: "Ecom Express Surface",
        air: false,
        price_pct: 94,
        extra_days: 3,
        rating: 4.0,
        max_weight_kg: 20.0,
    },
];

pub fn courier(id: u64) -> Option<&'static Courier> {
    COURIERS.iter().find(|c| c.id == id)
}

/// Why a lane cannot be quoted.
#[derive(Debug, Clone, PartialEq)]
pub enum LaneError {
    /// 422: field → messages.
    Invalid(Vec<(&'static str, String)>),
    NotServiceable,
}

/// A priced option for one courier on one lane.
#[derive(Debug, Clone, PartialEq)]
pub struct Quote {
    pub courier: Courier,
    pub zone: &'static str,
    pub freight: f64,
    pub cod_charges: f64,
    pub rate: f64,
    pub etd_days: u32,
    pub cod: bool,
    pub charge_weight: f64,
}

pub fn valid_pincode(p: &str) -> bool {
    p.len() == 6 && p.bytes().all(|b| b.is_ascii_digit()) && !p.starts_with('0')
}

/// Zone by distance: same city (first 3 digits), same region (first digit), metro pairs,
/// special zones (north-east, J&K: pincodes 18/19/78/79), rest of India.
fn zone(pickup: &str, delivery: &str) -> (&'static str, f64, f64, u32) {
    let special = |p: &str| ["18", "19", "78", "79"].iter().any(|s| p.starts_with(s));
    let metro = |p: &str| ["11", "40", "56", "60", "70", "50"].iter().any(|s| p.starts_with(s));
    // (zone, base for 0.5 kg, each further 0.5 kg, transit days)
    if pickup[..3] == delivery[..3] {
        ("z_a", 30.0, 25.0, 1)
    } else if pickup[..1] == delivery[..1] {
        ("z_b", 36.0, 30.0, 2)
    } else if special(delivery) || special(pickup) {
        ("z_e", 58.0, 52.0, 6)
    } else if metro(pickup) && metro(delivery) {
        ("z_c", 44.0, 38.0, 3)
    } else {
        ("z_d", 52.0, 45.0, 4)
    }
}

fn round2(x: f64) -> f64 {
    (x * 100.0).round() / 100.0
}

/// All quotes for a lane, cheapest first. `declared_value` prices COD charges.
pub fn quote(
    seed: u64,
    pickup: &str,
    delivery: &str,
    weight_kg: f64,
    cod: bool,
    declared_value: f64,
) -> Result<Vec<Quote>, LaneError> {
    let mut invalid = Vec::new();
    if !valid_pincode(pickup) {
        invalid.push(("pickup_postcode", "The pickup postcode must be 6 digits.".to_owned()));
    }
    if !valid_pincode(delivery) {
        invalid.push(("delivery_postcode", "The delivery postcode must be 6 digits.".to_owned()));
    }
    if !(weight_kg.is_finite() && weight_kg > 0.0) {
        invalid.push(("weight", "The weight must be greater than 0.".to_owned()));
    }
    if !invalid.is_empty() {
        return Err(LaneError::Invalid(invalid));
    }
    if pickup.starts_with('9') || delivery.starts_with('9') {
        return Err(LaneError::NotServiceable);
    }
    let (zone, base, extra, days) = zone(pickup, delivery);
    let slabs = (weight_kg / 0.5).ceil().max(1.0);
    let charge_weight = slabs * 0.5;
    let cod_possible = !delivery.ends_with("13");
    let mut quotes: Vec<Quote> = COURIERS
        .iter()
        .enumerate()
        .filter(|(i, c)| {
            // The first five always serve a lane, so there are 5–10 options.
            (*i < 5 || seeded(seed, &["serves", pickup, delivery, &c.id.to_string()]) % 10 < 6)
                && weight_kg <= c.max_weight_kg
        })
        .map(|(_, c)| {
            let freight = round2((base + extra * (slabs - 1.0)) * f64::from(c.price_pct) / 100.0);
            let cod_charges = if cod { round2((declared_value * 0.015).max(30.0)) } else { 0.0 };
            Quote {
                courier: *c,
                zone,
                freight,
                cod_charges,
                rate: round2(freight + cod_charges),
                etd_days: days + c.extra_days + if c.air { 0 } else { 1 },
                cod: cod_possible,
                charge_weight,
            }
        })
        .filter(|q| !cod || q.cod)
        .collect();
    quotes.sort_by(|a, b| a.rate.total_cmp(&b.rate).then(a.courier.id.cmp(&b.courier.id)));
    if quotes.is_empty() {
        return Err(LaneError::NotServiceable);
    }
    Ok(quotes)
}

/// The recommended courier: best rating among the three cheapest.
pub fn recommended(quotes: &[Quote]) -> Option<&Quote> {
    quotes
        .iter()
        .take(3)
        .max_by(|a, b| a.courier.rating.total_cmp(&b.courier.rating).then(b.courier.id.cmp(&a.courier.id)))
}

/// One entry of `data.available_courier_companies`, every key and JSON type as Shiprocket sends.
pub fn courier_json(q: &Quote, delivery: &str, etd: &str, row_id: u64) -> Value {
    let c = &q.courier;
    json!({
        "air_max_weight": if c.air { format!("{:.2}", c.max_weight_kg) } else { "0.00".to_owned() },
        "assured_amount": 0,
        "base_courier_id": null,
        "base_weight": "",
        "blocked": 0,
        "call_before_delivery": "Available",
        "charge_weight": q.charge_weight,
        "city": city_of(delivery),
        "cod": u8::from(q.cod),
        "cod_charges": q.cod_charges,
        "cod_multiplier": 0.015,
        "cost": "",
        "courier_company_id": c.id,
        "courier_name": c.name,
        "courier_type": "0",
        "coverage_charges": 0,
        "cutoff_time": "11:00",
        "delivery_boy_contact": "Not Available",
        "delivery_performance": c.rating,
        "description": "",
        "edd": "",
        "entry_tax": 0,
        "estimated_delivery_days": q.etd_days.to_string(),
        "etd": etd,
        "etd_hours": q.etd_days * 24,
        "freight_charge": q.freight,
        "id": row_id,
        "is_custom_rate": 0,
        "is_hyperlocal": false,
        "is_international": 0,
        "is_rto_address_available": true,
        "is_surface": !c.air,
        "local_region": 0,
        "metro": 1,
        "min_weight": 0.5,
        "mode": u8::from(c.air),
        "new_edd": 0,
        "odablock": false,
        "other_charges": 0,
        "others": "{\"cancel_real_time\":true}",
        "pickup_availability": "0",
        "pickup_performance": round2(c.rating - 0.1),
        "pickup_priority": "",
        "pickup_supress_hours": 0,
        "pod_available": "Instant",
        "postcode": delivery,
        "qc_courier": 0,
        "rank": "",
        "rate": q.rate,
        "rating": c.rating,
        "realtime_tracking": "Real Time",
        "region": 2,
        "rto_charges": q.freight,
        "rto_performance": round2(c.rating + 0.2),
        "seconds_left_for_pickup": 0,
        "secure_shipment_disabled": false,
        "ship_type": 1,
        "state": state_of(delivery),
        "suppress_date": "",
        "suppress_text": "",
        "suppression_dates": null,
        "surface_max_weight": if c.air { "0.00".to_owned() } else { format!("{:.2}", c.max_weight_kg) },
        "tracking_performance": round2((c.rating + 0.4).min(5.0)),
        "volumetric_max_weight": null,
        "weight_cases": 4.5,
        "zone": q.zone,
    })
}

/// A plausible city for a pincode (by its first two digits).
pub fn city_of(pin: &str) -> &'static str {
    match pin.get(..2).unwrap_or("") {
        "11" => "New Delhi",
        "40" => "Mumbai",
        "41" => "Pune",
        "56" => "Bengaluru",
        "60" => "Chennai",
        "70" => "Kolkata",
        "50" => "Hyderabad",
        "38" => "Ahmedabad",
        "30" => "Jaipur",
        "22" => "Lucknow",
        "78" => "Guwahati",
        _ => "Indore",
    }
}

pub fn state_of(pin: &str) -> &'static str {
    match pin.get(..2).unwrap_or("") {
        "11" => "Delhi",
        "40" | "41" => "Maharashtra",
        "56" => "Karnataka",
        "60" => "Tamil Nadu",
        "70" => "West Bengal",
        "50" => "Telangana",
        "38" => "Gujarat",
        "30" => "Rajasthan",
        "22" => "Uttar Pradesh",
        "78" => "Assam",
        _ => "Madhya Pradesh",
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn same_inputs_same_quotes_and_prices_grow_with_weight_and_distance() {
        let a = quote(7, "411001", "560001", 0.5, false, 500.0).unwrap();
        assert_eq!(a, quote(7, "411001", "560001", 0.5, false, 500.0).unwrap());
        assert!((5..=10).contains(&a.len()));
        let heavy = quote(7, "411001", "560001", 2.2, false, 500.0).unwrap();
        let cheapest = |qs: &[Quote], id| qs.iter().find(|q| q.courier.id == id).map(|q| q.rate);
        assert!(cheapest(&heavy, 43).unwrap() > cheapest(&a, 43).unwrap());
        let local = quote(7, "411001", "411014", 0.5, false, 500.0).unwrap();
        assert!(cheapest(&local, 43).unwrap() < cheapest(&a, 43).unwrap());
    }

    #[test]
    fn documented_pincode_rules() {
        assert_eq!(quote(1, "411001", "990001", 0.5, false, 1.0), Err(LaneError::NotServiceable));
        assert_eq!(quote(1, "411001", "560013", 0.5, true, 1.0), Err(LaneError::NotServiceable));
        assert!(quote(1, "411001", "560013", 0.5, false, 1.0).unwrap().iter().all(|q| !q.cod));
        assert!(matches!(quote(1, "41100", "560001", 0.5, false, 1.0), Err(LaneError::Invalid(_))));
        assert!(
            quote(1, "411001", "560001", 0.5, true, 1000.0).unwrap().iter().all(|q| q.cod && q.cod_charges >= 30.0)
        );
    }
}
