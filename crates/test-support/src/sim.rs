//! The Shiprocket simulator, and a client configuration that does not slow tests down.

use shiprocket_client::{ClientConfig, Credentials, Secret};
pub use shiprocket_sim::{SimConfig, Simulator};

/// The simulator on port 0.
pub async fn start(config: SimConfig) -> Simulator {
    Simulator::start(config).await.expect("the simulator starts")
}

/// A client configuration for `sim` (which accepts any login) with rate limits no test reaches.
pub fn client_config(sim: &Simulator, email: &str) -> ClientConfig {
    let mut config = ClientConfig::new(
        sim.base_url().parse().expect("the simulator's URL"),
        Credentials { email: email.into(), password: Secret::new("sim-password") },
    );
    config.requests_per_second = 1000;
    config.rate_limit_burst = 1000;
    config
}
