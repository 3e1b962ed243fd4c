//! Benchmark of the matchmaking placement step against a real Redis (127.0.0.1:6379 or
//! `ORRERY_REDIS_URL`), under its own key prefix (deleted afterwards).
//!
//! For each scenario: queue N tickets with the real enqueue script (pipelined), then
//! run the real placement script until the queue is empty, and report players placed
//! per second of step time (the Redis step alone: no PostgreSQL, no NATS; each placement
//! step is given fake room ids).
//!
//! ```sh
//! cargo run -p orrery-gateway --example placement_bench -- 20000
//! ```

use clap::Parser;
use orrery_common::names::Names;
use orrery_common::{PlayerId, RoomId};
use orrery_gateway::config::MatchmakingArgs;
use orrery_gateway::matchmaking::{ENQUEUE_LUA, ModeLimits, PLACE_LUA, place_with};
use std::time::{Duration, Instant};

#[derive(Parser)]
struct Args {
    #[command(flatten)]
    mm: MatchmakingArgs,
}

struct Scenario {
    name: &'static str,
    regions: &'static [&'static str],
    rating_spread: u32,
    party_every: usize,
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> anyhow::Result<()> {
    let n: usize = std::env::args().nth(1).and_then(|s| s.parse().ok()).unwrap_or(20_000);
    let args = Args::parse_from(["bench"]).mm;
    let url = std::env::var("ORRERY_REDIS_URL").unwrap_or_else(|_| "redis://127.0.0.1:6379".into());
    let client = redis::Client::open(url.as_str())?;
    let mut conn = client.get_multiplexed_async_connection().await?;
    let limits = ModeLimits { min: 3, max: 5 };
    let scenarios = [
        Scenario { name: "one bucket (same region, same rating)", regions: &["eu"], rating_spread: 0, party_every: 0 },
        Scenario {
            name: "4 regions, ratings 900-1100, every 10th a party of 2",
            regions: &["eu", "us", "ap", "sa"],
            rating_spread: 200,
            party_every: 10,
        },
    ];
    println!("tickets per scenario: {n}; scan {} tickets per step", args.mm_scan);
    for s in &scenarios {
        let names = Names::new(format!("bench{}", std::process::id()));
        let enqueue = redis::Script::new(ENQUEUE_LUA);
        let place = redis::Script::new(PLACE_LUA);
        // An id for every possible room; each step is given as many as it could use (the
        // gateway confirms them with PostgreSQL first, which is not measured here).
        let mut pool: Vec<RoomId> = (1..=(n as u64 / 3 + 1)).map(RoomId).collect();
        let per_step = (args.mm_scan as usize / usize::from(limits.min)) + 1;
        let now = orrery_common::time::now_ms();
        let started = Instant::now();
        let mut players = 0usize;
        for chunk in (0..n).collect::<Vec<_>>().chunks(500) {
            let mut pipe = redis::pipe();
            for &i in chunk {
                let region = s.regions[i % s.regions.len()];
                let rating = 1000 + (i as u32 * 7919 % (s.rating_spread + 1)) as i64 - i64::from(s.rating_spread / 2);
                let members: Vec<String> = if s.party_every > 0 && i % s.party_every == 0 {
                    vec![PlayerId::random().to_string(), PlayerId::random().to_string()]
                } else {
                    vec![PlayerId::random().to_string()]
                };
                players += members.len();
                // Pipelined EVALSHA (the script is loaded first).
                pipe.cmd("EVALSHA").arg(enqueue.get_hash()).arg(0).arg(inv_args(&names, region, rating, now, &members));
            }
            let _ = redis::cmd("SCRIPT").arg("LOAD").arg(ENQUEUE_LUA).query_async::<String>(&mut conn).await?;
            pipe.query_async::<()>(&mut conn).await?;
        }
        let enqueue_time = started.elapsed();
        let mut placed = 0usize;
        let mut rooms = 0usize;
        let mut steps = 0usize;
        let mut step_time = Duration::ZERO;
        loop {
            let t = Instant::now();
            // Time as if the tickets had waited 100 ms.
            let given = &pool[..pool.len().min(per_step)];
            let out = place_with(&place, &mut conn, &names, "arena", limits, &args, now + 100, given).await?;
            // The script takes the ids it is given in order.
            pool.drain(..out.placements.iter().filter(|p| p.1).count());
            step_time += t.elapsed();
            steps += 1;
            let got = out.players_placed();
            placed += got;
            rooms += out.placements.iter().filter(|p| p.1).count();
            if got == 0 {
                break;
            }
        }
        println!("\n{}:", s.name);
        println!(
            "  queued {players} players in {n} tickets in {enqueue_time:?} ({:.0} tickets/s, pipelined)",
            n as f64 / enqueue_time.as_secs_f64()
        );
        println!(
            "  placed {placed} players in {rooms} new rooms in {steps} steps, {step_time:?} of step time: {:.0} placements/s, {:.2} ms per step",
            placed as f64 / step_time.as_secs_f64(),
            step_time.as_secs_f64() * 1000.0 / steps as f64
        );
        // Clean up this prefix.
        let keys: Vec<String> = redis::cmd("KEYS").arg(format!("{}:*", names.prefix())).query_async(&mut conn).await?;
        for chunk in keys.chunks(1000) {
            redis::cmd("DEL").arg(chunk).query_async::<()>(&mut conn).await?;
        }
    }
    Ok(())
}

/// The enqueue script's arguments (see `enqueue.lua`).
fn inv_args(names: &Names, region: &str, rating: i64, now: u64, members: &[String]) -> Vec<String> {
    let mut v = vec![
        names.prefix().to_owned(),
        "arena".into(),
        region.into(),
        rating.to_string(),
        now.to_string(),
        members[0].clone(),
        "600000".into(),
        "300".into(),
    ];
    v.extend(members.iter().cloned());
    v
}
