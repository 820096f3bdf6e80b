//! `GET /v1/rates?delivery_pincode=&weight=&cod=&value=`: checkout rates, the one route that
//! may call Shiprocket. Read-through cache in the database (shared by every replica), keyed by
//! (pickup, delivery, weight slab, COD); concurrent misses for a key in this process make one
//! upstream call; when Shiprocket fails the last answer is served, marked stale.
//!
//! The COD charge inside a cached price was quoted for the declared value of the request that
//! filled the cache (the key has no value, as specified); it is indicative.

use crate::error::{ApiError, ApiResult, ErrorEnvelope};
use crate::extract::ApiQuery;
use crate::state::AppState;
use axum::Json;
use axum::extract::{ConnectInfo, State};
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use shipping_domain::{CourierQuote, DomainError, Money, NoCourier, PaymentMethod, Pincode, Weight, choose_courier};
use shipping_store::RateKey;
use shiprocket_client::Error as SrError;
use shiprocket_client::endpoints::serviceability::{CheckServiceability, Serviceability};
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct RatesQuery {
    pub delivery_pincode: String,
    /// Kilograms (`0.5`), or with a unit (`500g`, `1.2kg`).
    pub weight: String,
    /// `true`/`false`/`1`/`0`; default false.
    #[serde(default)]
    pub cod: Option<String>,
    /// Declared value in rupees (`1499.00`); default 0.
    #[serde(default)]
    pub value: Option<String>,
    /// Default: the configured pickup pincode.
    #[serde(default)]
    pub pickup_pincode: Option<String>,
}

/// What the cache stores: Shiprocket's answer, normalised.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Cached {
    serviceable: bool,
    couriers: Vec<CourierRate>,
    shiprocket_recommended: Option<u64>,
}

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

fn invalid(field: &str, e: DomainError) -> ApiError {
    match e {
        DomainError::Invalid { reason, .. } => ApiError::field(field, reason),
        other => ApiError::field(field, other.to_string()),
    }
}

fn parse_weight(s: &str) -> ApiResult<Weight> {
    let t = s.trim();
    if t.ends_with('g') || t.ends_with('G') {
        return Weight::parse(t).map_err(|e| invalid("weight", e));
    }
    let kg: f64 = t.parse().map_err(|_| ApiError::field("weight", "must be kilograms (0.5) or have a unit (500g)"))?;
    Weight::from_kg(kg).map_err(|e| invalid("weight", e))
}

fn parse_bool(field: &str, s: Option<&str>) -> ApiResult<bool> {
    match s.map(|v| v.trim().to_ascii_lowercase()).as_deref() {
        None | Some("") | Some("0") | Some("false") | Some("no") => Ok(false),
        Some("1") | Some("true") | Some("yes") => Ok(true),
        Some(_) => Err(ApiError::field(field, "must be true or false")),
    }
}

fn rupees(m: Money) -> String {
    format!("{}.{:02}", m.paise() / 100, m.paise() % 100)
}

fn money_from_rupees(r: f64) -> Money {
    // Saturating: NaN and negatives become 0.
    Money::from_paise((r * 100.0).round().max(0.0) as u64)
}

fn normalise(s: &Serviceability) -> Cached {
    let couriers = s
        .couriers
        .iter()
        .filter(|c| !c.blocked)
        .map(|c| {
            let rate = money_from_rupees(c.rate);
            CourierRate {
                courier_id: c.courier_company_id,
                name: c.courier_name.clone(),
                rate_paise: rate.paise(),
                rate: rupees(rate),
                etd_days: c.estimated_delivery_days.and_then(|d| u32::try_from(d).ok()),
                etd: c.etd,
                cod_available: c.cod,
                rating: c.rating.map(|r| r as f32),
            }
        })
        .collect::<Vec<_>>();
    Cached { serviceable: !couriers.is_empty(), couriers, shiprocket_recommended: s.recommended_courier_company_id }
}

enum Fetched {
    Hit(Cached, DateTime<Utc>),
    Miss(Cached, DateTime<Utc>),
    Stale(Cached, DateTime<Utc>),
}

/// An in-process copy of fresh database entries, so a cache hit costs no query. An entry is
/// kept only until the database entry's own expiry, so replicas never serve an answer the
/// shared cache would not.
#[derive(Debug, Default)]
pub struct RateMemo(std::sync::Mutex<std::collections::HashMap<RateKey, MemoEntry>>);

/// The answer, when it was fetched, when it expires.
type MemoEntry = (Cached, DateTime<Utc>, DateTime<Utc>);

const MEMO_MAX: usize = 10_000;

impl RateMemo {
    fn get(&self, key: &RateKey, now: DateTime<Utc>) -> Option<(Cached, DateTime<Utc>)> {
        let map = self.0.lock().unwrap_or_else(|p| p.into_inner());
        map.get(key).filter(|(_, _, expires)| *expires > now).map(|(c, fetched, _)| (c.clone(), *fetched))
    }

    fn put(&self, key: &RateKey, cached: &Cached, fetched: DateTime<Utc>, expires: DateTime<Utc>) {
        let mut map = self.0.lock().unwrap_or_else(|p| p.into_inner());
        if map.len() >= MEMO_MAX {
            map.retain(|_, (_, _, e)| *e > Utc::now());
            if map.len() >= MEMO_MAX {
                map.clear();
            }
        }
        map.insert(key.clone(), (cached.clone(), fetched, expires));
    }
}

fn decode(row: &shipping_store::entities::rate_cache::Model) -> Option<Cached> {
    serde_json::from_str(&row.response).ok()
}

async fn cached_fresh(state: &AppState, key: &RateKey) -> ApiResult<Option<(Cached, DateTime<Utc>)>> {
    let now = Utc::now();
    if let Some(hit) = state.rate_memo.get(key, now) {
        return Ok(Some(hit));
    }
    let Some(row) = state.store.cached_rates(key, now).await? else { return Ok(None) };
    let Some(cached) = decode(&row) else { return Ok(None) };
    state.rate_memo.put(key, &cached, row.fetched_at, row.expires_at);
    Ok(Some((cached, row.fetched_at)))
}

/// Asks Shiprocket; `Ok` includes "not serviceable" (a cacheable answer).
async fn upstream(state: &AppState, req: &CheckServiceability) -> Result<Cached, String> {
    let client = state.shiprocket.as_ref().ok_or_else(|| "the Shiprocket client is not configured".to_owned())?;
    let timeout = Duration::from_millis(state.settings.rates.upstream_timeout_ms);
    let started = Instant::now();
    let result = tokio::time::timeout(timeout, client.send(req)).await;
    let (label, out) = match result {
        Err(_) => ("timeout", Err("Shiprocket did not answer in time".to_owned())),
        Ok(Ok(s)) => ("ok", Ok(normalise(&s))),
        Ok(Err(SrError::NotServiceable { .. })) => {
            ("not_serviceable", Ok(Cached { serviceable: false, couriers: vec![], shiprocket_recommended: None }))
        }
        Ok(Err(e)) => (e.class(), Err(format!("Shiprocket call failed ({})", e.class()))),
    };
    metrics::histogram!("shiprocket_call_duration_seconds", "endpoint" => "courier.serviceability", "outcome" => label)
        .record(started.elapsed().as_secs_f64());
    out
}

/// The cache, single-flight per key, and stale-on-error.
async fn fetch(state: &AppState, key: &RateKey, req: &CheckServiceability) -> ApiResult<Fetched> {
    if let Some((c, at)) = cached_fresh(state, key).await? {
        return Ok(Fetched::Hit(c, at));
    }
    let flight = {
        let mut map = state.rate_flights.lock().unwrap_or_else(|p| p.into_inner());
        Arc::clone(map.entry(key.clone()).or_default())
    };
    let result = async {
        let _guard = flight.lock().await;
        // Whoever held the lock before us may have filled the cache.
        if let Some((c, at)) = cached_fresh(state, key).await? {
            return Ok(Fetched::Hit(c, at));
        }
        match upstream(state, req).await {
            Ok(c) => {
                let json = serde_json::to_string(&c).map_err(ApiError::internal)?;
                let ttl = Duration::from_secs(state.settings.rates.cache_ttl_secs);
                let fetched = Utc::now();
                match state.store.put_rates(key, &json, ttl).await {
                    Ok(()) => {
                        let expires = fetched + chrono::Duration::from_std(ttl).unwrap_or_default();
                        state.rate_memo.put(key, &c, fetched, expires);
                    }
                    Err(e) => tracing::warn!(error = %e, "could not cache rates"),
                }
                Ok(Fetched::Miss(c, fetched))
            }
            Err(why) => match state.store.cached_rates_any_age(key).await? {
                Some(row) => match decode(&row) {
                    Some(c) => {
                        tracing::warn!(reason = %why, "serving stale rates");
                        Ok(Fetched::Stale(c, row.fetched_at))
                    }
                    None => Err(ApiError::Upstream(format!("{why}; try again shortly"))),
                },
                None => Err(ApiError::Upstream(format!("{why}; try again shortly"))),
            },
        }
    }
    .await;
    drop(flight);
    let mut map = state.rate_flights.lock().unwrap_or_else(|p| p.into_inner());
    if map.get(key).is_some_and(|f| Arc::strong_count(f) == 1) {
        map.remove(key);
    }
    result
}

/// A cart instead of a weight: the parcel is packed as the worker will pack it.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CartRatesBody {
    pub delivery_pincode: Pincode,
    #[serde(default)]
    pub pickup_pincode: Option<Pincode>,
    #[serde(default)]
    pub cod: bool,
    /// Declared value; default: the cart's total.
    #[serde(default)]
    pub value: Option<Money>,
    pub items: Vec<shipping_domain::OrderLine>,
}

fn check_enabled(state: &AppState, peer: SocketAddr) -> ApiResult<()> {
    if state.rates_limiter.check_key(&peer.ip()).is_err() {
        return Err(ApiError::RateLimited);
    }
    let flags = state.flags();
    if !flags.enabled || !flags.show_rates {
        return Err(ApiError::Disabled("rates_disabled", "shipping rates are not shown at the moment".into()));
    }
    Ok(())
}

pub(crate) fn configured_pickup(state: &AppState) -> ApiResult<Pincode> {
    Pincode::parse(&state.settings.shiprocket.pickup_pincode).map_err(|e| invalid("pickup_pincode", e))
}

/// `POST /v1/rates` with a cart: the chargeable weight (actual or volumetric) of the packed
/// parcel is quoted.
#[utoipa::path(post, path = "/v1/rates", tag = "rates",
    summary = "Checkout rates for a cart (packed as the worker packs it)",
    request_body = CartRatesBody,
    responses(
        (status = 200, description = "Couriers with price, delivery estimate and COD; `serviceable: false` with a message for the customer when none", body = RatesAnswer),
        (status = 422, description = "A field is invalid", body = ErrorEnvelope),
        (status = 429, description = "Too many requests from this address", body = ErrorEnvelope),
        (status = 503, description = "Rates are switched off, or Shiprocket failed with nothing cached", body = ErrorEnvelope),
    ))]
pub async fn cart_rates(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    crate::extract::JsonBody(cart): crate::extract::JsonBody<CartRatesBody>,
) -> ApiResult<Json<RatesAnswer>> {
    check_enabled(&state, peer)?;
    let package = shipping_domain::Package::for_lines(&cart.items, &shipping_domain::PackageDefaults::default())?;
    let value = match cart.value {
        Some(v) => v,
        None => cart
            .items
            .iter()
            .try_fold(Money::from_paise(0), |acc, l| {
                let unit = l.unit_price.checked_sub(l.discount)?;
                acc.checked_add(unit.checked_mul(u64::from(l.units))?)
            })
            .ok_or_else(|| ApiError::field("items", "the cart total is out of range"))?,
    };
    let pickup = match cart.pickup_pincode {
        Some(p) => p,
        None => configured_pickup(&state)?,
    };
    quote(&state, pickup, cart.delivery_pincode, package.chargeable_weight, cart.cod, value).await.map(Json)
}

#[utoipa::path(get, path = "/v1/rates", tag = "rates",
    summary = "Checkout rates (cached 15 min per pickup, delivery, weight slab and COD; single-flight; stale on error)",
    params(RatesQuery),
    responses(
        (status = 200, description = "Couriers with price, delivery estimate and COD; `serviceable: false` with a message for the customer when none", body = RatesAnswer),
        (status = 422, description = "A parameter is invalid", body = ErrorEnvelope),
        (status = 429, description = "Too many requests from this address", body = ErrorEnvelope),
        (status = 503, description = "Rates are switched off, or Shiprocket failed with nothing cached", body = ErrorEnvelope),
    ))]
pub async fn rates(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    ApiQuery(q): ApiQuery<RatesQuery>,
) -> ApiResult<Json<RatesAnswer>> {
    check_enabled(&state, peer)?;
    let delivery = Pincode::parse(&q.delivery_pincode).map_err(|e| invalid("delivery_pincode", e))?;
    let pickup = match &q.pickup_pincode {
        Some(p) => Pincode::parse(p).map_err(|e| invalid("pickup_pincode", e))?,
        None => configured_pickup(&state)?,
    };
    let weight = parse_weight(&q.weight)?;
    let cod = parse_bool("cod", q.cod.as_deref())?;
    let value = match q.value.as_deref().map(str::trim).filter(|v| !v.is_empty()) {
        Some(v) => Money::from_rupees_str(v).map_err(|e| invalid("value", e))?,
        None => Money::from_paise(0),
    };
    quote(&state, pickup, delivery, weight, cod, value).await.map(Json)
}

pub(crate) async fn quote(
    state: &AppState,
    pickup: Pincode,
    delivery: Pincode,
    weight: Weight,
    cod: bool,
    value: Money,
) -> ApiResult<RatesAnswer> {
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
                rate: rupees(choice.courier.rate),
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
