//! The retry contract: what happens after one call of the handler. `Ok` is done; `Permanent` is
//! dead at once; `Retry` is tried again after its `after` or the exponential backoff, until the
//! attempt cap of its [`RetryClass`] (here, [`RetryPolicy::cap`]; the numbers are
//! [`QueueConfig::max_attempts`] and [`QueueConfig::attempts_by_class`]), then dead. A dead job
//! goes to the handler's `dead` (the store's dead letters). Pure, so the whole policy is
//! unit-tested here; `executor.rs` only carries out the decision.
//!
//! The policy is ours, not apalis': apalis-redis 1.0 re-schedules any failed task up to 25 times
//! whatever `max_attempts` says, so a retry is a fresh push of the job with `attempt + 1` (and the
//! delay as `run_at`), and the current task is acknowledged.

use super::{AttemptsByClass, JobFailure, QueueConfig, RetryClass};
use backon::{BackoffBuilder, ExponentialBuilder};
use std::time::Duration;

/// Backoff doublings stop here (`base × 2^30`), whatever the attempt.
const MAX_DOUBLINGS: u32 = 30;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct RetryPolicy {
    /// For [`RetryClass::Other`].
    pub max_attempts: u32,
    pub by_class: AttemptsByClass,
    pub base_backoff: Duration,
    pub max_backoff: Duration,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Decision {
    Done,
    /// Push the job again for attempt `attempt + 1`, to run after `delay`.
    Retry {
        delay: Duration,
    },
    /// Tell the handler it is dead; never run it again.
    Dead {
        reason: String,
    },
}

impl RetryPolicy {
    pub fn from_config(cfg: &QueueConfig) -> RetryPolicy {
        RetryPolicy {
            max_attempts: cfg.max_attempts,
            by_class: cfg.attempts_by_class,
            base_backoff: cfg.base_backoff(),
            max_backoff: cfg.max_backoff(),
        }
    }

    /// `attempt` is the attempt that just ran (1-based).
    pub fn decide(&self, outcome: &Result<(), JobFailure>, attempt: u32) -> Decision {
        match outcome {
            Ok(()) => Decision::Done,
            Err(JobFailure::Permanent { reason }) => Decision::Dead { reason: reason.clone() },
            Err(JobFailure::Retry { reason, class, .. }) if attempt >= self.cap(*class) => {
                Decision::Dead { reason: format!("gave up after {attempt} attempts: {reason}") }
            }
            Err(JobFailure::Retry { after: Some(after), .. }) => Decision::Retry { delay: *after },
            Err(JobFailure::Retry { after: None, .. }) => Decision::Retry { delay: self.backoff(attempt) },
        }
    }

    /// Attempts allowed for a failure of `class`.
    pub fn cap(&self, class: RetryClass) -> u32 {
        match class {
            RetryClass::RateLimited => self.by_class.rate_limited,
            RetryClass::Server => self.by_class.server,
            RetryClass::Network => self.by_class.network,
            RetryClass::Other => self.max_attempts,
        }
    }

    /// `base × 2^(attempt-1)`, capped, without jitter (a retry's delay is rounded up to whole
    /// seconds by the backends anyway).
    pub fn backoff(&self, attempt: u32) -> Duration {
        let doublings = attempt.saturating_sub(1).min(MAX_DOUBLINGS);
        ExponentialBuilder::new()
            .with_min_delay(self.base_backoff)
            .with_max_delay(self.max_backoff)
            .with_factor(2.0)
            .without_max_times()
            .build()
            .nth(usize::try_from(doublings).unwrap_or(usize::MAX))
            .unwrap_or(self.max_backoff)
            // backon returns its first delay uncapped.
            .min(self.max_backoff)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const POLICY: RetryPolicy = RetryPolicy {
        max_attempts: 4,
        by_class: AttemptsByClass { rate_limited: 12, server: 4, network: 6 },
        base_backoff: Duration::from_secs(2),
        max_backoff: Duration::from_secs(10),
    };

    fn retry(after: Option<Duration>) -> Result<(), JobFailure> {
        Err(JobFailure::Retry { after, reason: "503".into(), class: RetryClass::Other })
    }

    fn failing(class: RetryClass) -> Result<(), JobFailure> {
        Err(JobFailure::Retry { after: None, reason: format!("{class:?}"), class })
    }

    /// The last attempt each class gets before the job is dead.
    fn last_attempt(class: RetryClass) -> u32 {
        (1..100).find(|a| matches!(POLICY.decide(&failing(class), *a), Decision::Dead { .. })).unwrap_or(0)
    }

    #[test]
    fn each_class_has_its_own_cap() {
        assert_eq!(last_attempt(RetryClass::Server), 4, "server errors: 3 retries");
        assert_eq!(last_attempt(RetryClass::Network), 6);
        assert_eq!(last_attempt(RetryClass::RateLimited), 12);
        assert_eq!(last_attempt(RetryClass::Other), 4, "everything else: max_attempts");
    }

    #[test]
    fn success_is_done_and_permanent_is_dead_on_any_attempt() {
        assert_eq!(POLICY.decide(&Ok(()), 1), Decision::Done);
        let permanent = Err(JobFailure::Permanent { reason: "pincode".into() });
        assert_eq!(POLICY.decide(&permanent, 1), Decision::Dead { reason: "pincode".into() });
    }

    #[test]
    fn retries_back_off_exponentially_until_the_cap_and_stop_at_max_attempts() {
        let delays: Vec<_> = (1..4).map(|a| POLICY.decide(&retry(None), a)).collect();
        assert_eq!(
            delays,
            [2, 4, 8].map(|s| Decision::Retry { delay: Duration::from_secs(s) }).to_vec(),
            "attempts 1..3 of 4 are retried"
        );
        assert_eq!(POLICY.backoff(5), Duration::from_secs(10));
        assert_eq!(POLICY.backoff(200), Duration::from_secs(10), "no overflow on huge attempts");
        assert!(matches!(POLICY.decide(&retry(None), 4), Decision::Dead { reason } if reason.contains("4 attempts")));
    }

    #[test]
    fn the_backoff_never_exceeds_its_cap_even_on_the_first_retry() {
        let policy = RetryPolicy { base_backoff: Duration::from_secs(30), ..POLICY };
        assert_eq!(policy.backoff(1), Duration::from_secs(10));
        assert_eq!(RetryPolicy { base_backoff: Duration::ZERO, ..POLICY }.backoff(3), Duration::ZERO);
    }

    #[test]
    fn retry_after_is_honoured_but_not_past_max_attempts() {
        let after = Some(Duration::from_secs(60));
        assert_eq!(POLICY.decide(&retry(after), 1), Decision::Retry { delay: Duration::from_secs(60) });
        assert!(matches!(POLICY.decide(&retry(after), 4), Decision::Dead { .. }));
    }
}
