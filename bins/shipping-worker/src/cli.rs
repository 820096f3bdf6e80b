//! The command line: `shipping-worker [run | migrate | dead-jobs | replay-dead <id> | enqueue
//! <job>]`, `run` when no command is given. Parsed before the configuration is read, so
//! `--help` works anywhere. The operator commands print their answer on stdout (they are meant
//! for a terminal).

use crate::app::{open_store, run};
use crate::settings::WorkerConfig;
use anyhow::{Context as _, Result};
use clap::{Parser, Subcommand};
use shipping_store::jobs::{CronTask, CronV1, Job};

/// The job fleet of the shipping service: syncs orders to Shiprocket, assigns AWBs, fetches
/// labels, schedules pickups, follows tracking and returns, sends the e-mails.
///
/// Settings: the defaults compiled in (config/worker.toml documents each), then the TOML file
/// named by SHIPPING_WORKER_CONFIG, then the environment (SHIPPING__SECTION__KEY wins over a
/// seed alias such as DATABASE_URL).
#[derive(Debug, Parser)]
#[command(name = "shipping-worker", version)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Debug, Clone, PartialEq, Subcommand)]
pub enum Command {
    /// Run the queues, the crons and the outbox relay until SIGTERM or Ctrl-C (the default).
    ///
    /// Migrates the database first; serves /metrics and /healthz on worker.metrics_listen.
    #[command(visible_alias = "serve")]
    Run,
    /// Apply the pending database migrations, then exit.
    Migrate,
    /// List the dead-lettered jobs, one JSON object per line.
    DeadJobs,
    /// Promise a dead job again through the outbox (once: the dead letter is marked replayed).
    ReplayDead {
        /// The dead job's id, as `dead-jobs` prints it.
        id: i64,
    },
    /// Promise one job through the outbox; the relay hands it to the queue.
    Enqueue {
        /// A cron task (refresh-tracking, retry-failed-syncs, cleanup, reconcile) to run its tick
        /// now, or a job as JSON, e.g. '{"type":"sync_order","order_id":3,"shipment_id":4}'.
        #[arg(value_name = "JOB", value_parser = parse_job)]
        job: Job,
    },
}

/// A cron task by name (`-` or `_`), or a job as the outbox stores it.
fn parse_job(arg: &str) -> Result<Job, String> {
    if arg.trim_start().starts_with('{') {
        return Job::from_payload(arg).map_err(|e| e.to_string());
    }
    let name = serde_json::Value::String(arg.trim().replace('-', "_"));
    let task: CronTask = serde_json::from_value(name).map_err(|_| {
        format!("{arg:?} is no cron task (refresh-tracking, retry-failed-syncs, cleanup, reconcile) nor a JSON job")
    })?;
    Ok(Job::Cron(CronV1 { task }))
}

/// The program: parse the command line (exits with the help or the usage error), run it.
pub async fn main() -> Result<()> {
    Cli::parse().run().await
}

impl Cli {
    /// Reads the configuration, starts telemetry, runs the chosen command.
    #[allow(clippy::print_stdout)]
    pub async fn run(self) -> Result<()> {
        let _ = rustls::crypto::aws_lc_rs::default_provider().install_default();
        let config = WorkerConfig::load().context("reading the configuration")?;
        // Kept to the end: dropping it flushes buffered spans.
        let _telemetry = shipping_telemetry::init("shipping-worker", &config.telemetry.otlp_endpoint);
        // The crash tests' kill points, from FAILPOINTS (compiled in for tests only).
        #[cfg(feature = "failpoints")]
        let _failpoints = fail::FailScenario::setup();
        match self.command.unwrap_or(Command::Run) {
            Command::Run => run(config).await,
            Command::Migrate => open_store(&config).await.map(|_| ()),
            Command::DeadJobs => {
                let store = open_store(&config).await?;
                for d in store.dead_jobs().await? {
                    let line = serde_json::json!({"id": d.id, "kind": d.kind, "attempts": d.attempts, "error": d.error, "at": d.created_at});
                    println!("{line}");
                }
                Ok(())
            }
            Command::ReplayDead { id } => {
                let store = open_store(&config).await?;
                let job = store.replay_dead_job(id).await?;
                println!("replayed dead job {id} ({}) through the outbox", job.kind());
                Ok(())
            }
            Command::Enqueue { job } => {
                let store = open_store(&config).await?;
                store.enqueue_all(std::slice::from_ref(&job)).await?;
                println!("promised a {} job through the outbox", job.kind());
                Ok(())
            }
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use clap::CommandFactory;
    use clap::error::ErrorKind;
    use shipping_store::jobs::SyncOrderV1;

    fn parse(argv: &[&str]) -> Result<Cli, clap::Error> {
        Cli::try_parse_from(std::iter::once("shipping-worker").chain(argv.iter().copied()))
    }

    fn command(argv: &[&str]) -> Option<Command> {
        parse(argv).unwrap().command
    }

    #[test]
    fn the_command_line_is_well_formed() {
        Cli::command().debug_assert();
    }

    #[test]
    fn no_command_runs_and_each_command_parses() {
        assert_eq!(command(&[]), None);
        assert_eq!(command(&["run"]), Some(Command::Run));
        assert_eq!(command(&["serve"]), Some(Command::Run));
        assert_eq!(command(&["migrate"]), Some(Command::Migrate));
        assert_eq!(command(&["dead-jobs"]), Some(Command::DeadJobs));
        assert_eq!(command(&["replay-dead", "42"]), Some(Command::ReplayDead { id: 42 }));
        assert_eq!(parse(&["replay-dead"]).unwrap_err().kind(), ErrorKind::MissingRequiredArgument);
        assert_eq!(parse(&["replay-dead", "forty-two"]).unwrap_err().kind(), ErrorKind::ValueValidation);
        assert_eq!(parse(&["dead-letters"]).unwrap_err().kind(), ErrorKind::InvalidSubcommand);
    }

    #[test]
    fn enqueue_takes_a_cron_task_or_a_json_job() {
        let cron = |task| Some(Command::Enqueue { job: Job::Cron(CronV1 { task }) });
        assert_eq!(command(&["enqueue", "reconcile"]), cron(CronTask::Reconcile));
        assert_eq!(command(&["enqueue", "refresh-tracking"]), cron(CronTask::RefreshTracking));
        assert_eq!(command(&["enqueue", "retry_failed_syncs"]), cron(CronTask::RetryFailedSyncs));
        assert_eq!(
            command(&["enqueue", r#"{"type":"sync_order","order_id":3,"shipment_id":4}"#]),
            Some(Command::Enqueue { job: Job::SyncOrder(SyncOrderV1 { order_id: 3, shipment_id: 4 }) })
        );
        for bad in ["vacuum", r#"{"type":"sync_order"}"#] {
            let e = parse(&["enqueue", bad]).unwrap_err();
            assert_eq!(e.kind(), ErrorKind::ValueValidation, "{bad}");
        }
        assert_eq!(parse(&["enqueue"]).unwrap_err().kind(), ErrorKind::MissingRequiredArgument);
    }

    #[test]
    fn every_command_has_help() {
        let commands = ["run", "serve", "migrate", "dead-jobs", "replay-dead", "enqueue"];
        for name in commands {
            let e = parse(&[name, "--help"]).unwrap_err();
            assert_eq!(e.kind(), ErrorKind::DisplayHelp, "{name}");
            assert!(e.to_string().contains("Usage: shipping-worker"), "{name}: {e}");
        }
        let top = parse(&["--help"]).unwrap_err();
        assert_eq!(top.kind(), ErrorKind::DisplayHelp);
        for name in commands {
            assert!(top.to_string().contains(name), "{name} listed in --help");
        }
        assert_eq!(parse(&["help", "enqueue"]).unwrap_err().kind(), ErrorKind::DisplayHelp);
        assert_eq!(parse(&["-V"]).unwrap_err().kind(), ErrorKind::DisplayVersion);
    }
}
