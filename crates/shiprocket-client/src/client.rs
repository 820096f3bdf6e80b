//! The client: one `send` that every endpoint goes through, with the token, the rate limit,
//! timeouts, per-class retries and PII-safe logging.

use crate::auth::{MemoryTokenStore, Token, TokenStore};
use crate::config::ClientConfig;
use crate::endpoints::auth::{Login, Logout};
use crate::endpoints::{Endpoint, TimeoutClass, classify_http_error};
use crate::error::{Error, Result};
use crate::mask::mask_body;
use governor::{DefaultDirectRateLimiter, Quota, RateLimiter};
use std::fmt;
use std::num::NonZeroU32;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::time::Instant;

/// How many bytes of a masked body go into a TRACE log line.
const LOGGED_BODY_LIMIT: usize = 2_048;

/// A Shiprocket API client. Cheap to clone; clones share the connection pool, the rate limiter
/// and the token.
#[derive(Clone)]
pub struct Client {
    inner: Arc<Inner>,
}

struct Inner {
    http: reqwest::Client,
    config: ClientConfig,
    tokens: Arc<dyn TokenStore>,
    /// Single-flight within the process: one task logs in, the others wait and reuse.
    refresh: tokio::sync::Mutex<()>,
    limiter: DefaultDirectRateLimiter,
    last_login_failure: Mutex<Option<(Instant, Error)>>,
    stats: Stats,
}

/// Counters for tests and metrics.
#[derive(Debug, Default)]
struct Stats {
    logins: AtomicU64,
    requests: AtomicU64,
    retries: AtomicU64,
}

impl fmt::Debug for Client {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Client")
            .field("base_url", &self.inner.config.base_url.as_str())
            .field("tokens", &self.inner.tokens)
            .finish_non_exhaustive()
    }
}

fn duration_ms(ms: Option<u64>) -> Option<Duration> {
    ms.map(Duration::from_millis)
}

impl Client {
    /// A client with its own in-memory token.
    pub fn new(config: ClientConfig) -> Result<Self> {
        Self::with_token_store(config, Arc::new(MemoryTokenStore::new()))
    }

    /// A client that keeps its token in `tokens` (e.g. a [`crate::RedisTokenStore`] shared by
    /// a fleet).
    pub fn with_token_store(config: ClientConfig, tokens: Arc<dyn TokenStore>) -> Result<Self> {
        let mut http = reqwest::Client::builder()
            .user_agent(concat!("shipping-service/", env!("CARGO_PKG_VERSION")))
            .pool_idle_timeout(Duration::from_secs(90))
            .tcp_keepalive(Duration::from_secs(60));
        if let Some(connect) = duration_ms(config.timeouts.connect_ms) {
            http = http.connect_timeout(connect);
        }
        let http = http.build().map_err(|e| Error::Network { message: format!("building the HTTP client: {e}") })?;
        let rps = NonZeroU32::new(config.requests_per_second)
            .ok_or_else(|| Error::validation("requests_per_second must be at least 1"))?;
        let burst = NonZeroU32::new(config.rate_limit_burst).unwrap_or(NonZeroU32::MIN);
        let limiter = RateLimiter::direct(Quota::per_second(rps).allow_burst(burst));
        Ok(Client {
            inner: Arc::new(Inner {
                http,
                config,
                tokens,
                refresh: tokio::sync::Mutex::new(()),
                limiter,
                last_login_failure: Mutex::new(None),
                stats: Stats::default(),
            }),
        })
    }

    pub fn config(&self) -> &ClientConfig {
        &self.inner.config
    }

    /// How many logins this client has performed.
    pub fn login_count(&self) -> u64 {
        self.inner.stats.logins.load(Ordering::Relaxed)
    }

    /// How many HTTP requests this client has sent (every attempt counts).
    pub fn request_count(&self) -> u64 {
        self.inner.stats.requests.load(Ordering::Relaxed)
    }

    /// How many times this client has retried a request.
    pub fn retry_count(&self) -> u64 {
        self.inner.stats.retries.load(Ordering::Relaxed)
    }

    /// Sends `request`, retrying by failure class as configured, and decodes the answer.
    /// One `shiprocket` span per call (retries included), a child of the caller's span.
    pub async fn send<E: Endpoint>(&self, request: &E) -> Result<E::Response> {
        use tracing::Instrument;
        let span = tracing::info_span!(
            "shiprocket",
            endpoint = E::NAME,
            otel.kind = "client",
            error.class = tracing::field::Empty
        );
        let result = self.send_with_retries(request).instrument(span.clone()).await;
        if let Err(e) = &result {
            span.record("error.class", e.class());
        }
        result
    }

    async fn send_with_retries<E: Endpoint>(&self, request: &E) -> Result<E::Response> {
        let policy = &self.inner.config.retry;
        let mut rate_limited_delays = policy.rate_limited.delays();
        let mut server_delays = policy.server.delays();
        let mut network_retries_left = policy.network_retries;
        let mut refreshed_after_401 = false;
        let body = request.body()?;
        let mut attempt: u32 = 0;
        loop {
            attempt += 1;
            let token = if E::AUTH { Some(self.token().await?) } else { None };
            let err = match self.send_once(request, token.as_ref(), body.as_ref(), attempt).await {
                Ok(response) => return Ok(response),
                Err(e) => e,
            };
            let wait = match &err {
                Error::Auth { status: 401, .. } if E::AUTH && !refreshed_after_401 => {
                    // The token was refused: forget it (if nobody replaced it yet) and log in once.
                    refreshed_after_401 = true;
                    if let Some(t) = &token {
                        self.inner.tokens.discard(t).await?;
                    }
                    Some(Duration::ZERO)
                }
                Error::RateLimited { retry_after } => match rate_limited_delays.next() {
                    Some(scheduled) => {
                        let wait = retry_after.unwrap_or(scheduled);
                        (wait <= Duration::from_millis(policy.max_retry_after_ms)).then_some(wait)
                    }
                    None => None,
                },
                Error::Server { status: 500 | 502 | 503 | 504, .. } => server_delays.next(),
                Error::Network { .. } | Error::Timeout { .. } if network_retries_left > 0 => {
                    network_retries_left -= 1;
                    Some(Duration::ZERO)
                }
                _ => None,
            };
            let Some(wait) = wait else { return Err(err) };
            self.inner.stats.retries.fetch_add(1, Ordering::Relaxed);
            metrics::counter!("shiprocket_retries_total", "endpoint" => E::NAME, "class" => err.class()).increment(1);
            tracing::warn!(
                endpoint = E::NAME,
                attempt,
                error.class = err.class(),
                error = %err,
                wait_ms = u64::try_from(wait.as_millis()).unwrap_or(u64::MAX),
                "shiprocket call failed; retrying"
            );
            if !wait.is_zero() {
                tokio::time::sleep(wait).await;
            }
        }
    }

    async fn send_once<E: Endpoint>(
        &self,
        request: &E,
        token: Option<&Token>,
        body: Option<&serde_json::Value>,
        attempt: u32,
    ) -> Result<E::Response> {
        let config = &self.inner.config;
        let path = request.path();
        let url = config
            .base_url
            .join(&path)
            .map_err(|e| Error::validation(format!("invalid request path {path:?}: {e}")))?;
        let timeout = match E::TIMEOUT {
            TimeoutClass::Standard => duration_ms(config.timeouts.request_ms),
            TimeoutClass::Document => duration_ms(config.timeouts.document_ms),
        };
        let query = request.query();
        let mut builder = self.inner.http.request(E::METHOD, url).header("accept", "application/json");
        if !query.is_empty() {
            builder = builder.query(&query);
        }
        if let Some(t) = token {
            builder = builder.bearer_auth(t.expose());
        }
        if let Some(b) = body {
            builder = builder.json(b);
        }
        if let Some(t) = timeout {
            builder = builder.timeout(t);
        }

        self.inner.limiter.until_ready().await;
        self.inner.stats.requests.fetch_add(1, Ordering::Relaxed);
        if config.log_bodies && tracing::enabled!(tracing::Level::TRACE) {
            let request_body = body.map(|b| mask_body(b.to_string().as_bytes(), LOGGED_BODY_LIMIT)).unwrap_or_default();
            tracing::trace!(endpoint = E::NAME, method = %E::METHOD, path = %path, attempt, body = %request_body, "shiprocket request");
        }
        let started = Instant::now();
        // Every HTTP attempt is counted by endpoint and status ("timeout"/"network" when there
        // was none), with its latency; the rate limiter's wait is not part of it.
        let observe = |status: &str| {
            let labels = [("endpoint", E::NAME.to_owned()), ("status", status.to_owned())];
            metrics::counter!("shiprocket_requests_total", &labels).increment(1);
            metrics::histogram!("shiprocket_request_duration_seconds", "endpoint" => E::NAME)
                .record(started.elapsed().as_secs_f64());
        };
        let transport = |e: reqwest::Error| {
            observe(if e.is_timeout() { "timeout" } else { "network" });
            transport_error(e, timeout)
        };
        let response = builder.send().await.map_err(transport)?;
        let status = response.status().as_u16();
        let retry_after = parse_retry_after(response.headers());
        let bytes = response.bytes().await.map_err(transport)?;
        observe(&status.to_string());
        if status == 429 {
            metrics::counter!("shiprocket_rate_limited_total", "endpoint" => E::NAME).increment(1);
        }
        let elapsed_ms = u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX);
        tracing::debug!(endpoint = E::NAME, method = %E::METHOD, path = %path, status, elapsed_ms, attempt, "shiprocket response");
        if config.log_bodies && tracing::enabled!(tracing::Level::TRACE) {
            tracing::trace!(endpoint = E::NAME, status, body = %mask_body(&bytes, LOGGED_BODY_LIMIT), "shiprocket response body");
        }
        interpret(request, status, retry_after, &bytes)
    }

    /// A token that is valid for at least the refresh margin, logging in if needed. Concurrent
    /// callers share one login (per process through a mutex, per fleet through the store's lock).
    pub async fn token(&self) -> Result<Token> {
        let config = &self.inner.config;
        let margin = Duration::from_secs(config.token_refresh_margin_secs);
        let fresh = |t: &Option<Token>| t.as_ref().filter(|t| t.is_fresh(chrono::Utc::now(), margin)).cloned();

        if let Some(t) = fresh(&self.inner.tokens.load().await?) {
            return Ok(t);
        }
        let _single_flight = self.inner.refresh.lock().await;
        if let Some(t) = fresh(&self.inner.tokens.load().await?) {
            return Ok(t);
        }
        self.fail_fast_after_login_failure()?;
        let lock_ttl = Duration::from_millis(config.token_lock_ms);
        loop {
            if let Some(lock) = self.inner.tokens.try_lock_refresh(lock_ttl).await? {
                // The member that held the lock before us may have stored its token between
                // our last look and our lock: use it rather than log in a second time.
                let result = match fresh(&self.inner.tokens.load().await?) {
                    Some(t) => Ok(t),
                    None => Box::pin(self.login_and_store()).await,
                };
                if let Err(e) = self.inner.tokens.unlock_refresh(&lock).await {
                    // The lock expires by itself; a failed unlock only delays the next refresh.
                    tracing::warn!(error = %e, "could not release the token refresh lock");
                }
                return result;
            }
            // Another fleet member is logging in: wait for its token.
            tokio::time::sleep(Duration::from_millis(50)).await;
            if let Some(t) = fresh(&self.inner.tokens.load().await?) {
                return Ok(t);
            }
        }
    }

    fn fail_fast_after_login_failure(&self) -> Result<()> {
        let backoff = Duration::from_millis(self.inner.config.login_failure_backoff_ms);
        let guard = self.inner.last_login_failure.lock().unwrap_or_else(|p| p.into_inner());
        match &*guard {
            Some((at, Error::Auth { status, message })) if at.elapsed() < backoff => {
                Err(Error::Auth { status: *status, message: format!("{message} (not retrying login for {backoff:?})") })
            }
            _ => Ok(()),
        }
    }

    /// Logs in now, whatever the current token, and stores the new token.
    pub async fn login_and_store(&self) -> Result<Token> {
        let config = &self.inner.config;
        let credentials = config
            .credentials
            .as_ref()
            .ok_or_else(|| Error::Auth { status: 0, message: "no Shiprocket credentials configured".into() })?;
        self.inner.stats.logins.fetch_add(1, Ordering::Relaxed);
        let login = Login { email: credentials.email.clone(), password: credentials.password.clone() };
        let response = match self.send(&login).await {
            Ok(r) => {
                metrics::counter!("shiprocket_token_refreshes_total", "outcome" => "ok").increment(1);
                r
            }
            Err(e) => {
                metrics::counter!("shiprocket_token_refreshes_total", "outcome" => "error").increment(1);
                if matches!(e, Error::Auth { .. }) {
                    let mut guard = self.inner.last_login_failure.lock().unwrap_or_else(|p| p.into_inner());
                    *guard = Some((Instant::now(), Error::Auth { status: auth_status(&e), message: e.to_string() }));
                }
                return Err(e);
            }
        };
        let token =
            Token::new(response.token.expose(), chrono::Utc::now(), Duration::from_secs(config.token_lifetime_secs));
        self.inner.tokens.save(&token).await?;
        tracing::info!(company_id = response.company_id, expires_at = %token.expires_at, "logged in to shiprocket");
        Ok(token)
    }

    /// Invalidates the current token at Shiprocket and forgets it.
    pub async fn logout(&self) -> Result<()> {
        let Some(token) = self.inner.tokens.load().await? else { return Ok(()) };
        let result = self.send(&Logout).await;
        self.inner.tokens.discard(&token).await?;
        result.map(|_| ())
    }
}

fn auth_status(e: &Error) -> u16 {
    match e {
        Error::Auth { status, .. } => *status,
        _ => 0,
    }
}

/// Interprets one HTTP answer for `request`: 2xx goes to the endpoint's decoder, everything
/// else through the shared classification. Public so fixtures and tools can use the exact same
/// path as live calls.
pub fn interpret<E: Endpoint>(
    request: &E,
    status: u16,
    retry_after: Option<Duration>,
    body: &[u8],
) -> Result<E::Response> {
    if (200..300).contains(&status) {
        request.decode(status, body)
    } else {
        Err(request.refine_error(status, classify_http_error(status, retry_after, body)))
    }
}

fn transport_error(e: reqwest::Error, timeout: Option<Duration>) -> Error {
    if e.is_timeout() {
        Error::Timeout { after: timeout.unwrap_or_default() }
    } else if e.is_decode() || e.is_body() {
        Error::Network { message: format!("reading the response: {}", e.without_url()) }
    } else {
        Error::Network { message: e.without_url().to_string() }
    }
}

/// `Retry-After` in seconds or as an HTTP date.
pub(crate) fn parse_retry_after(headers: &reqwest::header::HeaderMap) -> Option<Duration> {
    let raw = headers.get(reqwest::header::RETRY_AFTER)?.to_str().ok()?.trim();
    if let Ok(secs) = raw.parse::<u64>() {
        return Some(Duration::from_secs(secs));
    }
    let at = chrono::DateTime::parse_from_rfc2822(raw).ok()?;
    let wait = at.with_timezone(&chrono::Utc) - chrono::Utc::now();
    Some(wait.to_std().unwrap_or(Duration::ZERO))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use reqwest::header::{HeaderMap, HeaderValue, RETRY_AFTER};

    #[test]
    fn retry_after_seconds_and_dates() {
        let mut h = HeaderMap::new();
        h.insert(RETRY_AFTER, HeaderValue::from_static("7"));
        assert_eq!(parse_retry_after(&h), Some(Duration::from_secs(7)));
        h.insert(RETRY_AFTER, HeaderValue::from_static("Wed, 21 Oct 2015 07:28:00 GMT"));
        assert_eq!(parse_retry_after(&h), Some(Duration::ZERO));
        h.insert(RETRY_AFTER, HeaderValue::from_static("soon"));
        assert_eq!(parse_retry_after(&h), None);
    }
}
