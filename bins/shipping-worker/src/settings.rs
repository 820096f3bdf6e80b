//! The worker's configuration, read as the API's is ([`shipping_settings`]): the documented
//! defaults in `config/worker.toml` (compiled in), the TOML file named by
//! `SHIPPING_WORKER_CONFIG`, the seed's names as aliases, then `SHIPPING__SECTION__KEY` (which
//! beats an alias). The section defaults below equal the file (a test holds them together); the
//! `[queue]` keys are documented beside their defaults in `queue/config.rs`.

use serde::Deserialize;
use shipping_domain::{Dimensions, PackageDefaults, Preference, Weight};
use shipping_settings::{Layers, SettingsError};
use shiprocket_client::{ClientConfig, Secret};
use std::collections::HashMap;
use std::time::Duration;

#[derive(Debug, Clone, Deserialize)]
#[serde(default)]
pub struct DatabaseSection {
    /// `sqlite://data/shipping.db?mode=rwc` (zero-setup) or `postgres://…` (production).
    pub url: String,
    pub max_connections: u32,
    /// Postgres only: the schema to use. Empty: the connection's default search path.
    pub schema: String,
}

impl Default for DatabaseSection {
    fn default() -> Self {
        DatabaseSection { url: "sqlite://data/shipping.db?mode=rwc".into(), max_connections: 16, schema: String::new() }
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(default)]
pub struct ShiprocketSection {
    /// The real API by default; `make run` points it at the simulator.
    pub base_url: String,
    pub email: String,
    pub password: Secret,
    pub requests_per_second: u32,
    /// Share one token across the fleet through Redis when set (`redis://…`).
    pub token_redis_url: Option<String>,
    pub token_key_prefix: String,
    /// Nickname of the Shiprocket pickup location orders ship from.
    pub pickup_location: String,
    /// `cost`, `speed` or `rating`.
    pub courier_preference: String,
    /// Courier ids to prefer, in order (overrides `courier_preference` when non-empty).
    pub preferred_couriers: Vec<u64>,
}

impl Default for ShiprocketSection {
    fn default() -> Self {
        ShiprocketSection {
            base_url: shiprocket_client::config::DEFAULT_BASE_URL.into(),
            email: String::new(),
            password: Secret::new(""),
            requests_per_second: 10,
            token_redis_url: None,
            token_key_prefix: "shipping:".into(),
            pickup_location: "Primary WH".into(),
            courier_preference: "cost".into(),
            preferred_couriers: Vec::new(),
        }
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(default)]
pub struct WorkerSection {
    pub auto_ship: bool,
    pub default_weight_kg: f64,
    /// Length, breadth, height in cm.
    pub default_dimensions_cm: [f64; 3],
    pub failed_sync_retry_secs: u64,
    pub webhook_quiet_period_secs: u64,
    pub max_reships: u32,
    pub max_courier_attempts: usize,
    pub tracking_refresh_secs: u64,
    pub retry_failed_syncs_secs: u64,
    pub relay_interval_ms: u64,
    pub cleanup_after_days: u32,
    /// How often the cleanup cron runs (store rows past `cleanup_after_days`, queue records
    /// finished more than `queue_keep_finished_secs` ago).
    pub cleanup_secs: u64,
    pub queue_keep_finished_secs: u64,
    /// Refusals of an order by Shiprocket before the shipment needs a person.
    pub max_failed_syncs: u32,
    /// `/metrics` and `/healthz` (`host:port`; port 0 picks a free port; empty: no listener).
    pub metrics_listen: String,
    /// How often queue depth, dead jobs, outbox backlog and tracking freshness are re-read.
    pub gauges_interval_ms: u64,
}

impl Default for WorkerSection {
    fn default() -> Self {
        WorkerSection {
            auto_ship: true,
            default_weight_kg: 0.5,
            default_dimensions_cm: [20.0, 15.0, 10.0],
            failed_sync_retry_secs: 1800,
            webhook_quiet_period_secs: 7200,
            max_reships: 3,
            max_courier_attempts: 3,
            tracking_refresh_secs: 7200,
            retry_failed_syncs_secs: 1800,
            relay_interval_ms: 1000,
            cleanup_after_days: 30,
            cleanup_secs: 3600,
            queue_keep_finished_secs: 3600,
            max_failed_syncs: 3,
            metrics_listen: "127.0.0.1:9091".into(),
            gauges_interval_ms: 15000,
        }
    }
}

/// The reconciler (ADR 0008): how often it looks, each state's deadline, and how often it
/// promises a missing step again before the shipment needs a person.
#[derive(Debug, Clone, Deserialize)]
#[serde(default)]
pub struct ReconcilerSection {
    pub every_secs: u64,
    /// Pending sync, synced, AWB assigned, label ready.
    pub step_secs: u64,
    /// Pickup scheduled without a pickup scan.
    pub pickup_secs: u64,
    /// With the courier and no scan.
    pub silent_secs: u64,
    /// A cancel not confirmed.
    pub cancel_secs: u64,
    pub max_repromises: u32,
}

impl Default for ReconcilerSection {
    fn default() -> Self {
        let d = shipping_domain::ReconcileRules::default();
        ReconcilerSection {
            every_secs: 300,
            step_secs: d.step.as_secs(),
            pickup_secs: d.pickup.as_secs(),
            silent_secs: d.silent.as_secs(),
            cancel_secs: d.cancel.as_secs(),
            max_repromises: d.max_repromises,
        }
    }
}

impl ReconcilerSection {
    pub fn rules(&self) -> shipping_domain::ReconcileRules {
        shipping_domain::ReconcileRules {
            step: Duration::from_secs(self.step_secs),
            pickup: Duration::from_secs(self.pickup_secs),
            silent: Duration::from_secs(self.silent_secs),
            cancel: Duration::from_secs(self.cancel_secs),
            max_repromises: self.max_repromises,
        }
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(default)]
pub struct MailSection {
    /// `files` (write `.eml` into `dir`) or `smtp` (send through `smtp_url`).
    pub mode: String,
    pub dir: String,
    /// `smtps://user:pass@host:465` or `smtp://host:587?tls=required`.
    pub smtp_url: Option<Secret>,
    pub from: String,
    pub admin_email: String,
}

impl Default for MailSection {
    fn default() -> Self {
        MailSection {
            mode: "files".into(),
            dir: "data/outbox".into(),
            smtp_url: None,
            from: "Example Store <shipping@example-store.in>".into(),
            admin_email: "ops@example-store.in".into(),
        }
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(default)]
pub struct ShopSection {
    pub name: String,
    /// Where customers open tracking links.
    pub public_base_url: String,
}

impl Default for ShopSection {
    fn default() -> Self {
        ShopSection { name: "Example Store".into(), public_base_url: "http://127.0.0.1:8080".into() }
    }
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct TelemetrySection {
    /// OTLP/HTTP traces endpoint (`http://collector:4318/v1/traces`); empty: no traces.
    pub otlp_endpoint: String,
}

/// Everything the worker reads.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct WorkerConfig {
    pub database: DatabaseSection,
    pub shiprocket: ShiprocketSection,
    pub worker: WorkerSection,
    pub mail: MailSection,
    pub shop: ShopSection,
    pub reconciler: ReconcilerSection,
    pub queue: crate::queue::QueueConfig,
    pub telemetry: TelemetrySection,
}

/// The seed's variable names → our keys.
const ALIASES: &[(&str, &str)] = &[
    ("DATABASE_URL", "database.url"),
    ("SHIPROCKET_API_URL", "shiprocket.base_url"),
    ("SHIPROCKET_EMAIL", "shiprocket.email"),
    ("SHIPROCKET_PASSWORD", "shiprocket.password"),
    ("SHIPROCKET_PICKUP_LOCATION", "shiprocket.pickup_location"),
    ("SHIPROCKET_COURIER_PREFERENCE", "shiprocket.courier_preference"),
    ("SHIPROCKET_DEFAULT_WEIGHT", "worker.default_weight_kg"),
    ("SHIPROCKET_TRACKING_UPDATE_INTERVAL", "worker.tracking_refresh_secs"),
    ("SHIPROCKET_ADMIN_EMAIL", "mail.admin_email"),
    ("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "telemetry.otlp_endpoint"),
];

/// Keys whose environment values are comma-separated lists.
const LIST_KEYS: &[&str] = &["shiprocket.preferred_couriers", "worker.default_dimensions_cm"];

const LAYERS: Layers = Layers {
    defaults: include_str!("../../../config/worker.toml"),
    file_variable: "SHIPPING_WORKER_CONFIG",
    aliases: ALIASES,
    list_keys: LIST_KEYS,
};

impl WorkerConfig {
    /// Loads the layers from the process environment and validates them.
    pub fn load() -> Result<WorkerConfig, SettingsError> {
        WorkerConfig::load_from(&std::env::vars().collect())
    }

    /// Loads the layers from `env` (tests pass their own map). A setting that does not parse
    /// or is not acceptable is an error naming it.
    pub fn load_from(env: &HashMap<String, String>) -> Result<WorkerConfig, SettingsError> {
        let config: WorkerConfig = LAYERS.load_from(env)?;
        config.client_config()?;
        config.settings()?;
        Ok(config)
    }

    pub fn client_config(&self) -> Result<ClientConfig, SettingsError> {
        let url = self
            .shiprocket
            .base_url
            .parse()
            .map_err(|e| SettingsError::invalid("shiprocket.base_url", format!("{e}")))?;
        let mut c = ClientConfig::new(
            url,
            shiprocket_client::Credentials {
                email: self.shiprocket.email.clone(),
                password: self.shiprocket.password.clone(),
            },
        );
        c.requests_per_second = self.shiprocket.requests_per_second.max(1);
        Ok(c)
    }

    pub fn settings(&self) -> Result<crate::context::Settings, SettingsError> {
        let w = &self.worker;
        let sr = &self.shiprocket;
        let preference = if !sr.preferred_couriers.is_empty() {
            Preference::Preferred(sr.preferred_couriers.clone())
        } else {
            match sr.courier_preference.to_ascii_lowercase().as_str() {
                "cost" => Preference::Cost,
                "speed" => Preference::Speed,
                "rating" => Preference::Rating,
                other => {
                    let reason = format!("{other:?} is not cost, speed or rating");
                    return Err(SettingsError::invalid("shiprocket.courier_preference", reason));
                }
            }
        };
        let [l, b, h] = w.default_dimensions_cm;
        let package_defaults = PackageDefaults {
            item_weight: Weight::from_kg(w.default_weight_kg)
                .map_err(|e| SettingsError::invalid("worker.default_weight_kg", e.to_string()))?,
            dimensions: Dimensions::from_cm(l, b, h)
                .map_err(|e| SettingsError::invalid("worker.default_dimensions_cm", e.to_string()))?,
        };
        Ok(crate::context::Settings {
            pickup_location: sr.pickup_location.clone(),
            auto_ship: w.auto_ship,
            courier_preference: preference,
            package_defaults,
            failed_sync_retry: Duration::from_secs(w.failed_sync_retry_secs),
            webhook_quiet_period: Duration::from_secs(w.webhook_quiet_period_secs),
            max_reships: w.max_reships,
            max_courier_attempts: w.max_courier_attempts.max(1),
            shop_name: self.shop.name.clone(),
            mail_from: self.mail.from.clone(),
            admin_email: self.mail.admin_email.clone(),
            public_base_url: self.shop.public_base_url.clone(),
            cleanup_after_days: w.cleanup_after_days,
            queue_keep_finished: Duration::from_secs(w.queue_keep_finished_secs),
            max_failed_syncs: w.max_failed_syncs.max(1),
            reconcile: self.reconciler.rules(),
        })
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn defaults_make_valid_settings_and_bad_values_are_named() {
        let c = WorkerConfig::default();
        let s = c.settings().unwrap();
        assert_eq!(s.pickup_location, "Primary WH");
        assert_eq!(s.package_defaults.item_weight.as_kg(), 0.5);
        let mut bad = WorkerConfig::default();
        bad.shiprocket.courier_preference = "cheapest".into();
        assert!(bad.settings().unwrap_err().to_string().contains("shiprocket.courier_preference"));
        let mut preferred = WorkerConfig::default();
        preferred.shiprocket.preferred_couriers = vec![43, 1];
        assert_eq!(preferred.settings().unwrap().courier_preference, Preference::Preferred(vec![43, 1]));
    }
}

#[cfg(test)]
mod layers {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn env(pairs: &[(&str, &str)]) -> HashMap<String, String> {
        pairs.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect()
    }

    #[test]
    fn the_compiled_in_file_gives_the_defaults() {
        let loaded = WorkerConfig::load_from(&HashMap::new()).unwrap();
        assert_eq!(format!("{loaded:?}"), format!("{:?}", WorkerConfig::default()));
    }

    #[test]
    fn the_file_beats_the_defaults_and_the_specific_key_beats_the_alias() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("worker.toml");
        std::fs::write(&path, "[database]\nurl = \"sqlite://file.db\"\n[worker]\nmax_reships = 5\n").unwrap();
        let file = path.display().to_string();
        let c = WorkerConfig::load_from(&env(&[("SHIPPING_WORKER_CONFIG", &file)])).unwrap();
        assert_eq!((c.database.url.as_str(), c.worker.max_reships), ("sqlite://file.db", 5));
        let c =
            WorkerConfig::load_from(&env(&[("SHIPPING_WORKER_CONFIG", &file), ("DATABASE_URL", "sqlite://alias.db")]))
                .unwrap();
        assert_eq!(c.database.url, "sqlite://alias.db", "an alias beats the file");
        let c = WorkerConfig::load_from(&env(&[
            ("SHIPPING_WORKER_CONFIG", &file),
            ("DATABASE_URL", "sqlite://alias.db"),
            ("SHIPPING__DATABASE__URL", "sqlite://specific.db"),
            ("SHIPPING__SHIPROCKET__PREFERRED_COURIERS", "43,1"),
        ]))
        .unwrap();
        assert_eq!(c.database.url, "sqlite://specific.db", "SHIPPING__DATABASE__URL beats DATABASE_URL");
        assert_eq!(c.worker.max_reships, 5);
        assert_eq!(c.shiprocket.preferred_couriers, [43, 1]);
    }

    #[test]
    fn a_missing_or_invalid_value_is_an_error_naming_the_setting() {
        let e = WorkerConfig::load_from(&env(&[("SHIPPING__WORKER__MAX_RESHIPS", "many")])).unwrap_err();
        assert_eq!(e.key(), Some("worker.max_reships"), "{e}");
        assert!(e.to_string().contains("SHIPPING__WORKER__MAX_RESHIPS"), "{e}");
        let e = WorkerConfig::load_from(&env(&[("SHIPROCKET_COURIER_PREFERENCE", "cheapest")])).unwrap_err();
        assert_eq!(e.key(), Some("shiprocket.courier_preference"), "{e}");
        let e = WorkerConfig::load_from(&env(&[("SHIPPING_WORKER_CONFIG", "/nonexistent/worker.toml")])).unwrap_err();
        assert!(matches!(e, SettingsError::File { .. }), "{e}");
    }
}

#[cfg(test)]
mod documented_defaults {
    #![allow(clippy::unwrap_used)]

    /// `config/worker.toml` documents the defaults: reading it must give exactly them.
    #[test]
    fn the_documented_file_matches_the_built_in_defaults() {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../config/worker.toml");
        let from_file: super::WorkerConfig = ::config::Config::builder()
            .add_source(::config::File::with_name(path))
            .build()
            .unwrap()
            .try_deserialize()
            .unwrap();
        let defaults = super::WorkerConfig::default();
        assert_eq!(format!("{from_file:?}"), format!("{defaults:?}"));
    }
}
