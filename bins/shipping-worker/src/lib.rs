//! `shipping-worker`: runs every job that talks to Shiprocket.
//!
//! - [`jobs`]: one file per job, all registered in [`jobs::dispatch`]; every handler is
//!   idempotent (jobs arrive at least once).
//! - [`context::Context`]: store, Shiprocket client, settings — built once, handed to every job.
//! - [`queue`]: where jobs wait (apalis: Redis in production, SQLite embedded) and the retry
//!   decision by error class ([`queue::JobFailure`]).
//! - [`runner`]: the same jobs run in-process from the outbox (tests, and watching a chain).

pub mod app;
pub mod cli;
pub mod context;
pub mod failpoint;
pub mod failure;
pub mod handler;
pub mod jobs;
pub mod mail;
pub mod metrics;
pub mod progress;
pub mod queue;
pub mod relay;
pub mod runner;
pub mod settings;
pub mod shiprocket;
pub mod templates;
