//! `orrery-worker`: telemetry, config, connect, run until SIGINT/SIGTERM, drain; or one of
//! the one-off commands (`migrate`, `service-identities`).

use anyhow::Context;
use clap::Parser;
use orrery_common::game_modes::GamesByMode;
use orrery_worker::Worker;
use orrery_worker::config::{Command, Config};
use std::sync::Arc;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let config = Config::parse();
    let _telemetry = orrery_common::telemetry::init("orrery-worker", &config.telemetry)?;
    match &config.command {
        None => {}
        Some(Command::Migrate { grant_runtime_role }) => {
            orrery_common::services::migrate_only(&config.services, grant_runtime_role.as_ref()).await?;
            tracing::info!(grant = ?grant_runtime_role, "schema migrated");
            return Ok(());
        }
        Some(Command::ServiceIdentities { migrator, runtime, database }) => {
            print!("{}", orrery_common::identities::operator_guide(&config.services.names(), migrator, runtime, database));
            return Ok(());
        }
    }
    // `connect` validates the configuration first: a configuration that cannot work is a
    // usage error (exit status 2), before anything is connected.
    let worker =
        match Worker::connect(&config, Arc::new(GamesByMode::new(orrery_arena::ArenaFactory).with(orrery_frontier::FrontierFactory))).await
        {
            Ok(worker) => worker,
            Err(orrery_worker::Error::Config(e)) => {
                eprintln!("orrery-worker: {e}");
                std::process::exit(2);
            }
            Err(e) => return Err(e.into()),
        };
    let listener =
        tokio::net::TcpListener::bind(config.ops_listen).await.with_context(|| format!("cannot listen on {}", config.ops_listen))?;
    tracing::info!(ops = %listener.local_addr()?, id = worker.id(), "orrery-worker started");
    worker.run(listener, orrery_common::ops::shutdown_signal()).await?;
    Ok(())
}
