//! Command-line flags of `orrery-loadgen`, and their validation.

use clap::Parser;
use serde::Serialize;
use std::path::PathBuf;

/// Scripted players against running gateways: latency, jitter, bandwidth, reconnects,
/// idle connection memory. Bounded: it stops by itself after `--duration-secs`.
#[derive(Parser, Debug, Clone, Serialize)]
#[command(name = "orrery-loadgen", version)]
pub struct Args {
    /// Gateway base URLs on this machine, comma separated; players are spread over them
    /// round-robin (and reconnect to the next one when their socket closes).
    #[arg(long, value_delimiter = ',', default_value = "http://127.0.0.1:8080")]
    pub gateways: Vec<String>,
    /// The gateways' ops endpoints (`--ops-listen`), where their own timings are read from
    /// `/metrics`, comma separated.
    #[arg(long, value_delimiter = ',', default_value = "http://127.0.0.1:9090")]
    pub gateway_metrics: Vec<String>,
    /// Players (sockets) to run.
    #[arg(long, default_value_t = 10)]
    pub players: usize,
    /// Players per room (a room is created for each group).
    #[arg(long, default_value_t = 5)]
    pub per_room: usize,
    /// Length of the measured window, after every player has joined (or the setup timed out).
    #[arg(long, default_value_t = 30)]
    pub duration_secs: u64,
    /// Time between the end of the setup and the start of the window (the tick clock
    /// fit needs about 2 s of frames).
    #[arg(long, default_value_t = 3)]
    pub warmup_secs: u64,
    /// Game mode of the rooms created (by default one where nobody dies, so no room ends
    /// during the run).
    #[arg(long, default_value = "arena-practice")]
    pub mode: String,
    /// Mean time between two inputs of a player; each gap is drawn uniformly from
    /// 0.5..1.5 times this, so inputs land at every phase of the tick.
    #[arg(long, default_value_t = 100)]
    pub input_interval_ms: u64,
    /// Scripted intents also fire (ships can die and matches can end early).
    #[arg(long)]
    pub fire: bool,
    /// Idle mode: open `--players` authenticated sockets that join nothing, hold them for
    /// `--duration-secs`, and report the gateways' memory per connection (`--gateway-pid`).
    #[arg(long)]
    pub idle: bool,
    /// Floor mode: time round trips through the NATS server at `--nats-url` alone (two
    /// crossings, as an input's pipeline has) for `--duration-secs`, and report them.
    #[arg(long)]
    pub nats_floor: bool,
    /// Worker-only mode: seat `--players` (rooms of `--per-room`, created through
    /// `--gateways`) by publishing straight onto the rooms' NATS subjects, the gateway's wire,
    /// send their inputs the same way, and report the worker's tick lateness and missed
    /// ticks from `--worker-metrics`. No socket is opened.
    #[arg(long)]
    pub nats_direct: bool,
    /// The workers' ops endpoints (`--ops-listen`), comma separated, for `--nats-direct`.
    #[arg(long, value_delimiter = ',')]
    pub worker_metrics: Vec<String>,
    /// The deployment's subject prefix (the servers' `--prefix`), for `--nats-direct`.
    #[arg(long, default_value = "orrery")]
    pub prefix: String,
    /// Tick rate of the rooms created.
    #[arg(long, default_value_t = 30)]
    pub tick_hz: u16,
    /// The NATS server of `--nats-floor` and `--nats-direct` (on this machine).
    #[arg(long, default_value = "nats://127.0.0.1:4222")]
    pub nats_url: String,
    /// PIDs of gateway processes to sample (VmRSS and CPU time from /proc), comma separated.
    #[arg(long, value_delimiter = ',')]
    pub gateway_pid: Vec<i32>,
    /// Server processes whose CPU per player-second is reported: `LABEL=PID`, or
    /// `LABEL=PID:FILTER` to count only the processes of PID's tree whose command line
    /// holds FILTER (PostgreSQL's backends show their database). Repeat the flag. Each
    /// counts its whole process tree, threads and children included.
    #[arg(long = "proc", value_name = "LABEL=PID[:FILTER]")]
    pub procs: Vec<crate::proc_cost::ProcSpec>,
    /// Players in their setup (guest token, connect, join) at the same time.
    #[arg(long, default_value_t = 32)]
    pub connect_concurrency: usize,
    /// Longest the setup may take before the measured window starts anyway.
    #[arg(long, default_value_t = 120)]
    pub setup_timeout_secs: u64,
    /// A player that receives no frame for this long counts a stall and reconnects.
    #[arg(long, default_value_t = 2000)]
    pub stall_ms: u64,
    /// Write the report as JSON to this file.
    #[arg(long)]
    pub json: Option<PathBuf>,
    /// No progress line on stderr.
    #[arg(long)]
    pub no_progress: bool,
    /// Seed of the scripted intents.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
}

/// A flag value that cannot work.
#[derive(Debug)]
pub struct Invalid(pub String);

impl std::fmt::Display for Invalid {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for Invalid {}

impl Args {
    /// Check the flags; only gateways on this machine are accepted.
    pub fn validate(&self) -> Result<(), Invalid> {
        let bad = |m: String| Err(Invalid(m));
        if self.gateways.is_empty() {
            return bad("--gateways needs at least one URL".into());
        }
        for g in self.gateways.iter().chain(&self.gateway_metrics).chain(&self.worker_metrics) {
            let rest = g.strip_prefix("http://").unwrap_or("");
            let host = rest.split(['/', ':']).next().unwrap_or("");
            if host != "127.0.0.1" && host != "localhost" {
                return bad(format!(
                    "--gateways: {g:?} is not an http://127.0.0.1:<port> URL (the load generator only targets this machine)"
                ));
            }
        }
        let nats_host = self.nats_url.strip_prefix("nats://").unwrap_or("").split(':').next().unwrap_or("");
        if nats_host != "127.0.0.1" && nats_host != "localhost" {
            return bad(format!("--nats-url: {:?} is not a nats://127.0.0.1:<port> URL", self.nats_url));
        }
        if self.players == 0 || self.players > 50_000 {
            return bad("--players must be 1..=50000".into());
        }
        if !(1..=16).contains(&self.per_room) {
            return bad("--per-room must be 1..=16 (the gateway's max_players range)".into());
        }
        if !(1..=3600).contains(&self.duration_secs) {
            return bad("--duration-secs must be 1..=3600".into());
        }
        if self.warmup_secs > 600 {
            return bad("--warmup-secs must be at most 600".into());
        }
        if self.input_interval_ms < 34 {
            return bad("--input-interval-ms must be at least 34 (the gateway allows 60 messages/s; gaps go down to half the mean)".into());
        }
        if !(1..=120).contains(&self.tick_hz) {
            return bad("--tick-hz must be 1..=120".into());
        }
        if self.nats_direct && (self.idle || self.nats_floor) {
            return bad("--nats-direct, --idle and --nats-floor are separate modes: pick one".into());
        }
        if self.nats_direct && self.worker_metrics.is_empty() {
            return bad("--nats-direct needs --worker-metrics http://127.0.0.1:<ops port> (the tick figures come from there)".into());
        }
        if self.connect_concurrency == 0 {
            return bad("--connect-concurrency must be at least 1".into());
        }
        if self.stall_ms < 200 {
            return bad("--stall-ms must be at least 200".into());
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::Args;
    use clap::Parser;

    fn parse(extra: &[&str]) -> Args {
        Args::parse_from(std::iter::once("orrery-loadgen").chain(extra.iter().copied()))
    }

    #[test]
    fn only_local_gateways_are_accepted() {
        assert!(parse(&["--gateways", "http://127.0.0.1:48080,http://localhost:48081"]).validate().is_ok());
        assert!(parse(&["--gateways", "http://example.com:80"]).validate().is_err());
        assert!(parse(&["--gateways", "https://127.0.0.1:1"]).validate().is_err());
    }

    #[test]
    fn processes_to_measure_are_repeatable_and_checked() {
        let args = parse(&["--proc", "gateway=10", "--proc", "postgres=20:orrery_lg"]);
        assert_eq!(args.procs.len(), 2);
        assert_eq!(args.procs[1].filter.as_deref(), Some("orrery_lg"));
        assert!(Args::try_parse_from(["orrery-loadgen", "--proc", "gateway"]).is_err());
    }

    #[test]
    fn nats_direct_needs_local_worker_metrics() {
        assert!(parse(&["--nats-direct"]).validate().is_err());
        assert!(parse(&["--nats-direct", "--worker-metrics", "http://127.0.0.1:49300"]).validate().is_ok());
        assert!(parse(&["--nats-direct", "--worker-metrics", "http://10.0.0.1:49300"]).validate().is_err());
        assert!(parse(&["--nats-direct", "--idle", "--worker-metrics", "http://127.0.0.1:1"]).validate().is_err());
    }

    #[test]
    fn input_rate_stays_under_the_gateway_limit() {
        assert!(parse(&["--input-interval-ms", "20"]).validate().is_err());
        assert!(parse(&["--input-interval-ms", "34"]).validate().is_ok());
    }
}
