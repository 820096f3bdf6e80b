//! Schedules for cron jobs. Every replica computes the same tick times (wall clock, UTC), so the
//! tick's timestamp can name the tick fleet-wide: `cron:{name}:{tick}`.

use anyhow::{Context, Result, ensure};
use chrono::{DateTime, TimeZone, Utc};
use std::str::FromStr;
use std::time::Duration;

/// When a cron job fires.
#[derive(Debug, Clone)]
pub enum CronSchedule {
    /// A cron expression with seconds: `sec min hour day-of-month month day-of-week [year]`,
    /// e.g. `0 0 */2 * * *` (every two hours).
    Cron(Box<::cron::Schedule>),
    /// Every `period` (whole seconds), at multiples of it since the Unix epoch, so replicas agree.
    Every(Duration),
}

impl CronSchedule {
    pub fn cron(expression: &str) -> Result<Self> {
        let schedule = ::cron::Schedule::from_str(expression)
            .with_context(|| format!("invalid cron expression {expression:?}"))?;
        Ok(CronSchedule::Cron(Box::new(schedule)))
    }

    pub fn every(period: Duration) -> Result<Self> {
        ensure!(
            period >= Duration::from_secs(1) && period.subsec_nanos() == 0,
            "a cron period must be a whole number of seconds, got {period:?}"
        );
        Ok(CronSchedule::Every(period))
    }

    /// The first tick strictly after `after`.
    pub fn next_after(&self, after: DateTime<Utc>) -> Option<DateTime<Utc>> {
        match self {
            CronSchedule::Cron(schedule) => schedule.after(&after).next(),
            CronSchedule::Every(period) => {
                let period = i64::try_from(period.as_secs()).ok()?.max(1);
                let next = after.timestamp().div_euclid(period).checked_add(1)?.checked_mul(period)?;
                Utc.timestamp_opt(next, 0).single()
            }
        }
    }
}

/// The idempotency key of one tick of one cron job.
pub(crate) fn tick_key(name: &str, tick: DateTime<Utc>) -> String {
    format!("cron:{name}:{}", tick.timestamp())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn at(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    #[test]
    fn fixed_periods_tick_at_epoch_multiples_strictly_after() {
        let every_2h = CronSchedule::every(Duration::from_secs(7200)).unwrap();
        assert_eq!(every_2h.next_after(at("2026-11-28T21:59:59.9Z")), Some(at("2026-11-28T22:00:00Z")));
        assert_eq!(every_2h.next_after(at("2026-11-28T22:00:00Z")), Some(at("2026-11-29T00:00:00Z")));
        assert!(CronSchedule::every(Duration::from_millis(1500)).is_err());
        assert!(CronSchedule::every(Duration::ZERO).is_err());
    }

    #[test]
    fn cron_expressions_tick_on_their_fields() {
        let daily = CronSchedule::cron("0 30 3 * * *").unwrap();
        assert_eq!(daily.next_after(at("2026-11-28T21:00:00Z")), Some(at("2026-11-29T03:30:00Z")));
        assert!(CronSchedule::cron("every now and then").is_err());
        assert_eq!(tick_key("cleanup", at("2026-11-29T03:30:00Z")), "cron:cleanup:1795923000");
    }
}
