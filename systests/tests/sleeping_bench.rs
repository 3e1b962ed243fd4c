//! The sleeping-rooms benchmark (ignored; `docs/BENCHMARKS.md` says how to run it):
//! one worker owning `ORRERY_BENCH_ROOMS` sleeping `turns` rooms (default 10,000): its
//! memory per room and its CPU while they sleep; then wake → apply → ack of commands
//! sent straight to rooms' owners over NATS (what a gateway's `Command` does), each
//! acknowledged only after its durable commit.

use orrery_common::game::RoomSettings;
use orrery_common::protocol::internal::{ControlReply, ControlRequest};
use orrery_common::protocol::{decode, encode};
use orrery_common::{ClientMsgId, PlayerId, RoomId, SocketId};
use orrery_systests::Env;
use orrery_testgame::turns::{Order, TURNS, TurnsFactory, encode_order};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Resident memory of this process, in bytes.
fn rss() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    let kb: u64 = status.lines().find_map(|l| l.strip_prefix("VmRSS:")).unwrap().trim().trim_end_matches(" kB").trim().parse().unwrap();
    kb * 1024
}

/// CPU time of this process so far (user + system), in seconds.
fn cpu_seconds() -> f64 {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap();
    let after_name = &stat[stat.rfind(')').unwrap() + 2..];
    let fields: Vec<&str> = after_name.split_whitespace().collect();
    // utime and stime are fields 14 and 15 of the whole line: 12 and 13 after the name.
    let ticks: f64 = fields[11].parse::<f64>().unwrap() + fields[12].parse::<f64>().unwrap();
    ticks / 100.0
}

/// The worker's lease counters, scraped from its `/metrics`: why rooms stopped, if any did.
async fn lease_counters(ops: std::net::SocketAddr) -> String {
    let text = reqwest::get(format!("http://{ops}/metrics")).await.unwrap().text().await.unwrap();
    let wanted = [
        "orrery_worker_leases_acquired_total",
        "orrery_worker_leases_lost_total",
        "orrery_worker_leases_expired_by_deadline_total",
        "orrery_worker_fenced_writes_total",
        "orrery_worker_failovers_total",
    ];
    text.lines()
        .filter(|l| wanted.iter().any(|w| l.starts_with(w)))
        .map(|l| l.trim_start_matches("orrery_worker_").replace("_total", ""))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Redis's own time so far (`INFO commandstats`): (calls, µs) of `EVALSHA` and of every
/// command. Run the bench against a Redis of its own for these to be the worker's alone.
async fn redis_time(redis: &mut redis::aio::ConnectionManager) -> [(u64, u64); 2] {
    let info: String = redis::cmd("INFO").arg("commandstats").query_async(redis).await.unwrap();
    let mut out = [(0, 0); 2];
    for line in info.lines().filter_map(|l| l.strip_prefix("cmdstat_")) {
        let (name, fields) = line.split_once(':').unwrap();
        let field = |key: &str| -> u64 {
            fields.split(',').find_map(|f| f.strip_prefix(key)).and_then(|v| v.trim_start_matches('=').parse().ok()).unwrap_or(0)
        };
        let (calls, usec) = (field("calls"), field("usec"));
        if name == "evalsha" {
            out[0] = (calls, usec);
        }
        out[1].0 += calls;
        out[1].1 += usec;
    }
    out
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    sorted[((sorted.len() as f64 - 1.0) * p).round() as usize]
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "a benchmark: cargo nextest run -p orrery-systests --test sleeping_bench --run-ignored only"]
async fn sleeping_rooms_cost_little_and_wake_fast() {
    let rooms: usize = std::env::var("ORRERY_BENCH_ROOMS").ok().and_then(|n| n.parse().ok()).unwrap_or(10_000);
    let env = Env::new().await;
    let capacity = rooms.to_string();
    let worker = env
        .worker_of(
            Arc::new(TurnsFactory),
            &["--capacity", &capacity, "--claim-batch", "256", "--scan-interval-ms", "100", "--pg-pool", "16"],
        )
        .await;
    tokio::time::sleep(Duration::from_secs(2)).await;
    let (rss_empty, cpu_empty_start) = (rss(), cpu_seconds());
    tokio::time::sleep(Duration::from_secs(10)).await;
    let idle_empty = (cpu_seconds() - cpu_empty_start) / 10.0;

    // The rooms, straight into PostgreSQL and the unowned set (what room creation does).
    let pg = sqlx::PgPool::connect(&env.database_url).await.unwrap();
    let settings = RoomSettings { mode: "turns-600000".into(), max_players: 2, tick_hz: 1, seed: 1 };
    let ids: Vec<(i64,)> = sqlx::query_as(
        "INSERT INTO rooms (mode, region, settings) SELECT 'turns-600000', 'any', $1 FROM generate_series(1, $2) RETURNING id",
    )
    .bind(sqlx::types::Json(&settings))
    .bind(rooms as i64)
    .fetch_all(&pg)
    .await
    .unwrap();
    let mut redis = orrery_common::services::connect_redis(&env.redis_url, None).await.unwrap();
    for chunk in ids.chunks(1000) {
        let members: Vec<i64> = chunk.iter().map(|(id,)| *id).collect();
        redis::cmd("SADD").arg(env.names().rooms_unowned()).arg(members).query_async::<()>(&mut redis).await.unwrap();
    }
    let claiming = Instant::now();
    while worker.owned.len() < rooms {
        assert!(claiming.elapsed() < Duration::from_secs(1800), "only {} of {rooms} claimed", worker.owned.len());
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    let claimed_in = claiming.elapsed();
    tokio::time::sleep(Duration::from_secs(5)).await;
    let rss_full = rss();
    let redis_start = redis_time(&mut redis).await;
    let cpu_start = cpu_seconds();
    tokio::time::sleep(Duration::from_secs(30)).await;
    let idle_full = (cpu_seconds() - cpu_start) / 30.0;
    let redis_end = redis_time(&mut redis).await;
    let still_owned = worker.owned.len();

    println!(
        "sleeping rooms: {rooms} claimed in {:.1} s; memory {:.0} bytes/room ({:.1} MB with rooms, {:.1} MB without); \
         idle CPU {:.2} % of a core with the rooms, {:.2} % without; {still_owned} still owned after the idle window",
        claimed_in.as_secs_f64(),
        (rss_full.saturating_sub(rss_empty)) as f64 / rooms as f64,
        rss_full as f64 / 1e6,
        rss_empty as f64 / 1e6,
        idle_full * 100.0,
        idle_empty * 100.0,
    );
    println!("lease counters after the idle window: {}", lease_counters(worker.ops).await);
    let [(scripts, script_us), (commands, command_us)] =
        [0, 1].map(|i| (redis_end[i].0 - redis_start[i].0, redis_end[i].1 - redis_start[i].1));
    println!(
        "Redis during the idle window (30 s, the whole server's): {scripts} EVALSHA using {script_us} µs \
         ({:.1} µs each), {commands} commands in all using {command_us} µs ({:.3} % of a core)",
        script_us as f64 / scripts.max(1) as f64,
        command_us as f64 / 30e6 * 100.0,
    );
    // Wake → apply → ack: two players in each of 100 rooms play their 5 turns. A request
    // nobody answers (a room that lost its lease under load) is counted, not waited for again.
    let nats = async_nats::connect(&env.nats_url).await.unwrap();
    let request = |room: RoomId, req: ControlRequest| {
        let nats = nats.clone();
        let subject = env.names().room_control(room);
        async move {
            let answer = tokio::time::timeout(Duration::from_secs(2), nats.request(subject, encode(&req).into())).await;
            answer.ok().and_then(Result::ok).map(|m| decode::<ControlReply>(&m.payload).unwrap())
        }
    };
    let mut latencies = Vec::new();
    let (mut unanswered, mut unanswered_joins) = (0, 0);
    for (id,) in ids.iter().take(100) {
        let room = RoomId(*id as u64);
        let players = [PlayerId::random(), PlayerId::random()];
        for p in players {
            let reply = request(room, ControlRequest::Join { player: p, name: "bench".into(), session: SocketId(1) }).await;
            unanswered_joins += usize::from(reply.is_none());
        }
        for turn in 1..=TURNS {
            for (i, p) in players.iter().enumerate() {
                let payload = encode_order(&Order { turn, pick: i as u8 + 1 });
                let sent = Instant::now();
                match request(room, ControlRequest::Command { player: *p, id: ClientMsgId(turn * 2 + i as u32), payload }).await {
                    Some(ControlReply::CommandAck { .. }) => latencies.push(sent.elapsed()),
                    Some(other) => panic!("{other:?}"),
                    None => unanswered += 1,
                }
            }
        }
    }
    latencies.sort();
    println!("owned after the commands: {} of {rooms}", worker.owned.len());
    println!("lease counters after the commands: {}", lease_counters(worker.ops).await);
    println!(
        "wake → apply → durable commit → ack ({} commands answered, {unanswered} unanswered, {unanswered_joins} joins unanswered): p50 {:.2} ms, p99 {:.2} ms, max {:.2} ms",
        latencies.len(),
        percentile(&latencies, 0.5).as_secs_f64() * 1e3,
        percentile(&latencies, 0.99).as_secs_f64() * 1e3,
        latencies.last().unwrap().as_secs_f64() * 1e3,
    );
}
