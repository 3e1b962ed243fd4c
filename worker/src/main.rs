//! `orrery-worker`: telemetry, config, connect, run until SIGINT/SIGTERM, drain.

use anyhow::Context;
use clap::Parser;
use orrery_worker::Worker;
use orrery_worker::config::Config;
use std::sync::Arc;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let config = Config::parse();
    let _telemetry = orrery_common::telemetry::init("orrery-worker", &config.telemetry)?;
    if let Err(e) = config.validate() {
        eprintln!("orrery-worker: {e}");
        std::process::exit(2);
    }
    let worker = Worker::connect(&config, Arc::new(orrery_arena::ArenaFactory)).await?;
    let listener =
        tokio::net::TcpListener::bind(config.ops_listen).await.with_context(|| format!("cannot listen on {}", config.ops_listen))?;
    tracing::info!(ops = %listener.local_addr()?, id = worker.id(), "orrery-worker started");
    worker.run(listener, orrery_common::ops::shutdown_signal()).await?;
    Ok(())
}
