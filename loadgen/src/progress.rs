//! The one-line progress on stderr, rewritten every second.

use crate::stats::{Live, Shared};
use std::io::Write;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::watch;
use tokio::time::Instant;

/// Print progress until `stop` changes; a newline ends the line.
pub async fn run(shared: Arc<Shared>, players: usize, mut stop: watch::Receiver<bool>) {
    let mut every = tokio::time::interval(Duration::from_secs(1));
    let (mut frames0, mut inputs0) = (0, 0);
    loop {
        tokio::select! {
            _ = every.tick() => {}
            _ = stop.changed() => break,
        }
        let live = &shared.live;
        let (frames, inputs) = (Live::get(&live.frames), Live::get(&live.inputs));
        let phase = match shared.window() {
            None => "setup".to_owned(),
            Some((_, end)) => format!("{:>4}s left", end.saturating_duration_since(Instant::now()).as_secs()),
        };
        let mut err = std::io::stderr().lock();
        let _ = write!(
            err,
            "\r[{:>6.1}s {phase}] joined {}/{players} open {} failed {} | frames/s {} inputs/s {} | errors {} reconnects {}   ",
            shared.origin.elapsed().as_secs_f64(),
            Live::get(&live.joined),
            Live::get(&live.sockets_open),
            Live::get(&live.setup_failed),
            frames - frames0,
            inputs - inputs0,
            Live::get(&live.errors),
            Live::get(&live.reconnects),
        );
        let _ = err.flush();
        (frames0, inputs0) = (frames, inputs);
    }
    eprintln!();
}
