//! The final report: built from what the players recorded, printed as text and written
//! as JSON.

use crate::cli::Args;
use crate::gateway_timing::GatewayTiming;
use crate::proc_cost::ProcCost;
use crate::procfs::Delta;
use crate::stats::{Live, Shared, Summary};
use serde::Serialize;
use std::collections::BTreeMap;
use std::fmt::Write;

/// Everything measured in one run.
#[derive(Debug, Serialize)]
pub struct Report {
    pub mode: &'static str,
    pub args: Args,
    pub window_secs: f64,
    pub players: Players,
    pub totals: Totals,
    /// Input sent → frame acking it arrived, µs.
    pub ack_total_us: Summary,
    /// The same minus the estimated wait for the applying tick, µs (see BENCHMARKS.md).
    pub ack_pipeline_us: Summary,
    /// The estimated wait for the applying tick, µs.
    pub ack_tick_wait_us: Summary,
    /// Upward bias bound of the pipeline estimate (mean over sockets of period/(n+1)), µs.
    pub ack_pipeline_bias_bound_us: Option<f64>,
    /// The gateways' own timing: input read → acking frame written, minus the input's
    /// wait for its tick (exact, in histogram buckets; see `gateway_timing`).
    pub gateway_pipeline: Option<GatewayTiming>,
    /// The gateways' fan-out: frame in hand → written to a socket, for every frame sent.
    pub gateway_fanout: Option<GatewayTiming>,
    /// Per socket, the minimum round trip R̂, µs.
    pub min_round_trip_us: Summary,
    /// Frame arrival minus the fitted earliest arrival of its tick, µs.
    pub frame_lateness_us: Summary,
    /// |frame interval − 1/tick_hz|, µs.
    pub frame_jitter_us: Summary,
    /// Socket closed or stalled → first frame on the new socket, µs.
    pub reconnect_us: Summary,
    /// Per player over the window, bytes/s (WebSocket framing included).
    pub up_bytes_per_sec: Summary,
    pub down_bytes_per_sec: Summary,
    pub errors: BTreeMap<String, u64>,
    /// Gateway processes sampled over the window (or, idle, around the connections).
    pub gateways: Vec<Delta>,
    pub idle: Option<Idle>,
    /// The `--proc` process trees over the window, CPU per player-second each.
    pub procs: Vec<ProcCost>,
    /// Their sum, µs per player-second.
    pub procs_total_us_per_player_second: Option<f64>,
}

#[derive(Debug, Serialize)]
pub struct Players {
    pub requested: usize,
    pub joined: u64,
    pub setup_failed: u64,
    pub sockets_open_at_end: u64,
}

#[derive(Debug, Serialize)]
pub struct Totals {
    pub frames: u64,
    pub inputs: u64,
    pub reconnects: u64,
    /// Acks measured but not split (their socket saw too few frames or inputs).
    pub acks_unsplit: u64,
}

/// Idle mode: gateway memory per idle connection.
#[derive(Debug, Serialize)]
pub struct Idle {
    pub connections: u64,
    /// Per gateway: (RSS after − RSS before) / connections held.
    pub bytes_per_connection: Vec<(i32, f64)>,
    /// The same, read again at the end of the window.
    pub bytes_per_connection_at_end: Vec<(i32, f64)>,
}

impl Report {
    pub fn build(
        args: &Args,
        shared: &Shared,
        gateways: Vec<Delta>,
        idle: Option<Idle>,
        gateway_timings: Option<(GatewayTiming, GatewayTiming)>,
        sockets_open_at_end: u64,
    ) -> Self {
        let (gateway_pipeline, gateway_fanout) = gateway_timings.unzip();
        let h = shared.hists.lock().expect("histograms lock");
        let live = &shared.live;
        Self {
            mode: if args.idle { "idle" } else { "play" },
            args: args.clone(),
            window_secs: shared.window_len().as_secs_f64(),
            players: Players {
                requested: args.players,
                joined: Live::get(&live.joined),
                setup_failed: Live::get(&live.setup_failed),
                sockets_open_at_end,
            },
            totals: Totals {
                frames: Live::get(&live.frames),
                inputs: Live::get(&live.inputs),
                reconnects: Live::get(&live.reconnects),
                acks_unsplit: Live::get(&live.acks_unsplit),
            },
            ack_total_us: Summary::of(&h.ack_total_us),
            ack_pipeline_us: Summary::of(&h.ack_pipeline_us),
            ack_tick_wait_us: Summary::of(&h.ack_tick_wait_us),
            ack_pipeline_bias_bound_us: shared.mean_bias_us(),
            gateway_pipeline,
            gateway_fanout,
            min_round_trip_us: Summary::of(&h.min_round_trip_us),
            frame_lateness_us: Summary::of(&h.frame_lateness_us),
            frame_jitter_us: Summary::of(&h.frame_jitter_us),
            reconnect_us: Summary::of(&h.reconnect_us),
            up_bytes_per_sec: Summary::of(&h.up_bytes_per_sec),
            down_bytes_per_sec: Summary::of(&h.down_bytes_per_sec),
            errors: shared.errors(),
            gateways,
            idle,
            procs: Vec::new(),
            procs_total_us_per_player_second: None,
        }
    }

    /// The `--proc` costs of the window.
    pub fn with_procs(mut self, procs: Vec<ProcCost>) -> Self {
        self.procs_total_us_per_player_second = (!procs.is_empty()).then(|| procs.iter().map(|p| p.us_per_player_second).sum());
        self.procs = procs;
        self
    }

    /// The human-readable report.
    pub fn text(&self) -> String {
        let mut o = String::new();
        let p = &self.players;
        let _ = writeln!(o, "orrery-loadgen: {} mode, {:.0} s window", self.mode, self.window_secs);
        let _ = writeln!(
            o,
            "players: {} requested, {} joined, {} failed setup, {} sockets open at the end",
            p.requested, p.joined, p.setup_failed, p.sockets_open_at_end
        );
        if self.mode == "play" {
            let t = &self.totals;
            let _ = writeln!(o, "frames {}  inputs {}  reconnects {}  acks not split {}", t.frames, t.inputs, t.reconnects, t.acks_unsplit);
            let _ = writeln!(
                o,
                "\n{:<34} {:>8} {:>9} {:>9} {:>9} {:>9} {:>9} {:>9}",
                "distribution", "count", "mean", "p50", "p90", "p99", "p99.9", "max"
            );
            let rows: [(&str, &Summary); 9] = [
                ("input→ack total (µs)", &self.ack_total_us),
                ("input→ack minus tick wait (µs)", &self.ack_pipeline_us),
                ("estimated tick wait (µs)", &self.ack_tick_wait_us),
                ("min round trip per socket (µs)", &self.min_round_trip_us),
                ("frame lateness vs fit (µs)", &self.frame_lateness_us),
                ("frame interval jitter (µs)", &self.frame_jitter_us),
                ("reconnect to first frame (µs)", &self.reconnect_us),
                ("up per player (B/s)", &self.up_bytes_per_sec),
                ("down per player (B/s)", &self.down_bytes_per_sec),
            ];
            for (name, s) in rows {
                let _ = writeln!(
                    o,
                    "{name:<34} {:>8} {:>9.0} {:>9} {:>9} {:>9} {:>9} {:>9}",
                    s.count, s.mean, s.p50, s.p90, s.p99, s.p999, s.max
                );
            }
            if let Some(b) = self.ack_pipeline_bias_bound_us {
                let _ =
                    writeln!(o, "(the 'minus tick wait' estimate is biased upwards by about {b:.0} µs: period/(inputs per socket + 1))");
            }
            if let Some(g) = &self.gateway_pipeline {
                let _ = writeln!(o, "\ngateway pipeline (input read → acking frame written, minus the tick wait):\n  {}", g.summary_line());
            }
            if let Some(g) = &self.gateway_fanout {
                let _ = writeln!(o, "gateway fan-out (frame in hand → written to a socket):\n  {}", g.summary_line());
            }
        }
        if let Some(idle) = &self.idle {
            let _ = writeln!(o, "\nidle connections held: {}", idle.connections);
            for ((pid, b), (_, e)) in idle.bytes_per_connection.iter().zip(&idle.bytes_per_connection_at_end) {
                let _ = writeln!(o, "gateway pid {pid}: {b:.0} bytes per idle connection after connecting, {e:.0} at the end");
            }
        }
        if !self.gateways.is_empty() {
            let _ = writeln!(o, "\ngateway processes:");
            for g in &self.gateways {
                let _ = writeln!(
                    o,
                    "  pid {}: RSS {:.1} → {:.1} MiB, CPU {:.2} s = {:.2} cores",
                    g.pid,
                    g.rss_before_bytes as f64 / 1048576.0,
                    g.rss_after_bytes as f64 / 1048576.0,
                    g.cpu_secs,
                    g.cores_used
                );
            }
        }
        if !self.procs.is_empty() {
            let _ = writeln!(o, "\nserver CPU ({} players):", self.players.requested);
            let _ = writeln!(o, "  {:<12} {:>8} {:>6} {:>9} {:>7} {:>14}", "process", "pid", "procs", "CPU s", "cores", "µs/player-s");
            for p in &self.procs {
                let _ = writeln!(
                    o,
                    "  {:<12} {:>8} {:>6} {:>9.2} {:>7.3} {:>14.0}",
                    p.label, p.pid, p.processes, p.cpu_secs, p.cores_used, p.us_per_player_second
                );
            }
            if let Some(total) = self.procs_total_us_per_player_second {
                let _ = writeln!(o, "  {:<12} {:>8} {:>6} {:>9} {:>7} {:>14.0}", "total", "", "", "", "", total);
            }
        }
        let _ = writeln!(o, "\nerrors by kind:");
        if self.errors.is_empty() {
            let _ = writeln!(o, "  none");
        }
        for (k, v) in &self.errors {
            let _ = writeln!(o, "  {k:<32} {v}");
        }
        o
    }
}
