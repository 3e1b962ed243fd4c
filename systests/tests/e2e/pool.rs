//! The matchmaker's room pool: PostgreSQL, not Redis, says what a room is.
//!
//! 1. After a database reset under a kept Redis, the pool names ids that are now someone's
//!    hand-made room, a pooled room of another mode, or nothing: matchmade players are
//!    never placed into any of them.
//! 2. Pooled rooms that no pool references are closed once stale; the pool keeps only ids
//!    PostgreSQL confirms, and no more than `--mm-pool`.

use crate::matchmaking::{Placements, queue, token};
use orrery_systests::Env;
use serde_json::json;
use std::time::Duration;

/// A pooled matchmade room of `mode`, `age_secs` old, inserted behind the gateways' back.
async fn pooled_room(pg: &sqlx::PgPool, mode: &str, age_secs: i64) -> i64 {
    let (id,): (i64,) = sqlx::query_as(
        "INSERT INTO rooms (mode, status, settings, matchmade, created_at)
         VALUES ($1, 'pooled', jsonb_build_object('mode', $1::text, 'max_players', 2, 'tick_hz', 30, 'seed', 1), true,
                 now() - make_interval(secs => $2))
         RETURNING id",
    )
    .bind(mode)
    .bind(age_secs as f64)
    .fetch_one(pg)
    .await
    .unwrap();
    id
}

async fn status(pg: &sqlx::PgPool, id: i64) -> String {
    sqlx::query_as::<_, (String,)>("SELECT status FROM rooms WHERE id = $1").bind(id).fetch_one(pg).await.unwrap().0
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_pool_id_postgres_does_not_confirm_is_never_used() {
    let env = Env::new().await;
    let gw = env.gateway_with(&["--mm-modes", "arena-duel=2-2,arena=3-5"]).await;
    let pg = sqlx::PgPool::connect(&env.database_url).await.unwrap();
    let redis = redis::Client::open(env.redis_url.as_str()).unwrap();
    let mut conn = redis.get_multiplexed_async_connection().await.unwrap();

    // What a reset database under a kept Redis looks like: the pool's first ids are a room a
    // user just created by hand, a pooled room of another mode, and a row that does not exist.
    let by_hand = gw.room(json!({"mode": "arena-duel"})).await.get() as i64;
    let other_mode = pooled_room(&pg, "arena", 0).await;
    let gone = 1_000_000_i64;
    let pool = env.names().mm_pool("arena-duel");
    let _: () = redis::cmd("LPUSH").arg(&pool).arg(gone).arg(other_mode).arg(by_hand).query_async(&mut conn).await.unwrap();

    let mut placements = Placements::watch(&env).await;
    let http = reqwest::Client::new();
    let base = format!("http://{}", gw.addr);
    let (a, ta) = token();
    let (b, tb) = token();
    for t in [&ta, &tb] {
        queue(&http, &base, t, json!({"mode": "arena-duel"})).await;
    }
    placements.collect(Duration::from_secs(10), |seen| seen.len() == 2).await;
    let room = placements.room_of(a).expect("a placed");
    assert_eq!(placements.room_of(b), Some(room), "both in one room");
    let id = room.get() as i64;
    assert!(![by_hand, other_mode, gone].contains(&id), "placed into room {id}, which PostgreSQL does not confirm");
    let (mode, matchmade, st): (String, bool, String) =
        sqlx::query_as("SELECT mode, matchmade, status FROM rooms WHERE id = $1").bind(id).fetch_one(&pg).await.unwrap();
    assert_eq!((mode.as_str(), matchmade), ("arena-duel", true));
    assert_ne!(st, "pooled", "a placed room is no longer pooled");
    // The hand-made room got nobody, and the other mode's room is untouched.
    let members: Vec<String> =
        redis::cmd("SMEMBERS").arg(env.names().room_players(orrery_common::RoomId(by_hand as u64))).query_async(&mut conn).await.unwrap();
    assert!(members.is_empty(), "players in the hand-made room: {members:?}");
    assert_eq!(status(&pg, other_mode).await, "pooled");

    pg.close().await;
    gw.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stale_pooled_rooms_no_pool_references_are_closed() {
    let env = Env::new().await;
    // The first gateway migrates the database and fills its pools.
    let gw1 = env.gateway_with(&["--mm-modes", "arena=3-5", "--mm-pool", "8"]).await;
    let pg = sqlx::PgPool::connect(&env.database_url).await.unwrap();
    let redis = redis::Client::open(env.redis_url.as_str()).unwrap();
    let mut conn = redis.get_multiplexed_async_connection().await.unwrap();
    let pool = env.names().mm_pool("arena");
    tokio::time::sleep(Duration::from_millis(500)).await;

    // Left behind by gateways long gone: stale and unreferenced (close), stale but still in
    // the pool (keep), fresh and not yet pushed (keep); and pool entries that are not pooled
    // rooms of the pool's mode (drop from the pool).
    let stale: Vec<i64> = vec![pooled_room(&pg, "arena", 3600).await, pooled_room(&pg, "arena-duel", 3600).await];
    let referenced = pooled_room(&pg, "arena", 3600).await;
    let fresh = pooled_room(&pg, "arena", 0).await;
    let by_hand = gw1.room(json!({"mode": "arena"})).await.get() as i64;
    let _: () = redis::cmd("LPUSH").arg(&pool).arg(1_000_000_i64).arg(by_hand).arg(referenced).query_async(&mut conn).await.unwrap();

    // A gateway starting sweeps at once.
    let gw2 = env.gateway_with(&["--mm-modes", "arena=3-5", "--mm-pool", "8"]).await;
    let until = tokio::time::Instant::now() + Duration::from_secs(10);
    loop {
        let mut closed = true;
        for id in &stale {
            closed &= status(&pg, *id).await == "closed";
        }
        if closed {
            break;
        }
        assert!(tokio::time::Instant::now() < until, "stale pooled rooms not closed");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(status(&pg, referenced).await, "pooled", "a room the pool references stays");
    assert_eq!(status(&pg, fresh).await, "pooled", "a fresh room stays");
    assert_eq!(status(&pg, by_hand).await, "lobby", "a hand-made room is not the sweep's");
    let listed: Vec<i64> = redis::cmd("LRANGE").arg(&pool).arg(0).arg(-1).query_async(&mut conn).await.unwrap();
    assert!(listed.contains(&referenced), "{listed:?}");
    assert!(!listed.contains(&by_hand) && !listed.contains(&1_000_000), "unconfirmed ids left in the pool: {listed:?}");
    assert!(listed.len() <= 8, "the pool is trimmed to --mm-pool: {listed:?}");
    // Nothing but pooled rooms of the sweep's kind was closed.
    let (others,): (i64,) = sqlx::query_as("SELECT count(*) FROM rooms WHERE status = 'closed' AND NOT (id = ANY($1))")
        .bind(&stale)
        .fetch_one(&pg)
        .await
        .unwrap();
    assert_eq!(others, 0);

    pg.close().await;
    gw1.stop().await;
    gw2.stop().await;
}
