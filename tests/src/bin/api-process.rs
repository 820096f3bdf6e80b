//! `shipping-api`'s `main`, built inside this package so its tests get it as
//! `CARGO_BIN_EXE_api-process` (fresh, and with the test build's features).

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    shipping_api::cli::main().await
}
