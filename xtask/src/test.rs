//! `cargo xtask test`: make sure the services answer, run every test of the workspace (the
//! system tests of `systests/` among them), a few seconds of every fuzz target
//! (`cargo xtask fuzz`), then the TypeScript tests (`npm test`: the SDK and
//! the page) and the browser tests (Chromium against real gateways and workers), then the
//! system smoke test (`up` with bots for a few seconds, on spare ports), the short chaos run
//! (`cargo xtask chaos --quick`), then the operations checks (`cargo xtask ops-check`).

use crate::services;
use crate::up::{self, UpArgs};
use anyhow::bail;
use std::process::Command;

#[derive(clap::Args, Debug)]
pub struct TestArgs {
    /// Skip the `cargo xtask up` smoke test.
    #[arg(long)]
    pub no_smoke: bool,
    /// Skip the short run of the fuzz targets.
    #[arg(long)]
    pub no_fuzz: bool,
    /// Skip the TypeScript and browser tests.
    #[arg(long, conflicts_with = "web_only")]
    pub no_web: bool,
    /// Only the TypeScript and browser tests (building the binaries they start).
    #[arg(long)]
    pub web_only: bool,
    /// Skip the short chaos run (kill, zombie, drain).
    #[arg(long)]
    pub no_chaos: bool,
    /// Skip the operations checks (Helm chart, alert rules, dashboards against Prometheus).
    #[arg(long)]
    pub no_ops_check: bool,
    /// Extra arguments for the test runner (after `--`).
    #[arg(last = true)]
    pub rest: Vec<String>,
}

fn has_nextest() -> bool {
    Command::new(env!("CARGO")).args(["nextest", "--version"]).output().is_ok_and(|o| o.status.success())
}

pub fn run(args: TestArgs) -> anyhow::Result<()> {
    println!("Checking services…");
    let services = services::ensure()?;
    if args.web_only {
        return web(&services);
    }
    fresh_postgres()?;
    let mut cmd = Command::new(env!("CARGO"));
    if has_nextest() {
        cmd.args(["nextest", "run", "--workspace", "--no-fail-fast"]);
    } else {
        cmd.args(["test", "--workspace", "--no-fail-fast"]);
    }
    cmd.args(&args.rest).current_dir(crate::root());
    let status = cmd.status()?;
    if !status.success() {
        bail!("tests failed");
    }
    if !args.no_fuzz {
        println!("\nFuzz (short): every decoder of outside bytes, {} s each…", crate::fuzz::TEST_SECONDS);
        crate::fuzz::test()?;
    }
    if !args.no_web {
        web(&services)?;
    }
    if !args.no_smoke {
        println!("\nSmoke test: cargo xtask up with bots for a few seconds…");
        up::run(UpArgs {
            gateways: 2,
            workers: 2,
            bots: 3,
            fill_bots: 2,
            gateway_port: 18080,
            worker_port: 19300,
            prefix: format!("smoke{}", std::process::id()),
            database: "orrery_smoke".into(),
            duration_secs: Some(8),
            no_build: false,
        })?;
        println!("smoke: 1 passed, 0 failed");
    }
    if !args.no_chaos {
        println!("\nChaos (short): kill -9, a zombie past its lease, a drain…");
        crate::chaos::run(&["--quick".to_string()])?;
    }
    if !args.no_ops_check {
        crate::ops_check::run()?;
    }
    Ok(())
}

/// `.ci/fresh-postgres`: `cargo xtask services` against a freshly created Debian
/// PostgreSQL cluster (which asks for a password over TCP), in private namespaces. It needs
/// root, `unshare` and `pg_createcluster`; without them it is skipped with a line saying so.
fn fresh_postgres() -> anyhow::Result<()> {
    let usable = nix::unistd::Uid::effective().is_root()
        && ["/usr/bin/unshare", "/usr/bin/pg_createcluster"].iter().all(|p| std::path::Path::new(p).exists());
    if !usable {
        println!("fresh-postgres: skipped (needs root, unshare and pg_createcluster)");
        return Ok(());
    }
    let status = Command::new(crate::root().join(".ci/fresh-postgres")).status()?;
    if !status.success() {
        bail!("a fresh Debian PostgreSQL is not made usable by `cargo xtask services`");
    }
    Ok(())
}

/// `npm test` (the SDK's and the page's tests), then the browser tests against the debug
/// binaries.
fn web(services: &services::Services) -> anyhow::Result<()> {
    let root = crate::root();
    crate::web::unit_tests(&root)?;
    up::build()?;
    crate::web::browser_tests(&root, &up::target_dir(), services)?;
    println!("web: TypeScript and browser tests passed");
    Ok(())
}
