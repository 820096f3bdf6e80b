//! What every handler shares: settings, the runtime flags, the store, the checkout-rates
//! client and its single-flight table, the API keys, the URL-signing key and the webhook
//! limiter. Built once in [`crate::build`]; cheap to clone.

use crate::auth::ApiKeys;
use crate::config::{Flags, Settings};
use governor::{DefaultKeyedRateLimiter, Quota};
use shipping_domain::Preference;
use shipping_store::{RateKey, Store};
use std::collections::HashMap;
use std::net::IpAddr;
use std::num::NonZeroU32;
use std::sync::{Arc, Mutex, RwLock};

#[derive(Clone, Debug)]
pub struct AppState(Arc<Inner>);

pub struct Inner {
    pub settings: Settings,
    flags: RwLock<Flags>,
    pub store: Store,
    /// For checkout rates only; `None` when the client could not be configured.
    pub shiprocket: Option<shiprocket_client::Client>,
    pub preference: Preference,
    pub api_keys: ApiKeys,
    pub signing_key: Vec<u8>,
    pub metrics: Option<metrics_exporter_prometheus::PrometheusHandle>,
    pub webhook_limiter: DefaultKeyedRateLimiter<IpAddr>,
    /// Customer lookups by order id + phone/e-mail, per source address (against guessing).
    pub lookup_limiter: DefaultKeyedRateLimiter<IpAddr>,
    /// Checkout rate requests per source address.
    pub rates_limiter: DefaultKeyedRateLimiter<IpAddr>,
    /// Admin sign-in attempts per source address (argon2 is costly: no one gets to spend it freely).
    pub signin_limiter: DefaultKeyedRateLimiter<IpAddr>,
    /// Customer forms (NDR requests on the tracking page) per source address.
    pub customer_form_limiter: DefaultKeyedRateLimiter<IpAddr>,
    /// One lock per rate key being fetched: concurrent misses wait for the first fetch.
    pub rate_flights: Mutex<HashMap<RateKey, Arc<tokio::sync::Mutex<()>>>>,
    /// Fresh rate-cache entries held in memory until their database expiry.
    pub rate_memo: crate::services::rates::cache::RateMemo,
}

impl std::fmt::Debug for Inner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AppState")
            .field("flags", &self.flags())
            .field("api_keys", &self.api_keys)
            .finish_non_exhaustive()
    }
}

impl std::ops::Deref for AppState {
    type Target = Inner;
    fn deref(&self) -> &Inner {
        &self.0
    }
}

impl Inner {
    /// The feature flags as they are now.
    pub fn flags(&self) -> Flags {
        *self.flags.read().unwrap_or_else(|p| p.into_inner())
    }

    /// Swaps the feature flags (SIGHUP reload, tests); takes effect on the next request.
    pub fn set_flags(&self, flags: Flags) {
        *self.flags.write().unwrap_or_else(|p| p.into_inner()) = flags;
    }
}

impl AppState {
    pub fn new(
        settings: Settings,
        store: Store,
        shiprocket: Option<shiprocket_client::Client>,
        metrics: Option<metrics_exporter_prometheus::PrometheusHandle>,
    ) -> anyhow::Result<AppState> {
        let preference = settings.courier_preference().map_err(anyhow::Error::msg)?;
        let api_keys = ApiKeys::new(settings.auth.api_keys.iter().map(|k| k.expose()));
        let signing_key = if settings.auth.url_signing_key.is_empty() {
            let a = uuid::Uuid::new_v4();
            let b = uuid::Uuid::new_v4();
            [a.as_bytes().as_slice(), b.as_bytes().as_slice()].concat()
        } else {
            settings.auth.url_signing_key.expose().as_bytes().to_vec()
        };
        let per_minute = NonZeroU32::new(settings.webhooks.rate_limit_per_minute.max(1)).unwrap_or(NonZeroU32::MIN);
        let webhook_limiter = governor::RateLimiter::keyed(Quota::per_minute(per_minute));
        let lookups = NonZeroU32::new(settings.server.tracking_lookups_per_minute.max(1)).unwrap_or(NonZeroU32::MIN);
        let lookup_limiter = governor::RateLimiter::keyed(Quota::per_minute(lookups));
        let rates = NonZeroU32::new(settings.rates.requests_per_minute_per_source.max(1)).unwrap_or(NonZeroU32::MIN);
        let rates_limiter = governor::RateLimiter::keyed(Quota::per_minute(rates));
        let signin_limiter =
            governor::RateLimiter::keyed(Quota::per_minute(NonZeroU32::new(20).unwrap_or(NonZeroU32::MIN)));
        let forms = NonZeroU32::new(settings.server.customer_forms_per_minute.max(1)).unwrap_or(NonZeroU32::MIN);
        let customer_form_limiter = governor::RateLimiter::keyed(Quota::per_minute(forms));
        Ok(AppState(Arc::new(Inner {
            flags: RwLock::new(settings.flags()),
            settings,
            store,
            shiprocket,
            preference,
            api_keys,
            signing_key,
            metrics,
            webhook_limiter,
            lookup_limiter,
            rates_limiter,
            signin_limiter,
            customer_form_limiter,
            rate_flights: Mutex::new(HashMap::new()),
            rate_memo: Default::default(),
        })))
    }
}

/// An unguessable token (244 random bits) for customer tracking links.
pub fn new_tracking_token() -> String {
    format!("{}{}", uuid::Uuid::new_v4().simple(), uuid::Uuid::new_v4().simple())
}
