//! `orrery-view-dump`: a Rust client that joins a room and prints, for every frame it
//! applies, one line `{"tick":N,"view":<canonical JSON>}` — the arena crate's canonical text
//! of its `ArenaView`. The browser tests compare these lines with the page's `canonicalView`
//! at the same tick: both decoders must hold the same state.
//!
//! It joins as a player (a seat in the room) and sends no inputs, only a ping every few
//! seconds so the gateway keeps it. It stops after `--duration-secs`, or when the room
//! closes.

use clap::Parser;
use orrery_arena::ArenaView;
use orrery_client::Connection;
use orrery_client::connection::Event;
use orrery_client::http::Api;
use orrery_common::RoomId;
use orrery_common::protocol::client::{ClientMsg, FrameKind, ServerMsg};
use std::io::Write;
use std::time::Duration;
use tokio::time::Instant;

/// Join a room and print the canonical view after every applied frame.
#[derive(Parser, Debug)]
#[command(name = "orrery-view-dump", version)]
struct Args {
    /// Gateway base URL.
    #[arg(long, default_value = "http://127.0.0.1:8080")]
    gateway: String,
    /// Room to join.
    #[arg(long, conflicts_with = "code")]
    room: Option<u64>,
    /// Invite code of a private room to join.
    #[arg(long)]
    code: Option<String>,
    /// Display name.
    #[arg(long, default_value = "rust-dump")]
    name: String,
    /// Seconds to stay.
    #[arg(long, default_value_t = 30)]
    duration_secs: u64,
    /// Also write every applied frame to this file, one JSON line each (`{"tick","epoch",
    /// "kind","base","ack","payload":"<hex>"}`, after a first line `{"player":"<uuid>"}`):
    /// the recording the browser benchmark replays.
    #[arg(long)]
    record: Option<std::path::PathBuf>,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let until = Instant::now() + Duration::from_secs(args.duration_secs);
    let api = Api::new(args.gateway.clone());
    let token = api.guest(Some(&args.name)).await?.token;
    let mut conn = Connection::connect(&api.ws_url(), &token).await?;
    match (args.room, &args.code) {
        (Some(room), _) => {
            conn.join(RoomId(room)).await?;
        }
        (None, Some(code)) => {
            conn.send(&ClientMsg::JoinByCode { code: code.clone() }).await?;
        }
        (None, None) => anyhow::bail!("--room or --code is required"),
    }
    let mut record = match &args.record {
        Some(path) => {
            let mut file = std::io::BufWriter::new(std::fs::File::create(path)?);
            writeln!(file, "{{\"player\":\"{}\"}}", conn.player())?;
            Some(file)
        }
        None => None,
    };
    let mut view: Option<ArenaView> = None;
    let mut ping = tokio::time::interval(Duration::from_secs(5));
    let out = std::io::stdout();
    loop {
        let event = tokio::select! {
            _ = tokio::time::sleep_until(until) => break,
            _ = ping.tick() => {
                conn.send(&ClientMsg::Ping { client_time_us: 0 }).await?;
                continue;
            }
            event = conn.next_event() => event?,
        };
        match event {
            Event::Frame(frame) => {
                let applied = match (frame.kind, view.as_mut()) {
                    (FrameKind::Keyframe, _) => ArenaView::from_keyframe(&frame.payload).map(|v| view = Some(v)),
                    (FrameKind::Delta { .. }, Some(v)) => v.apply_delta(&frame.payload),
                    (FrameKind::Delta { .. }, None) => continue,
                };
                match (applied, &view) {
                    (Ok(()), Some(v)) => {
                        if let Some(file) = record.as_mut() {
                            let (kind, base) = match frame.kind {
                                FrameKind::Keyframe => ("keyframe", None),
                                FrameKind::Delta { base } => ("delta", Some(base.get())),
                            };
                            let hex: String = frame.payload.iter().map(|b| format!("{b:02x}")).collect();
                            let line = serde_json::json!({
                                "tick": frame.tick.get(), "epoch": frame.epoch.get(), "kind": kind, "base": base,
                                "ack": frame.ack.map(|a| a.get()), "payload": hex,
                            });
                            writeln!(file, "{line}")?;
                        }
                        let mut out = out.lock();
                        writeln!(
                            out,
                            "{{\"room\":{},\"epoch\":{},\"tick\":{},\"view\":{}}}",
                            frame.room,
                            frame.epoch,
                            frame.tick,
                            v.canonical_json()
                        )?;
                        out.flush()?;
                    }
                    (Err(e), _) => {
                        eprintln!("frame {} does not decode: {e}; asking for a keyframe", frame.tick);
                        view = None;
                        conn.send(&ClientMsg::Resync).await?;
                    }
                    _ => {}
                }
            }
            Event::Message(ServerMsg::Error { code, message }) => anyhow::bail!("the gateway refused: {code:?}: {message}"),
            Event::Message(ServerMsg::RoomClosed { .. }) => break,
            Event::Closed { code, reason } => anyhow::bail!("the connection closed ({code}: {reason})"),
            _ => {}
        }
    }
    if let Some(mut file) = record {
        file.flush()?;
    }
    Ok(())
}
