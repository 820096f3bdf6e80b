fn main() -> anyhow::Result<()> {
    anyhow::bail!("shipping-worker: not wired yet (see the open issue)")
}
