//! TEMPORARY STUB (replaced by the simulate module).
#[derive(clap::Args, Debug, Clone)]
pub struct SimulateArgs {}
pub fn run(_a: &SimulateArgs) -> anyhow::Result<()> {
    anyhow::bail!("not yet")
}
