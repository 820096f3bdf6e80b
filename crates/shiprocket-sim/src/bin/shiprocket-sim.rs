//! `shiprocket-sim`: the simulator as a process, for `make run` and manual exploration.
//!
//! ```text
//! shiprocket-sim [--host 127.0.0.1] [--port 0] [--seed 0] [--speed 0]
//!                [--webhook-url URL] [--webhook-token TOKEN]
//!                [--email E --password P] [--duplicate-orders return-existing|reject-422]
//! ```
#![allow(clippy::print_stdout)]

use shiprocket_sim::{DuplicateOrderMode, SimConfig, Simulator};
use std::net::{IpAddr, SocketAddr};

fn usage() -> ! {
    eprintln!(
        "usage: shiprocket-sim [--host IP] [--port N] [--seed N] [--speed X] [--webhook-url URL] [--webhook-token T] \
         [--email E --password P] [--duplicate-orders return-existing|reject-422]"
    );
    std::process::exit(2)
}

fn parse_args() -> SimConfig {
    let mut config = SimConfig::default();
    let (mut host, mut port): (IpAddr, u16) = ([127, 0, 0, 1].into(), 0);
    let (mut email, mut password) = (None, None);
    let mut args = std::env::args().skip(1);
    while let Some(flag) = args.next() {
        let mut value = || args.next().unwrap_or_else(|| usage());
        match flag.as_str() {
            "--host" => host = value().parse().unwrap_or_else(|_| usage()),
            "--port" => port = value().parse().unwrap_or_else(|_| usage()),
            "--seed" => config.seed = value().parse().unwrap_or_else(|_| usage()),
            "--speed" => config.speed = value().parse().unwrap_or_else(|_| usage()),
            "--webhook-url" => config.webhook_url = Some(value()),
            "--webhook-token" => config.webhook_token = Some(value()),
            "--email" => email = Some(value()),
            "--password" => password = Some(value()),
            "--duplicate-orders" => {
                config.modes.duplicate_order = match value().as_str() {
                    "return-existing" => DuplicateOrderMode::ReturnExisting,
                    "reject-422" => DuplicateOrderMode::Reject422,
                    _ => usage(),
                }
            }
            "-h" | "--help" => usage(),
            _ => usage(),
        }
    }
    config.addr = SocketAddr::new(host, port);
    config.credentials = email.zip(password);
    config
}

#[tokio::main]
async fn main() -> std::io::Result<()> {
    tracing_subscriber::fmt().with_env_filter(std::env::var("RUST_LOG").unwrap_or_else(|_| "info".into())).init();
    let config = parse_args();
    let sim = Simulator::start(config.clone()).await?;
    println!("shiprocket-sim listening: API {}  control http://{}/__sim/state", sim.base_url(), sim.addr());
    println!(
        "  seed {}  speed {}x  webhooks -> {}",
        config.seed,
        config.speed,
        config.webhook_url.as_deref().unwrap_or("(none)")
    );
    tokio::signal::ctrl_c().await?;
    Ok(())
}
