//! The rates cache: an in-process memo of fresh database entries, the database cache shared by
//! every replica, one upstream call per key at a time (single flight), and the last answer,
//! marked stale, when Shiprocket fails.

use super::upstream::upstream;
use crate::services::{ServiceError, ServiceResult};
use crate::state::AppState;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use shipping_store::RateKey;
use shiprocket_client::endpoints::serviceability::CheckServiceability;
use std::sync::Arc;
use std::time::Duration;

/// What the cache stores: Shiprocket's answer, normalised.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Cached {
    pub serviceable: bool,
    pub couriers: Vec<super::CourierRate>,
    pub shiprocket_recommended: Option<u64>,
}

/// Where an answer came from, and when it was fetched.
#[derive(Debug)]
pub enum Fetched {
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

async fn cached_fresh(state: &AppState, key: &RateKey) -> ServiceResult<Option<(Cached, DateTime<Utc>)>> {
    let now = Utc::now();
    if let Some(hit) = state.rate_memo.get(key, now) {
        return Ok(Some(hit));
    }
    let Some(row) = state.store.cached_rates(key, now).await? else { return Ok(None) };
    let Some(cached) = decode(&row) else { return Ok(None) };
    state.rate_memo.put(key, &cached, row.fetched_at, row.expires_at);
    Ok(Some((cached, row.fetched_at)))
}

/// The cache, single-flight per key, and stale-on-error.
pub async fn fetch(state: &AppState, key: &RateKey, req: &CheckServiceability) -> ServiceResult<Fetched> {
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
                let json = serde_json::to_string(&c).map_err(ServiceError::internal)?;
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
                    None => Err(ServiceError::Upstream(format!("{why}; try again shortly"))),
                },
                None => Err(ServiceError::Upstream(format!("{why}; try again shortly"))),
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
