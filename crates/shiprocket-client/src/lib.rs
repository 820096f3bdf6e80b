//! Typed async client for the Shiprocket external API v1.
//!
//! - One request type per endpoint ([`endpoints`]), sent with [`Client::send`].
//! - Tolerant decoding of Shiprocket's JSON (numbers as strings, 0/1 booleans, odd dates,
//!   HTTP-200 failures) into strict types, here and nowhere else.
//! - One error enum, [`Error`], that says whether a failure is worth retrying.
//! - Retries per failure class ([`RetryPolicy`]), a shared token ([`TokenStore`]), a
//!   client-side rate limit, timeouts and PII-safe logging.
//!
//! ```no_run
//! # async fn demo() -> shiprocket_client::Result<()> {
//! use shiprocket_client::{Client, ClientConfig, Credentials, Secret, endpoints::tracking::TrackAwb};
//! let config = ClientConfig::new(
//!     "https://apiv2.shiprocket.in/v1/external/".parse().expect("url"),
//!     Credentials { email: "api@shop.in".into(), password: Secret::new("from the environment") },
//! );
//! let client = Client::new(config)?;
//! let tracking = client.send(&TrackAwb { awb: "19041400000123".into() }).await?;
//! println!("{:?}", tracking.shipment_status);
//! # Ok(()) }
//! ```

pub mod auth;
mod client;
pub mod config;
pub mod de;
pub mod endpoints;
pub mod error;
pub mod mask;
pub mod time;
pub mod webhook;

pub use auth::{MemoryTokenStore, RedisTokenStore, Token, TokenStore};
pub use client::{Client, interpret};
pub use config::{BackoffSchedule, ClientConfig, Credentials, RetryPolicy, Secret, Timeouts};
pub use endpoints::{Endpoint, classify_http_error};
pub use error::{Error, FieldErrors, Result};
