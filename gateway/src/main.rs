//! `orrery-gateway`: telemetry, config, connect, serve until SIGINT/SIGTERM, drain.

use anyhow::Context;
use clap::Parser;
use orrery_gateway::Gateway;
use orrery_gateway::config::Config;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let config = Config::parse();
    let _telemetry = orrery_common::telemetry::init("orrery-gateway", &config.telemetry)?;
    if let Err(e) = config.validate() {
        eprintln!("orrery-gateway: {e}");
        std::process::exit(2);
    }
    let listen = config.listen;
    let gateway = Gateway::connect(config).await?;
    let listener = tokio::net::TcpListener::bind(listen).await.with_context(|| format!("cannot listen on {listen}"))?;
    tracing::info!(addr = %listener.local_addr()?, "orrery-gateway started");
    gateway.run(listener, orrery_common::ops::shutdown_signal()).await?;
    Ok(())
}
