//! `shipping-worker`'s `main`, built inside this package so its tests get it as
//! `CARGO_BIN_EXE_worker-process` (fresh, and with the test build's features).

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    shipping_worker::cli::main().await
}
