//! `cargo xtask`: the project's development tasks.
//!
//! - `cargo xtask up`: make sure NATS, Redis and PostgreSQL answer, then run 2 workers,
//!   2 gateways and a few bots; Ctrl-C stops everything cleanly.
//! - `cargo xtask test`: make sure the services answer, then run every test.
//! - `cargo xtask services`: only make sure the services answer.
//! - `cargo xtask fuzz [--seconds N] [target…]`: the decoders under libFuzzer (`fuzz/README.md`).
//! - `cargo xtask ops-check`: the Helm chart lints, the alert rules pass their tests, and every
//!   dashboard query returns data from a real Prometheus scraping the system while bots play.

mod alerts;
mod apt;
mod bench_snapshots;
mod chaos;
mod children;
mod fuzz;
mod helm_lint;
mod observability;
mod ops_check;
mod services;
mod test;
mod tools;
mod up;
mod web;

use clap::{Parser, Subcommand};

#[derive(Parser)]
#[command(name = "cargo xtask", about = "Orrery development tasks")]
struct Cli {
    #[command(subcommand)]
    task: Task,
}

#[derive(Subcommand)]
enum Task {
    /// Run the whole system locally: 2 workers, 2 gateways, bots.
    Up(up::UpArgs),
    /// Run every test against the real services.
    Test(test::TestArgs),
    /// Make sure NATS (with JetStream), Redis and PostgreSQL answer; start them if not.
    Services,
    /// Lint the Helm chart, test the alert rules, check the dashboards against live metrics.
    OpsCheck,
    /// Measure what snapshots cost a worker running 1,000 rooms.
    BenchSnapshots(bench_snapshots::BenchArgs),
    /// Run the fuzz targets (every decoder of outside bytes) under libFuzzer.
    Fuzz(fuzz::FuzzArgs),
    /// Kill, pause and restart real processes and check that no match is lost.
    Chaos {
        /// Arguments for `orrery-chaos` (e.g. `--quick`, `--scenarios kill,zombie`, `--rooms 50`).
        #[arg(trailing_var_arg = true, allow_hyphen_values = true)]
        args: Vec<String>,
    },
}

fn main() -> anyhow::Result<()> {
    match Cli::parse().task {
        Task::Up(args) => up::run(args),
        Task::Test(args) => test::run(args),
        Task::Services => services::ensure().map(|_| ()),
        Task::OpsCheck => ops_check::run(),
        Task::Fuzz(args) => fuzz::run(args),
        Task::Chaos { args } => chaos::run(&args),
        Task::BenchSnapshots(args) => bench_snapshots::run(args),
    }
}

/// The workspace root (xtask lives one level below it).
pub fn root() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).parent().expect("xtask is inside the workspace").to_path_buf()
}
