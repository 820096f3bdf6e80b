//! What every job gets: the store, the Shiprocket client, and the settings. Built once per
//! process (crates.io's "environment").

use shipping_domain::{DraftOptions, PackageDefaults, Preference, ReconcileRules};
use shipping_store::Store;
use shiprocket_client::Client;
use std::time::Duration;

/// Worker settings that change what jobs do (documented with their defaults in the config).
#[derive(Debug, Clone)]
pub struct Settings {
    /// Nickname of the Shiprocket pickup location orders ship from.
    pub pickup_location: String,
    /// After sync: choose a courier, assign the AWB, fetch the label, schedule the pickup.
    pub auto_ship: bool,
    pub courier_preference: Preference,
    pub package_defaults: PackageDefaults,
    /// A failed sync is retried by the cron after this long.
    pub failed_sync_retry: Duration,
    /// Shipments that got a webhook more recently than this are not polled.
    pub webhook_quiet_period: Duration,
    /// At most this many re-ships under new channel ids for one shipment.
    pub max_reships: u32,
    /// How many couriers to try when Shiprocket refuses one.
    pub max_courier_attempts: usize,
    /// The shop's name in e-mails.
    pub shop_name: String,
    /// The shop's logo and colours in e-mails.
    pub brand: crate::templates::Brand,
    /// Sender of every e-mail.
    pub mail_from: String,
    /// Where admin alerts (failed syncs) go.
    pub admin_email: String,
    /// Base of the customer tracking links (`{base}/track/{token}`).
    pub public_base_url: String,
    /// Cleanup deletes finished rows older than this many days.
    pub cleanup_after_days: u32,
    /// Cleanup deletes the queue's records of jobs finished longer ago than this.
    pub queue_keep_finished: Duration,
    /// Refusals of an order by Shiprocket before the shipment needs a person.
    pub max_failed_syncs: u32,
    /// Deadlines per state and re-promises before attention.
    pub reconcile: ReconcileRules,
}

impl Settings {
    /// How the worker turns a stored order into Shiprocket's create (and update) body.
    /// `exchange` and `reship_attempt` name the parcel (see `ChannelOrderId::for_parcel`).
    pub fn draft_options(&self, exchange: u32, reship_attempt: u32) -> DraftOptions {
        DraftOptions {
            pickup_location: self.pickup_location.clone(),
            exchange,
            reship_attempt,
            package_defaults: self.package_defaults,
        }
    }
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            pickup_location: "Primary WH".into(),
            auto_ship: true,
            courier_preference: Preference::Cost,
            package_defaults: PackageDefaults::default(),
            failed_sync_retry: Duration::from_secs(30 * 60),
            webhook_quiet_period: Duration::from_secs(2 * 3600),
            max_reships: 3,
            max_courier_attempts: 3,
            shop_name: "Example Store".into(),
            brand: crate::templates::Brand::default(),
            mail_from: "Example Store <shipping@example-store.in>".into(),
            admin_email: "ops@example-store.in".into(),
            public_base_url: "http://127.0.0.1:8080".into(),
            cleanup_after_days: 30,
            queue_keep_finished: Duration::from_secs(3600),
            max_failed_syncs: 3,
            reconcile: ReconcileRules::default(),
        }
    }
}

/// Handed to every job.
#[derive(Debug, Clone)]
pub struct Context {
    pub store: Store,
    pub shiprocket: Client,
    /// Downloads label PDFs from the URLs Shiprocket returns.
    pub http: reqwest::Client,
    pub mailer: crate::mail::Mailer,
    pub settings: Settings,
    /// The queues, for the cleanup cron's purge of finished records (`None` where jobs run
    /// without a queue, as in the outbox runner).
    pub queues: Option<crate::queue::Queues>,
}
