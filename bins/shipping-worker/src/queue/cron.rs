//! Cron in the queue, once per fleet. Every replica runs every cron and computes the same tick
//! times (wall clock, UTC, [`CronSchedule`]), and pushes each tick's job with the idempotency
//! key `cron:{name}:{tick}`: the first push of a tick wins, the others' are dropped by the
//! backend, so one job per tick runs fleet-wide. Which crons exist and their schedules: the
//! worker's `jobs/cron.rs`.

use super::queues::Queues;
use anyhow::{Context, Result, anyhow, ensure};
use chrono::{DateTime, TimeZone, Utc};
use shipping_store::jobs::Job;
use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::watch;

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

type MakeJob = Arc<dyn Fn(DateTime<Utc>) -> Job + Send + Sync>;

#[derive(Clone)]
pub(super) struct CronEntry {
    name: String,
    schedule: CronSchedule,
    make_job: MakeJob,
}

impl std::fmt::Debug for CronEntry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CronEntry").field("name", &self.name).field("schedule", &self.schedule).finish()
    }
}

impl Queues {
    /// Runs `name` on `schedule` while [`Queues::run`] runs. Every replica pushes each tick's job
    /// with the key `cron:{name}:{tick}`, so one job per tick runs fleet-wide.
    pub fn schedule_cron<F>(&self, name: &str, schedule: CronSchedule, make_job: F) -> Result<()>
    where
        F: Fn() -> Job + Send + Sync + 'static,
    {
        self.schedule_cron_at(name, schedule, move |_| make_job())
    }

    /// [`Queues::schedule_cron`] for jobs that need the tick's time.
    pub fn schedule_cron_at<F>(&self, name: &str, schedule: CronSchedule, make_job: F) -> Result<()>
    where
        F: Fn(DateTime<Utc>) -> Job + Send + Sync + 'static,
    {
        let mut crons = self.inner.crons.lock().map_err(|_| anyhow!("the cron list is poisoned"))?;
        ensure!(crons.iter().all(|c| c.name != name), "cron job {name:?} is scheduled twice");
        crons.push(CronEntry { name: name.to_owned(), schedule, make_job: Arc::new(make_job) });
        Ok(())
    }

    /// The crons scheduled so far, for [`Queues::run`].
    pub(super) fn crons(&self) -> Result<Vec<CronEntry>> {
        Ok(self.inner.crons.lock().map_err(|_| anyhow!("the cron list is poisoned"))?.clone())
    }

    /// Pushes each tick of one cron until `stop`.
    pub(super) async fn run_cron(self, cron: CronEntry, mut stop: watch::Receiver<bool>) -> Result<()> {
        let mut after = Utc::now();
        while let Some(tick) = cron.schedule.next_after(after) {
            let wait = (tick - Utc::now()).to_std().unwrap_or_default();
            tokio::select! {
                () = tokio::time::sleep(wait) => {}
                _ = stop.wait_for(|stopped| *stopped) => return Ok(()),
            }
            let job = (cron.make_job)(tick);
            match self.push_unique(&job, &tick_key(&cron.name, tick)).await {
                Ok(()) => tracing::debug!(cron = %cron.name, tick = tick.timestamp(), "cron tick pushed"),
                // Another replica may still push this tick; the next tick is tried regardless.
                Err(error) => tracing::warn!(cron = %cron.name, %error, "cron tick not pushed"),
            }
            // Ticks missed while this replica lagged are skipped: they belong to other replicas.
            after = tick.max(Utc::now());
        }
        Ok(())
    }
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
