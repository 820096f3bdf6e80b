//! Checkout rates, the one operation that may call Shiprocket from the API: a read-through
//! cache in the database (shared by every replica) keyed by (pickup, delivery, weight slab,
//! COD), single-flight per key in this process, stale-on-error ([`cache`]); the upstream call
//! and its normalisation ([`upstream`]); the quote with the recommended courier (here).
//!
//! The COD charge inside a cached price was quoted for the declared value of the request that
//! filled the cache (the key has no value, as specified); it is indicative.

pub mod cache;
pub mod upstream;

use super::{ServiceResult, invalid};
use crate::state::AppState;
use cache::{Fetched, fetch};
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use shipping_domain::{CourierQuote, DomainError, Money, NoCourier, PaymentMethod, Pincode, Weight, choose_courier};
use shipping_store::RateKey;
use shiprocket_client::endpoints::serviceability::CheckServiceability;

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, utoipa::ToSchema)]
pub struct CourierRate {
    pub courier_id: u64,
    pub name: String,
    pub rate_paise: u64,
    /// Rupees, two decimals.
    pub rate: String,
    pub etd_days: Option<u32>,
    pub etd: Option<NaiveDate>,
    pub cod_available: bool,
    pub rating: Option<f32>,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Recommended {
    pub courier_id: u64,
    pub name: String,
    pub rate: String,
    pub etd_days: Option<u32>,
    pub reason: String,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct RatesAnswer {
    pub serviceable: bool,
    /// For the customer when not serviceable; a note when the answer is stale.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
    pub delivery_pincode: String,
    pub weight_slab_grams: i32,
    pub cod: bool,
    pub couriers: Vec<CourierRate>,
    pub recommended: Option<Recommended>,
    /// `hit`, `miss` or `stale`.
    pub cache: &'static str,
    /// True when Shiprocket could not be reached and an older answer is served.
    pub stale: bool,
    pub fetched_at: DateTime<Utc>,
}

/// The configured pickup pincode.
pub fn configured_pickup(state: &AppState) -> ServiceResult<Pincode> {
    Pincode::parse(&state.settings.shiprocket.pickup_pincode).map_err(|e| invalid("pickup_pincode", e))
}

pub async fn quote(
    state: &AppState,
    pickup: Pincode,
    delivery: Pincode,
    weight: Weight,
    cod: bool,
    value: Money,
) -> ServiceResult<RatesAnswer> {
    let slab = state.settings.rates.weight_slab_grams.max(1);
    let slab_grams = weight.grams().div_ceil(slab).saturating_mul(slab);
    let key = RateKey {
        pickup_pincode: pickup.as_str().to_owned(),
        delivery_pincode: delivery.as_str().to_owned(),
        weight_slab_grams: i32::try_from(slab_grams).unwrap_or(i32::MAX),
        cod,
    };
    let req = CheckServiceability::parcel(
        pickup.as_str(),
        delivery.as_str(),
        f64::from(slab_grams) / 1000.0,
        cod,
        value.as_rupees_f64(),
    );
    let fetched = fetch(state, &key, &req).await?;
    let (cached, at, label) = match fetched {
        Fetched::Hit(c, at) => (c, at, "hit"),
        Fetched::Miss(c, at) => (c, at, "miss"),
        Fetched::Stale(c, at) => (c, at, "stale"),
    };
    metrics::counter!("rate_cache_total", "result" => label).increment(1);
    let stale = label == "stale";
    let pay = if cod { PaymentMethod::Cod } else { PaymentMethod::Prepaid };
    let couriers: Vec<CourierRate> = cached.couriers.into_iter().filter(|c| !cod || c.cod_available).collect();
    let quotes: Vec<CourierQuote> = couriers
        .iter()
        .map(|c| CourierQuote {
            courier_id: c.courier_id,
            name: c.name.clone(),
            rate: Money::from_paise(c.rate_paise),
            etd_days: c.etd_days,
            rating: c.rating,
            cod_available: c.cod_available,
        })
        .collect();
    let (recommended, mut message) = match choose_courier(&quotes, &state.preference, pay) {
        Ok(choice) => (
            Some(Recommended {
                courier_id: choice.courier.courier_id,
                name: choice.courier.name.clone(),
                rate: choice.courier.rate.to_rupees_string(),
                etd_days: choice.courier.etd_days,
                reason: choice.reason,
            }),
            None,
        ),
        Err(DomainError::NoCourier(NoCourier::NoCodCourier { .. })) => (
            None,
            Some(format!(
                "Cash on delivery is not available for pincode {}; you can still pay online.",
                delivery.as_str()
            )),
        ),
        Err(_) => (None, Some(format!("Sorry, we do not deliver to pincode {} yet.", delivery.as_str()))),
    };
    if stale && message.is_none() {
        message = Some("Showing recently quoted rates; live rates are unavailable right now.".into());
    }
    Ok(RatesAnswer {
        serviceable: recommended.is_some(),
        message,
        delivery_pincode: delivery.as_str().to_owned(),
        weight_slab_grams: key.weight_slab_grams,
        cod,
        couriers,
        recommended,
        cache: label,
        stale,
        fetched_at: at,
    })
}
