//! `cargo xtask chaos`: make sure the services answer, build, and run `orrery-chaos`
//! (real workers and gateways on loopback, faults injected, invariants checked).

use crate::{services, up};
use anyhow::bail;
use std::process::Command;

pub fn run(args: &[String]) -> anyhow::Result<()> {
    services::ensure()?;
    up::build()?;
    let status = Command::new(up::target_dir().join("orrery-chaos")).args(args).current_dir(crate::root()).status()?;
    if !status.success() {
        bail!("chaos run failed");
    }
    Ok(())
}
