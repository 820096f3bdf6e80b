//! The worker beside a `TestApp`: its job handler on the app's store and the app's simulator.

use crate::support::TestApp;
use shipping_worker::context::{Context, Settings};
use shipping_worker::handler::Handler;
use shipping_worker::mail::Mailer;

/// The worker's job handler on the app's own store and the app's simulator.
pub fn worker(app: &TestApp, auto_ship: bool) -> Handler {
    let config = shipping_test_support::sim::client_config(&app.sim, "api@shop.example");
    let mail_dir = shipping_test_support::temp_dir("shipping-api-tests").join(shipping_test_support::unique("mail"));
    let ctx = Context {
        store: app.state.store.clone(),
        shiprocket: shiprocket_client::Client::new(config).unwrap(),
        http: reqwest::Client::new(),
        mailer: Mailer::Files(mail_dir),
        settings: Settings { auto_ship, ..Settings::default() },
        queues: None,
    };
    Handler { ctx }
}

/// Runs every job the app promised, and the jobs they enqueue, as the worker would.
pub async fn drain(app: &TestApp, handler: &Handler) {
    let drained = shipping_worker::runner::drain(&app.state.store, handler, 5, 200).await.unwrap();
    assert!(drained.dead.is_empty(), "{:?}", drained.dead);
}
