//! `--nats-floor`: the round trip through NATS alone, as a floor for the pipeline figure.
//!
//! An input's pipeline crosses NATS twice (gateway → owner, owner → gateway), and each
//! crossing ends in a process waking up to read it. On a small virtual machine those
//! wake-ups, not Orrery's code, can dominate. This mode measures the same two crossings
//! with nothing else: a pinger thread publishes, an echo thread (its own single-threaded
//! runtime, like a separate process) publishes it back, and the pinger times the round
//! trip. The gateway's `orrery_gateway_input_pipeline_seconds` minus this is what the
//! gateway and the owner add.

use crate::stats::Summary;
use anyhow::Context;
use futures::StreamExt;
use hdrhistogram::Histogram;
use std::time::{Duration, Instant};

/// Time between two pings: about one input per player per tick, at 30 Hz.
const GAP: Duration = Duration::from_millis(33);

/// Round trips for `duration`, one every [`GAP`], through the NATS server at `url`.
pub fn measure(url: &str, duration: Duration) -> anyhow::Result<Summary> {
    let subject = format!("orrery-loadgen.floor.{:08x}", rand::random::<u32>());
    let ready = std::sync::mpsc::channel();
    let echo = {
        let (url, subject, ready) = (url.to_owned(), subject.clone(), ready.0);
        std::thread::spawn(move || -> anyhow::Result<()> {
            current_thread()?.block_on(async {
                let nats = async_nats::connect(&url).await.context("echo: connecting to NATS")?;
                let mut pings = nats.subscribe(format!("{subject}.ping")).await?;
                nats.flush().await?;
                let _ = ready.send(());
                while let Some(ping) = pings.next().await {
                    if ping.payload.is_empty() {
                        break;
                    }
                    nats.publish(format!("{subject}.pong"), ping.payload).await?;
                }
                Ok(())
            })
        })
    };
    ready.1.recv_timeout(Duration::from_secs(10)).context("the echo thread did not start (is NATS running?)")?;
    let url = url.to_owned();
    let summary = current_thread()?.block_on(async move {
        let nats = async_nats::connect(&url).await.context("pinger: connecting to NATS")?;
        let mut pongs = nats.subscribe(format!("{subject}.pong")).await?;
        nats.flush().await?;
        let mut h = Histogram::<u64>::new_with_bounds(1, 3_600_000_000, 3)?;
        let end = Instant::now() + duration;
        let mut n = 0u64;
        while Instant::now() < end {
            n += 1;
            let sent = Instant::now();
            nats.publish(format!("{subject}.ping"), n.to_le_bytes().to_vec().into()).await?;
            match tokio::time::timeout(Duration::from_secs(1), pongs.next()).await {
                Ok(Some(_)) => h.saturating_record(sent.elapsed().as_micros() as u64),
                _ => anyhow::bail!("a ping was not echoed within 1 s"),
            }
            tokio::time::sleep(GAP).await;
        }
        // An empty ping stops the echo.
        nats.publish(format!("{subject}.ping"), Vec::new().into()).await?;
        nats.flush().await?;
        anyhow::Ok(Summary::of(&h))
    })?;
    echo.join().map_err(|_| anyhow::anyhow!("the echo thread panicked"))??;
    Ok(summary)
}

fn current_thread() -> std::io::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_current_thread().enable_all().build()
}
