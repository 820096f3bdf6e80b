//! `GET /v1/rates?delivery_pincode=&weight=&cod=&value=` and `POST /v1/rates` with a cart:
//! checkout rates, parsed here and quoted by [`crate::services::rates`] (its cache, single
//! flight and stale-on-error are described there).

use crate::error::{ApiError, ApiResult, ErrorEnvelope};
use crate::extract::ApiQuery;
use crate::services::rates::{RatesAnswer, configured_pickup, quote};
use crate::state::AppState;
use axum::Json;
use axum::extract::{ConnectInfo, State};
use serde::Deserialize;
use shipping_domain::{DomainError, Money, Pincode, Weight, cart_value};
use std::net::SocketAddr;

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

fn invalid(field: &str, e: DomainError) -> ApiError {
    crate::services::invalid(field, e).into()
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
        None => cart_value(&cart.items).ok_or_else(|| ApiError::field("items", "the cart total is out of range"))?,
    };
    let pickup = match cart.pickup_pincode {
        Some(p) => p,
        None => configured_pickup(&state)?,
    };
    Ok(Json(quote(&state, pickup, cart.delivery_pincode, package.chargeable_weight, cart.cod, value).await?))
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
    Ok(Json(quote(&state, pickup, delivery, weight, cod, value).await?))
}
