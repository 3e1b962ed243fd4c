//! `orrery-test-worker`: the worker binary with a test game registered instead of the
//! arena (`--game turns`, `--game secrets` or `--game frontier`, before the worker's own flags), so system
//! tests can kill a real worker process running sleeping rooms.

use anyhow::{Context, bail};
use clap::Parser;
use orrery_common::game::GameFactory;
use orrery_worker::Worker;
use orrery_worker::config::Config;
use std::sync::Arc;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let mut args: Vec<String> = std::env::args().collect();
    let game = match args.iter().position(|a| a == "--game") {
        Some(at) if at + 1 < args.len() => args.drain(at..at + 2).nth(1).expect("two taken"),
        _ => bail!("usage: orrery-test-worker --game turns|secrets|frontier [worker flags]"),
    };
    let factory: Arc<dyn GameFactory> = match game.as_str() {
        "turns" => Arc::new(orrery_testgame::turns::TurnsFactory),
        "secrets" => Arc::new(orrery_testgame::SecretsFactory),
        "frontier" => Arc::new(orrery_frontier::FrontierFactory),
        other => bail!("unknown test game {other:?}"),
    };
    let config = Config::parse_from(args);
    let _telemetry = orrery_common::telemetry::init("orrery-test-worker", &config.telemetry)?;
    let worker = Worker::connect(&config, factory).await?;
    let listener =
        tokio::net::TcpListener::bind(config.ops_listen).await.with_context(|| format!("cannot listen on {}", config.ops_listen))?;
    worker.run(listener, orrery_common::ops::shutdown_signal()).await?;
    Ok(())
}
