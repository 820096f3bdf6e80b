//! Test plumbing shared by every crate's tests (ADR 0012).
//!
//! - [`TestDb`]: a migrated store of the test's own — a SQLite file copied from a migrated
//!   template, or a Postgres schema — removed when it is dropped, also when the test panics.
//!   With [`TestDb::checking_jobs`] its drop also fails the test on jobs left in the outbox or
//!   dead-lettered, unless the test said it expects them ([`TestDb::expect_jobs`],
//!   [`TestDb::expect_dead_jobs`]).
//! - [`RedisPrefix`]: a key prefix of the test's own on the shared Redis, its keys deleted on drop.
//! - [`sim`]: the Shiprocket simulator and a client configuration that is fast against it.
//!
//! It depends on no binary: the API's `TestApp` and the worker's harness are built on it in
//! their own test directories, and tests needing both binaries live in the `tests/` crate.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod blocking;
pub mod db;
pub mod jobs;
pub mod redis_prefix;
pub mod sim;

pub use db::{Backend, TestDb, postgres_url};
pub use jobs::{JobExpectations, LeftJobs};
pub use redis_prefix::{REDIS_URL, RedisPrefix};

use std::sync::atomic::{AtomicU64, Ordering};

/// A name no other test (in this or another process) uses: `{tag}_{pid}_{micros}_{n}`.
pub fn unique(tag: &str) -> String {
    static N: AtomicU64 = AtomicU64::new(0);
    format!(
        "{tag}_{}_{}_{}",
        std::process::id(),
        chrono::Utc::now().timestamp_micros(),
        N.fetch_add(1, Ordering::Relaxed)
    )
}

/// A directory of its own under the system temp dir, for files a test leaves (mails, queues).
pub fn temp_dir(group: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(group);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}
