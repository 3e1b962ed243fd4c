//! `orrery-gateway`: telemetry, config, connect, serve until SIGINT/SIGTERM, drain.

use anyhow::Context;
use clap::Parser;
use orrery_gateway::config::Config;
use orrery_gateway::{Gateway, Listeners};

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let config = Config::parse();
    let _telemetry = orrery_common::telemetry::init("orrery-gateway", &config.telemetry)?;
    if let Err(e) = config.validate() {
        eprintln!("orrery-gateway: {e}");
        std::process::exit(2);
    }
    let (listen, ops_listen) = (config.listen, config.ops_listen);
    let gateway = Gateway::connect(config).await?;
    let public = tokio::net::TcpListener::bind(listen).await.with_context(|| format!("cannot listen on {listen}"))?;
    let ops = tokio::net::TcpListener::bind(ops_listen).await.with_context(|| format!("cannot listen on {ops_listen}"))?;
    tracing::info!(addr = %public.local_addr()?, ops = %ops.local_addr()?, "orrery-gateway started");
    gateway.run(Listeners { public, ops }, orrery_common::ops::shutdown_signal()).await?;
    Ok(())
}
