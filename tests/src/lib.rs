//! Shared set-up for cross-crate tests: a simulator on port 0 and a client pointed at it.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use shiprocket_client::{Client, ClientConfig, Credentials, Secret};
use shiprocket_sim::{SimConfig, Simulator};

/// A simulator and a client configured for it.
#[derive(Debug)]
pub struct Stack {
    pub sim: Simulator,
    pub client: Client,
}

impl Stack {
    pub async fn start(config: SimConfig) -> Stack {
        let sim = Simulator::start(config).await.expect("simulator starts");
        let client = client_for(&sim, |_| {});
        Stack { sim, client }
    }
}

/// A client for `sim` with default policies, adjusted by `tweak`.
pub fn client_for(sim: &Simulator, tweak: impl FnOnce(&mut ClientConfig)) -> Client {
    let mut config = ClientConfig::new(
        sim.base_url().parse().unwrap(),
        Credentials { email: "api-user@example-store.in".into(), password: Secret::new("sim-password") },
    );
    config.requests_per_second = 1_000;
    config.rate_limit_burst = 1_000;
    tweak(&mut config);
    Client::new(config).unwrap()
}

/// The fixture order under a new channel order id, delivering to `pincode`.
pub fn order_payload(channel_order_id: &str, pincode: &str) -> shiprocket_client::endpoints::orders::OrderPayload {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/fixtures/shiprocket/order_create_adhoc_request.json");
    let mut p: shiprocket_client::endpoints::orders::OrderPayload =
        serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap();
    p.order_id = channel_order_id.to_owned();
    p.billing_pincode = pincode.to_owned();
    p
}
