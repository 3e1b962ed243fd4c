//! `orrery-bot`: N bots that play the space arena through one or more gateways.
//!
//! The first bot hosts: it creates a room (unless `--room` names one) and, each time a
//! match ends, the next one; the others follow it from room to room. At the end every
//! bot reports what it received, including downstream bytes per second with WebSocket
//! framing, and (with `--measure-json`) what the same frames would cost as full JSON.
//!
//! With `--mode frontier` or `--mode frontier-blitz` the bots play one match of Frontier
//! (the turn-based 4X) to its end: the host creates a room with a seat per bot, each bot
//! submits what the game's bot orders from its own view every turn, and each reports its
//! turns, acknowledgements and the winner.
//!
//! With `--queue <mode>` the bots host nothing: they keep `--waiting` matchmaking tickets
//! in the queue of that mode so a person's Quick play is placed at once (`cargo xtask up`).

use clap::Parser;
use orrery_client::Connection;
use orrery_client::bot::{BotPlan, BotStats, play};
use orrery_client::http::Api;
use orrery_common::RoomId;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{Semaphore, watch};
use tokio::time::Instant;

/// Play the space arena with scripted bots.
#[derive(Parser, Debug)]
#[command(name = "orrery-bot", version)]
struct Args {
    /// Gateway base URLs, comma separated; bots are spread over them.
    #[arg(long, env = "ORRERY_BOT_GATEWAY", value_delimiter = ',', default_value = "http://127.0.0.1:8080")]
    gateway: Vec<String>,
    /// Room to join first; without it the host bot creates one.
    #[arg(long)]
    room: Option<u64>,
    /// Bots to run.
    #[arg(long, default_value_t = 1)]
    bots: usize,
    /// Seconds to play in all.
    #[arg(long, default_value_t = 10)]
    duration_secs: u64,
    /// Game mode of created rooms.
    #[arg(long, default_value = "arena")]
    mode: String,
    /// Base of the bots' names.
    #[arg(long, default_value = "bot")]
    name: String,
    /// Also measure what the frames would cost as full JSON each tick.
    #[arg(long)]
    measure_json: bool,
    /// Instead of hosting a room, keep matchmaking tickets waiting for this mode (the mode
    /// a person's Quick play queues for), so a person is placed at once, with bots.
    #[arg(long)]
    queue: Option<String>,
    /// With `--queue`: bots holding a ticket at any time (keep it below the mode's minimum
    /// players, so bots alone never fill a room: arena 3, so 2).
    #[arg(long, default_value_t = 2)]
    waiting: usize,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    tracing_subscriber::fmt().with_env_filter(std::env::var("ORRERY_LOG").unwrap_or_else(|_| "info".into())).init();
    let args = Args::parse();
    let until = Instant::now() + Duration::from_secs(args.duration_secs);
    if let Some(mode) = args.queue.clone() {
        return fill(&args, &mode, until).await;
    }
    if args.mode.starts_with("frontier") {
        return frontier(&args).await;
    }
    let host_api = Api::new(args.gateway[0].clone());
    let host_token = host_api.guest(Some(&format!("{}-host", args.name))).await?.token;
    let first = match args.room {
        Some(r) => RoomId(r),
        None => host_api.create_room(&host_token, serde_json::json!({ "mode": args.mode })).await?,
    };
    println!("room {first}");
    let (room_tx, room_rx) = watch::channel(first);

    let mut bots = Vec::new();
    for i in 0..args.bots {
        let api = Api::new(args.gateway[i % args.gateway.len()].clone());
        let name = format!("{}-{i}", args.name);
        let (room_tx, mut room_rx) = (room_tx.clone(), room_rx.clone());
        let (host_api, host_token, mode, measure_json) = (host_api.clone(), host_token.clone(), args.mode.clone(), args.measure_json);
        bots.push(tokio::spawn(async move {
            let token = api.guest(Some(&name)).await?.token;
            let mut total = Vec::new();
            let mut room = *room_rx.borrow_and_update();
            let mut seed = i as u64 + 1;
            while Instant::now() < until {
                let mut conn = Connection::connect(&api.ws_url(), &token).await?;
                let plan = BotPlan { duration: until - Instant::now(), seed, measure_json, ..BotPlan::default() };
                let stats = play(&mut conn, room, &plan).await?;
                let _ = conn.close().await;
                let ended = stats.match_ended;
                total.push(stats);
                if !ended {
                    break;
                }
                seed += 1000;
                if i == 0 {
                    room = host_api.create_room(&host_token, serde_json::json!({ "mode": mode })).await?;
                    println!("room {room} (next match)");
                    let _ = room_tx.send(room);
                } else {
                    let waited = tokio::time::timeout_at(until, room_rx.wait_for(|r| *r != room)).await;
                    match waited {
                        Ok(Ok(r)) => room = *r,
                        _ => break,
                    }
                }
            }
            anyhow::Ok((name, total))
        }));
    }

    let mut failed = 0;
    for bot in bots {
        let (name, matches) = match bot.await? {
            Ok(ok) => ok,
            Err(e) => {
                failed += 1;
                eprintln!("bot failed: {e:#}");
                continue;
            }
        };
        let s = sum(&matches);
        if s.frames == 0 || s.decode_errors > 0 || s.duplicates > 0 {
            failed += 1;
            eprintln!("{name}: {} frames, {} decode errors, {} duplicates", s.frames, s.decode_errors, s.duplicates);
            continue;
        }
        let ended = matches.iter().filter(|m| m.match_ended).count();
        print!(
            "{name}: {} matches ended, {} frames ({} keyframes), {} inputs, last ack {:?}, {} gaps, {:.0} B/s down incl. framing",
            ended,
            s.frames,
            s.keyframes,
            s.inputs_sent,
            s.last_ack.map(|a| a.get()),
            s.gaps,
            s.wire_bytes_per_second()
        );
        if s.json_equivalent_bytes > 0 {
            print!(" (as JSON: {:.0} B/s, {:.1}x more)", s.json_bytes_per_second(), s.json_bytes_per_second() / s.wire_bytes_per_second());
        }
        println!();
    }
    if failed > 0 {
        anyhow::bail!("{failed} bot(s) failed");
    }
    Ok(())
}

/// `--mode frontier*`: one match of Frontier, a seat per bot, to its end.
async fn frontier(args: &Args) -> anyhow::Result<()> {
    let host_api = Api::new(args.gateway[0].clone());
    let host_token = host_api.guest(Some(&format!("{}-host", args.name))).await?.token;
    let settings = serde_json::json!({ "mode": args.mode, "max_players": args.bots.clamp(2, 4), "tick_hz": 5 });
    let room = match args.room {
        Some(r) => RoomId(r),
        None => host_api.create_room(&host_token, settings).await?,
    };
    println!("room {room}");
    let mut bots = Vec::new();
    for i in 0..args.bots {
        // Each bot starts on its own gateway and moves to the next one when it loses it.
        let mut gateways: Vec<String> = args.gateway.iter().map(|g| Api::new(g.clone()).ws_url()).collect();
        let first = i % gateways.len();
        gateways.rotate_left(first);
        let api = Api::new(args.gateway[i % args.gateway.len()].clone());
        let (name, duration) = (format!("{}-{i}", args.name), Duration::from_secs(args.duration_secs));
        bots.push(tokio::spawn(async move {
            let token = api.guest(Some(&name)).await?.token;
            let stats = orrery_client::frontier::play(gateways, token, room, duration).await?;
            anyhow::Ok((name, stats))
        }));
    }
    let mut failed = 0;
    for bot in bots {
        let (name, s) = bot.await??;
        let winner = s.view.as_ref().and_then(|v| v.public.winner.and_then(|w| v.public.seats.get(usize::from(w))).map(|w| w.name.clone()));
        let turn = s.view.as_ref().map_or(0, |v| v.public.turn);
        println!(
            "{name}: match ended {}, turn {turn}, {} turns submitted, {} accepted, {} refused {:?}, {} resent, {} reconnects, {} frames, {} gaps, winner {winner:?}",
            s.match_ended,
            s.turns_submitted,
            s.accepted,
            s.rejected.len(),
            s.rejected,
            s.resent,
            s.reconnects,
            s.frames,
            s.gaps
        );
        if !s.match_ended || s.decode_errors > 0 {
            failed += 1;
        }
    }
    if failed > 0 {
        anyhow::bail!("{failed} bot(s) did not see the match to its end");
    }
    Ok(())
}

/// `--queue`: a pool of filler bots (see `orrery_client::fill`).
async fn fill(args: &Args, mode: &str, until: Instant) -> anyhow::Result<()> {
    let slots = Arc::new(Semaphore::new(args.waiting.max(1)));
    println!("{} bots keep {} tickets waiting for {mode:?}", args.bots, args.waiting.max(1));
    let mut bots = Vec::new();
    for i in 0..args.bots {
        let api = Api::new(args.gateway[i % args.gateway.len()].clone());
        let (name, mode, slots) = (format!("{}-{i}", args.name), mode.to_owned(), slots.clone());
        bots.push(tokio::spawn(async move {
            let token = api.guest(Some(&name)).await?.token;
            let stats = orrery_client::fill::fill(&api.ws_url(), &token, &mode, slots, until, i as u64 + 1).await?;
            anyhow::Ok((name, stats))
        }));
    }
    let mut failed = 0;
    for bot in bots {
        match bot.await? {
            Ok((name, stats)) => {
                let rooms: Vec<String> = stats.matches.iter().map(|(r, _)| r.to_string()).collect();
                println!("{name}: {} tickets, {} failed rounds, played in rooms [{}]", stats.tickets, stats.errors, rooms.join(", "));
            }
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

fn sum(matches: &[BotStats]) -> BotStats {
    matches.iter().fold(BotStats::default(), |mut t, m| {
        t.frames += m.frames;
        t.keyframes += m.keyframes;
        t.gaps += m.gaps;
        t.duplicates += m.duplicates;
        t.decode_errors += m.decode_errors;
        t.inputs_sent += m.inputs_sent;
        t.last_ack = m.last_ack.or(t.last_ack);
        t.bytes_in += m.bytes_in;
        t.wire_bytes_in += m.wire_bytes_in;
        t.json_equivalent_bytes += m.json_equivalent_bytes;
        t.played += m.played;
        t
    })
}
