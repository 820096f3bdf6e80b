//! The API's acceptance suite: the app on port 0, its own store (SQLite file or Postgres
//! schema), the Shiprocket simulator as Shiprocket, reqwest as the shop.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

mod logs;
mod openapi;
mod ops;
mod orders;
mod pages;
mod rates;
mod redis_optional;
mod shipments;
mod snapshots;
mod webhooks;
