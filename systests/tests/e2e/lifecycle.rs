//! A whole match played by bots through matchmaking ends with the right results,
//! leaderboard rows and rating changes, and once the room closes nothing of it is left: no
//! Redis key, no gateway subscription, no worker task, and its row says closed.

use crate::matchmaking::{expect_matched, token};
use orrery_arena::{Intent, encode_intent};
use orrery_client::{Connection, Event};
use orrery_common::protocol::client::{ClientMsg, ServerMsg};
use orrery_common::{PlayerId, RoomId};
use orrery_systests::{Env, metric};
use rand::{Rng, SeedableRng};
use std::collections::BTreeMap;
use std::time::Duration;
use tokio::time::Instant;

/// Play random intents until the room closes; true when `RoomClosed` came for `room`.
async fn play_to_the_end(mut conn: Connection, room: RoomId, seed: u64) -> bool {
    let mut rng = rand::rngs::StdRng::seed_from_u64(seed);
    let mut think = tokio::time::interval(Duration::from_millis(100));
    let deadline = Instant::now() + Duration::from_secs(45);
    loop {
        tokio::select! {
            _ = tokio::time::sleep_until(deadline) => return false,
            _ = think.tick() => {
                let intent = Intent { turn: rng.random_range(-1.0..=1.0), thrust: rng.random_bool(0.6), fire: rng.random_bool(0.8) };
                if conn.send_input(encode_intent(&intent)).await.is_err() {
                    return false;
                }
            }
            event = conn.next_event() => match event {
                Ok(Event::Message(ServerMsg::RoomClosed { room: r })) => return r == room,
                Ok(Event::Closed { .. }) | Err(_) => return false,
                Ok(_) => {}
            },
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_matchmade_match_played_to_the_end_leaves_results_and_nothing_else() {
    let env = Env::new().await;
    let worker = env.worker().await;
    let gw1 = env.gateway_with(&["--mm-modes", "arena-blitz=3-3"]).await;
    let gw2 = env.gateway_with(&["--mm-modes", "arena-blitz=3-3"]).await;
    let mut conns = Vec::new();
    for i in 0..3 {
        let url = if i == 0 { gw2.ws_url() } else { gw1.ws_url() };
        let mut c = Connection::connect(&url, &token().1).await.unwrap();
        c.send(&ClientMsg::Queue { mode: "arena-blitz".into(), region: "any".into(), party: vec![] }).await.unwrap();
        conns.push(c);
    }
    let mut room = None;
    for c in conns.iter_mut() {
        let r = expect_matched(c, Duration::from_secs(10)).await;
        assert!(room.is_none_or(|x| x == r), "three players, one room");
        room = Some(r);
    }
    let room = room.unwrap();
    let players: Vec<PlayerId> = conns.iter().map(|c| c.player()).collect();
    let games: Vec<_> = conns.into_iter().enumerate().map(|(i, c)| tokio::spawn(play_to_the_end(c, room, i as u64))).collect();
    for g in games {
        assert!(g.await.unwrap(), "every player is told the room closed");
    }

    // PostgreSQL: closed, and the results are the ranking of the match_over event.
    let pg = sqlx::PgPool::connect(&env.database_url).await.unwrap();
    let (status, closed): (String, bool) = sqlx::query_as("SELECT status, closed_at IS NOT NULL FROM rooms WHERE id = $1")
        .bind(room.get() as i64)
        .fetch_one(&pg)
        .await
        .unwrap();
    assert_eq!((status.as_str(), closed), ("closed", true));
    let results: Vec<(uuid::Uuid, i32, i64, i32)> =
        sqlx::query_as("SELECT player, rank, score, kills FROM match_results WHERE room = $1 ORDER BY rank, player")
            .bind(room.get() as i64)
            .fetch_all(&pg)
            .await
            .unwrap();
    assert_eq!(results.len(), 3, "one result per player");
    assert!(results.iter().all(|r| players.contains(&PlayerId(r.0))));
    let (over,): (serde_json::Value,) = sqlx::query_as("SELECT payload FROM match_events WHERE room = $1 AND kind = 'match_over'")
        .bind(room.get() as i64)
        .fetch_one(&pg)
        .await
        .unwrap();
    let ranking: BTreeMap<String, (i64, i64, i64)> = over["ranking"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["player"].as_str().unwrap().to_owned(),
                (r["rank"].as_i64().unwrap(), r["score"].as_i64().unwrap(), r["kills"].as_i64().unwrap()),
            )
        })
        .collect();
    for (p, rank, score, kills) in &results {
        assert_eq!(ranking[&p.to_string()], (i64::from(*rank), *score, i64::from(*kills)), "result of {p}");
    }
    // Kills agree with the kill events.
    for (p, _, _, kills) in &results {
        let (n,): (i64,) = sqlx::query_as("SELECT count(*) FROM match_events WHERE room = $1 AND kind = 'killed' AND payload->>'by' = $2")
            .bind(room.get() as i64)
            .bind(p.to_string())
            .fetch_one(&pg)
            .await
            .unwrap();
        assert_eq!(n, i64::from(*kills), "kills of {p}");
    }

    // The leaderboard, live (Redis) and through the API.
    let api = format!("http://{}", gw1.addr);
    let board: serde_json::Value = reqwest::get(format!("{api}/v1/leaderboard?limit=10")).await.unwrap().json().await.unwrap();
    let board = board.as_array().unwrap();
    assert_eq!(board.len(), 3, "{board:?}");
    let scores: Vec<i64> = board.iter().map(|e| e["score"].as_i64().unwrap()).collect();
    assert!(scores.windows(2).all(|w| w[0] >= w[1]), "sorted best first: {scores:?}");
    for (p, rank, score, kills) in &results {
        let e = board.iter().find(|e| e["player"] == p.to_string()).expect("on the board");
        assert_eq!(e["score"].as_i64(), Some(*score));
        let me: serde_json::Value = reqwest::get(format!("{api}/v1/players/{p}")).await.unwrap().json().await.unwrap();
        assert_eq!(me["games"], 1);
        assert_eq!(me["wins"], i64::from(*rank == 1));
        assert_eq!(me["kills"], i64::from(*kills));
        assert_eq!(me["score"], *score);
        assert_eq!(me["rank"], e["rank"]);
    }
    // A matchmade match is ranked: the winner's rating rose, the last player's fell.
    let last = results.iter().map(|r| r.1).max().unwrap();
    assert!(last > 1, "the match has a winner and a loser: {results:?}");
    for (p, rank, _, _) in &results {
        let me: serde_json::Value = reqwest::get(format!("{api}/v1/players/{p}")).await.unwrap().json().await.unwrap();
        let rating = me["rating"].as_i64().expect("a rating");
        if *rank == 1 {
            assert!(rating > 1000, "the winner {p} rose: {me}");
        } else if *rank == last {
            assert!(rating < 1000, "the last {p} fell: {me}");
        }
    }

    // Nothing of the room is left in Redis.
    let redis = redis::Client::open(env.redis_url.as_str()).unwrap();
    let mut conn = redis.get_multiplexed_async_connection().await.unwrap();
    let keys: Vec<String> = redis::cmd("KEYS").arg(env.names().all_keys()).query_async(&mut conn).await.unwrap();
    let r = room.get().to_string();
    let left: Vec<&String> = keys.iter().filter(|k| k.split(':').any(|part| part == r)).collect();
    assert!(left.is_empty(), "keys of room {room} left: {left:?}");
    let names = env.names();
    for key in [names.rooms_owned(), names.rooms_unowned(), names.mm_open("arena-blitz")] {
        let kind: String = redis::cmd("TYPE").arg(&key).query_async(&mut conn).await.unwrap();
        let member: bool = match kind.as_str() {
            "zset" => redis::cmd("ZSCORE").arg(&key).arg(room.get()).query_async::<Option<f64>>(&mut conn).await.unwrap().is_some(),
            "set" => redis::cmd("SISMEMBER").arg(&key).arg(room.get()).query_async(&mut conn).await.unwrap(),
            _ => false,
        };
        assert!(!member, "room {room} still in {key}");
    }
    for p in &players {
        let in_room: Option<String> = redis::cmd("HGET").arg(env.names().player(*p)).arg("room").query_async(&mut conn).await.unwrap();
        assert_eq!(in_room, None, "{p} still points at the closed room");
    }
    // No gateway subscription, no worker task.
    for addr in [gw1.ops, gw2.ops] {
        assert_eq!(metric(addr, "orrery_gateway_room_subscriptions").await, 0.0, "gateway {addr} still subscribed");
    }
    orrery_systests::eventually(5, "the worker let the room go", || !worker.owned.contains(room)).await;

    pg.close().await;
}
