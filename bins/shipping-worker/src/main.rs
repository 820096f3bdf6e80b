//! `shipping-worker`: see [`shipping_worker::app`]; `shipping-worker --help` for the commands.

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    shipping_worker::cli::main().await
}
