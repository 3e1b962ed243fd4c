//! `orrery-test-gateway`: the gateway binary for system tests that kill a real gateway
//! process (SIGSTOP, SIGKILL). It is `orrery-gateway` with both listeners on the address
//! the flags give (port 0 in tests) and one line on stdout once they are bound:
//! `listening <public address> <ops address>`, so a test learns its ports without a race.

use clap::Parser;
use orrery_gateway::config::Config;
use orrery_gateway::{Gateway, Listeners};

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let config = Config::parse();
    let _telemetry = orrery_common::telemetry::init("orrery-test-gateway", &config.telemetry)?;
    config.validate()?;
    let (listen, ops_listen) = (config.listen, config.ops_listen);
    let gateway = Gateway::connect(config).await?;
    let public = tokio::net::TcpListener::bind(listen).await?;
    let ops = tokio::net::TcpListener::bind(ops_listen).await?;
    println!("listening {} {}", public.local_addr()?, ops.local_addr()?);
    gateway.run(Listeners { public, ops }, orrery_common::ops::shutdown_signal()).await?;
    Ok(())
}
