//! A stateful simulator of the Shiprocket external API v1.
//!
//! Shiprocket has no sandbox, so this is how the product is proven. It answers at the same
//! paths with the same shapes, types and HTTP-200 failures as `shared/shiprocket/` describes,
//! moves shipments along on a controllable clock, pushes tracking webhooks with `x-api-key`,
//! and injects faults reproducibly from a seed. It shares no code with `shiprocket-client`:
//! two independent readings of the reference, so a misreading shows up as a failing test.
//!
//! ```no_run
//! # async fn demo() -> std::io::Result<()> {
//! let sim = shiprocket_sim::Simulator::start(shiprocket_sim::SimConfig::default()).await?;
//! println!("API at {}", sim.base_url());
//! sim.advance(chrono::Duration::hours(6)).await;
//! # Ok(()) }
//! ```

#![recursion_limit = "256"]
// Handlers return ready-made error responses from their validation helpers; their size is
// irrelevant next to the network round trip they answer.
#![allow(clippy::result_large_err)]

mod api;
mod control;
pub mod lifecycle;
pub mod pdf;
pub mod rates;
mod webhooks;
pub mod world;

use serde::{Deserialize, Serialize};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

pub use lifecycle::Path;
pub use world::{Counters, FaultKind, FaultRule, Modes, WebhookRecord};

/// What a create with an already used channel `order_id` does (the real behaviour is
/// unpublished; the product must survive both).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum DuplicateOrderMode {
    /// Answer 200 with the existing order and shipment; create nothing.
    #[default]
    ReturnExisting,
    /// Answer 422 "The order id has already been taken."
    Reject422,
}

/// What a create with the channel id of a cancelled order does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum CancelledOrderMode {
    /// 422, as documented.
    #[default]
    Reject422,
    /// 200 with the old order, status `CANCELED` (reported by a production store).
    ReturnCancelled,
}

/// How to start a simulator.
#[derive(Debug, Clone)]
pub struct SimConfig {
    /// Where to listen; port 0 picks a free one.
    pub addr: SocketAddr,
    /// Decides paths, courier sets and fault rolls; same seed, same run.
    pub seed: u64,
    /// Simulated seconds per real second (0 = the clock moves only when advanced).
    pub speed: f64,
    /// Where to push tracking webhooks; none when `None`.
    pub webhook_url: Option<String>,
    /// Sent as `x-api-key` with every webhook.
    pub webhook_token: Option<String>,
    /// Accepted login; `None` accepts any non-empty e-mail and password.
    pub credentials: Option<(String, String)>,
    pub modes: Modes,
    /// Token lifetime (240 h, as Shiprocket's).
    pub token_ttl: chrono::Duration,
    /// How often the background ticker moves shipments along when `speed > 0`.
    pub tick: Duration,
}

impl Default for SimConfig {
    fn default() -> Self {
        SimConfig {
            addr: SocketAddr::from(([127, 0, 0, 1], 0)),
            seed: 0,
            speed: 0.0,
            webhook_url: None,
            webhook_token: None,
            credentials: None,
            modes: Modes {
                duplicate_order: DuplicateOrderMode::default(),
                cancelled_order: CancelledOrderMode::default(),
                webhook_duplicates: false,
                webhook_out_of_order: false,
            },
            token_ttl: chrono::Duration::hours(240),
            tick: Duration::from_millis(250),
        }
    }
}

/// A stable hash of the seed and some parts: every "random" decision comes from here.
pub fn seeded(seed: u64, parts: &[&str]) -> u64 {
    // FNV-1a, then a splitmix64 finaliser for good low bits.
    let mut h: u64 = 0xcbf2_9ce4_8422_2325 ^ seed;
    for p in parts {
        for b in p.as_bytes().iter().chain(std::iter::once(&0xff)) {
            h ^= u64::from(*b);
            h = h.wrapping_mul(0x0100_0000_01b3);
        }
    }
    h = (h ^ (h >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    h = (h ^ (h >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    h ^ (h >> 31)
}

pub(crate) struct Shared {
    world: Mutex<world::World>,
    pub base_url: String,
    pub webhook_url: Mutex<Option<String>>,
    pub webhook_token: Option<String>,
    pub http: reqwest::Client,
    /// Serialises webhook delivery so order is kept.
    pub delivery: tokio::sync::Mutex<()>,
}

impl Shared {
    pub fn world(&self) -> MutexGuard<'_, world::World> {
        // A panic while holding the lock leaves plain data behind; keep serving.
        self.world.lock().unwrap_or_else(|p| p.into_inner())
    }
}

/// A running simulator. Dropping it stops the server.
pub struct Simulator {
    shared: Arc<Shared>,
    addr: SocketAddr,
    tasks: Vec<tokio::task::JoinHandle<()>>,
}

impl std::fmt::Debug for Simulator {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Simulator").field("addr", &self.addr).finish_non_exhaustive()
    }
}

impl Drop for Simulator {
    fn drop(&mut self) {
        for t in &self.tasks {
            t.abort();
        }
    }
}

impl Simulator {
    /// Binds, starts serving and (with `speed > 0`) starts the clock ticker.
    pub async fn start(config: SimConfig) -> std::io::Result<Simulator> {
        let listener = tokio::net::TcpListener::bind(config.addr).await?;
        let addr = listener.local_addr()?;
        let world = world::World::new(
            config.seed,
            config.modes.clone(),
            config.speed,
            config.token_ttl,
            config.credentials.clone(),
        );
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(10))
            .build()
            .map_err(|e| std::io::Error::other(e.to_string()))?;
        let shared = Arc::new(Shared {
            world: Mutex::new(world),
            base_url: format!("http://{addr}"),
            webhook_url: Mutex::new(config.webhook_url.clone()),
            webhook_token: config.webhook_token.clone(),
            http,
            delivery: tokio::sync::Mutex::new(()),
        });
        let app = api::app(shared.clone());
        let server = tokio::spawn(async move {
            if let Err(e) = axum::serve(listener, app).await {
                tracing::error!(error = %e, "simulator server stopped");
            }
        });
        let mut tasks = vec![server];
        if config.speed > 0.0 {
            let ticker_shared = shared.clone();
            let every = config.tick;
            tasks.push(tokio::spawn(async move {
                let mut interval = tokio::time::interval(every);
                loop {
                    interval.tick().await;
                    webhooks::process_and_deliver(&ticker_shared).await;
                }
            }));
        }
        Ok(Simulator { shared, addr, tasks })
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The API base URL, as a client would configure it (`…/v1/external/`).
    pub fn base_url(&self) -> String {
        format!("http://{}/v1/external/", self.addr)
    }

    /// Moves the clock forward, applies every event that fell due, and delivers the webhooks
    /// (in order) before returning.
    pub async fn advance(&self, by: chrono::Duration) {
        self.shared.world().clock.advance(by);
        webhooks::process_and_deliver(&self.shared).await;
        self.shared.world().flush_held_back();
        webhooks::process_and_deliver(&self.shared).await;
    }

    /// Forces the path a shipment takes after pickup.
    pub fn force_path(&self, shipment_id: u64, path: Path) -> bool {
        let mut w = self.shared.world();
        match w.shipments.get_mut(&shipment_id) {
            Some(s) => {
                s.forced_path = Some(path);
                true
            }
            None => false,
        }
    }

    pub fn add_fault(&self, rule: FaultRule) {
        self.shared.world().faults.push(rule);
    }

    pub fn clear_faults(&self) {
        self.shared.world().faults.clear();
    }

    pub fn set_modes(&self, modes: Modes) {
        self.shared.world().modes = modes;
    }

    pub fn modes(&self) -> Modes {
        self.shared.world().modes.clone()
    }

    pub fn set_webhook_url(&self, url: Option<String>) {
        *self.shared.webhook_url.lock().unwrap_or_else(|p| p.into_inner()) = url;
    }

    /// Expires every token issued so far (the next call gets a 401).
    pub fn expire_tokens(&self) {
        self.shared.world().tokens.clear();
    }

    pub fn counters(&self) -> Counters {
        self.shared.world().counters.clone()
    }

    pub fn webhooks(&self) -> Vec<WebhookRecord> {
        self.shared.world().webhooks.clone()
    }

    /// A JSON view of orders and shipments (the same as `GET /__sim/state`).
    pub fn state(&self) -> serde_json::Value {
        control::state_json(&self.shared.world())
    }

    /// The order under `channel_order_id` as Shiprocket now holds it: its create body with the
    /// updates applied since (items, delivery address), and its shipment's delivery pincode.
    pub fn order_request(&self, channel_order_id: &str) -> Option<(serde_json::Value, String)> {
        let w = self.shared.world();
        let order = w.by_channel.get(channel_order_id).and_then(|id| w.orders.get(id))?;
        let pincode = w.shipments.get(&order.shipment_id).map(|s| s.delivery_pincode.clone()).unwrap_or_default();
        Some((order.request.clone(), pincode))
    }

    pub fn now(&self) -> chrono::DateTime<chrono::FixedOffset> {
        self.shared.world().now()
    }
}
