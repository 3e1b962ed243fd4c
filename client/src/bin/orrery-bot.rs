//! `orrery-bot`: guest tokens, a room (given or created), and N bots playing in it.

use clap::Parser;
use orrery_client::bot::{BotPlan, play};
use orrery_client::http::Api;
use orrery_client::Connection;
use orrery_common::RoomId;
use std::time::Duration;

/// Play the space arena with scripted bots.
#[derive(Parser, Debug)]
#[command(name = "orrery-bot", version)]
struct Args {
    /// Gateway base URL; give several (comma separated) to spread the bots.
    #[arg(long, env = "ORRERY_BOT_GATEWAY", value_delimiter = ',', default_value = "http://127.0.0.1:8080")]
    gateway: Vec<String>,
    /// Room to join; without it the first bot creates one.
    #[arg(long)]
    room: Option<u64>,
    /// Bots to run.
    #[arg(long, default_value_t = 1)]
    bots: usize,
    /// Seconds to play.
    #[arg(long, default_value_t = 10)]
    duration_secs: u64,
    /// Game mode of a created room.
    #[arg(long, default_value = "arena")]
    mode: String,
    /// Base of the bots' names.
    #[arg(long, default_value = "bot")]
    name: String,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    tracing_subscriber::fmt().with_env_filter(std::env::var("ORRERY_LOG").unwrap_or_else(|_| "info".into())).init();
    let args = Args::parse();
    let first = Api::new(args.gateway[0].clone());
    let room = match args.room {
        Some(r) => RoomId(r),
        None => {
            let token = first.guest(Some(&format!("{}-host", args.name))).await?.token;
            first.create_room(&token, serde_json::json!({ "mode": args.mode })).await?
        }
    };
    println!("room {room}");
    let mut bots = Vec::new();
    for i in 0..args.bots {
        let api = Api::new(args.gateway[i % args.gateway.len()].clone());
        let plan = BotPlan { duration: Duration::from_secs(args.duration_secs), seed: i as u64 + 1, ..BotPlan::default() };
        let name = format!("{}-{i}", args.name);
        bots.push(tokio::spawn(async move {
            let token = api.guest(Some(&name)).await?.token;
            let mut conn = Connection::connect(&api.ws_url(), &token).await?;
            let stats = play(&mut conn, room, &plan).await?;
            let _ = conn.close().await;
            anyhow::Ok((name, stats))
        }));
    }
    let mut failed = 0;
    for bot in bots {
        match bot.await? {
            Ok((name, s)) if s.frames == 0 => {
                failed += 1;
                eprintln!("{name} received no frames");
            }
            Ok((name, s)) => println!(
                "{name}: {} frames ({} keyframes), {} inputs, last ack {:?}, {} gaps, {} duplicates, {} bytes in",
                s.frames, s.keyframes, s.inputs_sent, s.last_ack.map(|a| a.get()), s.gaps, s.duplicates, s.bytes_in
            ),
            Err(e) => {
                failed += 1;
                eprintln!("bot failed: {e:#}");
            }
        }
    }
    if failed > 0 {
        anyhow::bail!("{failed} bot(s) failed");
    }
    Ok(())
}
