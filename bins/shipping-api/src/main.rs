//! `shipping-api`: see the library for what it does.

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    shipping_api::run().await
}
