//! Client settings. Every value here has a documented default and can be overridden from the
//! binaries' layered configuration (they deserialize into these types).

use serde::Deserialize;
use std::fmt;
use std::time::Duration;
use url::Url;

/// Production base URL of the external API (note the trailing slash: paths are joined to it).
pub const DEFAULT_BASE_URL: &str = "https://apiv2.shiprocket.in/v1/external/";

/// A value that must never be printed: passwords and tokens. `Debug` and `Display` show
/// `[redacted]`; the only way out is [`Secret::expose`].
#[derive(Clone, PartialEq, Eq, Deserialize)]
#[serde(transparent)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: impl Into<String>) -> Self {
        Secret(value.into())
    }

    /// The raw value, for the one place that must send it.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[redacted]")
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[redacted]")
    }
}

/// The API user's login (Settings → API → Add New API User; not the panel login).
#[derive(Clone, Debug, Deserialize)]
pub struct Credentials {
    pub email: String,
    pub password: Secret,
}

/// A retry schedule: `initial_delay_ms`, multiplied by `factor` each time, capped at
/// `max_delay_ms`, at most `max_retries` times, optionally with jitter. Built into a backon
/// [`backon::ExponentialBuilder`].
#[derive(Clone, Debug, Deserialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct BackoffSchedule {
    pub initial_delay_ms: u64,
    pub factor: f32,
    pub max_delay_ms: u64,
    pub max_retries: usize,
    pub jitter: bool,
}

impl Default for BackoffSchedule {
    fn default() -> Self {
        BackoffSchedule { initial_delay_ms: 500, factor: 2.0, max_delay_ms: 8_000, max_retries: 3, jitter: true }
    }
}

impl BackoffSchedule {
    /// The delays this schedule produces, in order.
    pub fn delays(&self) -> impl Iterator<Item = Duration> + Send + use<> {
        use backon::BackoffBuilder;
        let builder = backon::ExponentialBuilder::default()
            .with_min_delay(Duration::from_millis(self.initial_delay_ms))
            .with_factor(self.factor)
            .with_max_delay(Duration::from_millis(self.max_delay_ms.max(self.initial_delay_ms)))
            .with_max_times(self.max_retries);
        if self.jitter { builder.with_jitter().build() } else { builder.build() }
    }
}

/// How the client retries inside one call, by class of failure. After these are spent the
/// error is returned and the job queue decides (see `Error::is_retryable`).
#[derive(Clone, Debug, Deserialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct RetryPolicy {
    /// HTTP 429. Default: waits of 1, 2, 4, 8 s, no jitter, so a fleet backs off predictably.
    pub rate_limited: BackoffSchedule,
    /// A `Retry-After` longer than this is not slept inside the call: the error is returned
    /// so the job can be rescheduled instead of holding a worker slot. Default 60 s.
    pub max_retry_after_ms: u64,
    /// HTTP 500/502/503/504. Default: 3 retries, 0.5 s doubling, with jitter.
    pub server: BackoffSchedule,
    /// Connect errors and timeouts: this many immediate retries, then give up to the queue.
    /// Default 1.
    pub network_retries: usize,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            rate_limited: BackoffSchedule {
                initial_delay_ms: 1_000,
                factor: 2.0,
                max_delay_ms: 8_000,
                max_retries: 4,
                jitter: false,
            },
            max_retry_after_ms: 60_000,
            server: BackoffSchedule::default(),
            network_retries: 1,
        }
    }
}

impl RetryPolicy {
    /// No retries at all (useful when a caller wants to see every failure itself).
    pub fn none() -> Self {
        let none = BackoffSchedule { max_retries: 0, ..BackoffSchedule::default() };
        RetryPolicy { rate_limited: none.clone(), max_retry_after_ms: 0, server: none, network_retries: 0 }
    }
}

/// Per-request timeouts. `None` disables a timeout (only sensible in tests).
#[derive(Clone, Debug, Deserialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct Timeouts {
    /// Ordinary calls. Default 30 s.
    pub request_ms: Option<u64>,
    /// Label, manifest and invoice generation, which render PDFs. Default 60 s.
    pub document_ms: Option<u64>,
    /// TCP/TLS connect. Default 10 s.
    pub connect_ms: Option<u64>,
}

impl Default for Timeouts {
    fn default() -> Self {
        Timeouts { request_ms: Some(30_000), document_ms: Some(60_000), connect_ms: Some(10_000) }
    }
}

/// Everything the client needs besides its token store.
#[derive(Clone, Debug, Deserialize)]
#[serde(default)]
pub struct ClientConfig {
    /// Default [`DEFAULT_BASE_URL`]; the simulator's URL in tests and `make run`.
    pub base_url: Url,
    /// Required for any authenticated call.
    pub credentials: Option<Credentials>,
    pub timeouts: Timeouts,
    pub retry: RetryPolicy,
    /// Client-side limit on requests per second from this process. Shiprocket publishes no
    /// limit; default 10.
    pub requests_per_second: u32,
    /// How many requests may go out back to back before the limit applies. Default 1 (evenly
    /// spaced requests).
    pub rate_limit_burst: u32,
    /// After a failed login, fail fast for this long instead of logging in again (Shiprocket's
    /// firewall answers repeated logins with 403). Default 30 s.
    pub login_failure_backoff_ms: u64,
    /// Tokens live 240 h (10 days) and the login response does not say so.
    pub token_lifetime_secs: u64,
    /// Refresh this long before the lifetime ends. Default 24 h (refresh after 9 days).
    pub token_refresh_margin_secs: u64,
    /// How long a fleet member waits for another member's login before logging in itself.
    pub token_lock_ms: u64,
    /// Log (masked) request and response bodies at TRACE level.
    pub log_bodies: bool,
}

impl Default for ClientConfig {
    fn default() -> Self {
        ClientConfig {
            base_url: Url::parse(DEFAULT_BASE_URL).expect("the default base URL parses"),
            credentials: None,
            timeouts: Timeouts::default(),
            retry: RetryPolicy::default(),
            requests_per_second: 10,
            rate_limit_burst: 1,
            login_failure_backoff_ms: 30_000,
            token_lifetime_secs: 240 * 3600,
            token_refresh_margin_secs: 24 * 3600,
            token_lock_ms: 10_000,
            log_bodies: true,
        }
    }
}

impl ClientConfig {
    /// A config for `base_url` with `credentials` and every other value at its default.
    pub fn new(base_url: Url, credentials: Credentials) -> Self {
        let mut base_url = base_url;
        if !base_url.path().ends_with('/') {
            let path = format!("{}/", base_url.path());
            base_url.set_path(&path);
        }
        ClientConfig { base_url, credentials: Some(credentials), ..ClientConfig::default() }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn secrets_never_print() {
        let c = Credentials { email: "api@example.in".into(), password: Secret::new("hunter2") };
        assert!(!format!("{c:?}").contains("hunter2"));
        assert_eq!(format!("{}", c.password), "[redacted]");
    }

    #[test]
    fn default_rate_limit_schedule_is_1_2_4_8() {
        let delays: Vec<_> = RetryPolicy::default().rate_limited.delays().collect();
        assert_eq!(delays, [1, 2, 4, 8].map(Duration::from_secs));
    }

    #[test]
    fn server_schedule_has_three_jittered_delays() {
        let delays: Vec<_> = RetryPolicy::default().server.delays().collect();
        assert_eq!(delays.len(), 3);
        // Jitter adds up to one base delay on top of 0.5, 1, 2 s.
        for (d, base) in delays.iter().zip([500u64, 1_000, 2_000]) {
            assert!(*d >= Duration::from_millis(base) && *d <= Duration::from_millis(base * 2), "{d:?}");
        }
    }

    #[test]
    fn base_url_gets_a_trailing_slash() {
        let creds = Credentials { email: "a@b.in".into(), password: Secret::new("x") };
        let c = ClientConfig::new(Url::parse("http://127.0.0.1:1/v1/external").unwrap(), creds);
        assert_eq!(c.base_url.as_str(), "http://127.0.0.1:1/v1/external/");
    }
}
