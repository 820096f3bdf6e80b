//! Tests that need both binaries' code: the API's `TestApp` (the same support file the API's own
//! suite uses) with the worker's jobs run in-process (`runner::drain`). Neither binary's own
//! tests depend on the other binary.
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "../../../bins/shipping-api/tests/it/support.rs"]
mod support;
mod worker_support;

mod browser;
mod openapi_contract;
mod order_edits;
mod payload_snapshots;
mod webdriver;
