//! `shipping-api`: see the library for what it does; `shipping-api --help` for the commands.

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    shipping_api::cli::main().await
}
