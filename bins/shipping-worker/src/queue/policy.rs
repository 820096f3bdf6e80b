//! What happens after one call of the handler. Pure, so the whole policy is unit-tested here; the
//! runner only carries out the decision.
//!
//! The policy is ours, not apalis': apalis-redis 1.0 re-schedules any failed task up to 25 times
//! whatever `max_attempts` says, so a retry is a fresh push of the job with `attempt + 1` (and the
//! delay as `run_at`), and the current task is acknowledged.

use super::JobFailure;
use std::time::Duration;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct RetryPolicy {
    pub max_attempts: u32,
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
    /// `attempt` is the attempt that just ran (1-based).
    pub fn decide(&self, outcome: &Result<(), JobFailure>, attempt: u32) -> Decision {
        match outcome {
            Ok(()) => Decision::Done,
            Err(JobFailure::Permanent { reason }) => Decision::Dead { reason: reason.clone() },
            Err(JobFailure::Retry { reason, .. }) if attempt >= self.max_attempts => {
                Decision::Dead { reason: format!("gave up after {attempt} attempts: {reason}") }
            }
            Err(JobFailure::Retry { after: Some(after), .. }) => Decision::Retry { delay: *after },
            Err(JobFailure::Retry { after: None, .. }) => Decision::Retry { delay: self.backoff(attempt) },
        }
    }

    /// `base × 2^(attempt-1)`, capped.
    pub fn backoff(&self, attempt: u32) -> Duration {
        let doublings = attempt.saturating_sub(1).min(30);
        self.base_backoff.saturating_mul(1u32 << doublings).min(self.max_backoff)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const POLICY: RetryPolicy =
        RetryPolicy { max_attempts: 4, base_backoff: Duration::from_secs(2), max_backoff: Duration::from_secs(10) };

    fn retry(after: Option<Duration>) -> Result<(), JobFailure> {
        Err(JobFailure::Retry { after, reason: "503".into() })
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
    fn retry_after_is_honoured_but_not_past_max_attempts() {
        let after = Some(Duration::from_secs(60));
        assert_eq!(POLICY.decide(&retry(after), 1), Decision::Retry { delay: Duration::from_secs(60) });
        assert!(matches!(POLICY.decide(&retry(after), 4), Decision::Dead { .. }));
    }
}
