//! `shipping-worker`: see [`shipping_worker::app`].

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    shipping_worker::app::main().await
}
