//! The live leaderboard (Redis) is counted once per room, and after a
//! flush it is rebuilt from PostgreSQL, identical.

use orrery_common::PlayerId;
use orrery_gateway::leaderboard::Leaderboard;
use orrery_systests::Env;
use std::collections::BTreeMap;

async fn board(conn: &mut redis::aio::MultiplexedConnection, key: &str) -> BTreeMap<String, i64> {
    let rows: Vec<(String, f64)> = redis::cmd("ZRANGE").arg(key).arg(0).arg(-1).arg("WITHSCORES").query_async(conn).await.unwrap();
    rows.into_iter().map(|(p, s)| (p, s as i64)).collect()
}

#[tokio::test]
async fn a_flushed_leaderboard_is_rebuilt_from_postgres_identical() {
    let env = Env::new().await;
    // A gateway applies the migrations (and would rebuild a missing board at start).
    let _gw = env.gateway().await;
    let pg = sqlx::PgPool::connect(&env.database_url).await.unwrap();
    let redis = redis::Client::open(env.redis_url.as_str()).unwrap();
    let manager = redis::aio::ConnectionManager::new(redis.clone()).await.unwrap();
    let mut conn = redis.get_multiplexed_async_connection().await.unwrap();
    let names = env.names();
    let lb = Leaderboard::new(manager, pg.clone(), names.clone());

    // 20 finished matches of 3 to 5 among 12 players, through the live path.
    let players: Vec<PlayerId> = (0..12).map(|_| PlayerId::random()).collect();
    let mut rng = 7u64;
    let mut next = || {
        rng = rng.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        rng >> 33
    };
    for _ in 0..20 {
        let (room,): (i64,) = sqlx::query_as("INSERT INTO rooms (mode, settings, status) VALUES ('arena', '{}', 'closed') RETURNING id")
            .fetch_one(&pg)
            .await
            .unwrap();
        let n = 3 + (next() % 3) as usize;
        let start = (next() % 12) as usize;
        for rank in 1..=n {
            let p = players[(start + rank) % 12];
            sqlx::query("INSERT INTO match_results (room, player, rank, score, kills) VALUES ($1, $2, $3, $4, $5)")
                .bind(room)
                .bind(p.0)
                .bind(rank as i32)
                .bind((next() % 500) as i64)
                .bind((next() % 4) as i32)
                .execute(&pg)
                .await
                .unwrap();
        }
        let room = orrery_common::RoomId(room as u64);
        lb.room_closed(room).await.unwrap();
        // Hearing about the same room twice counts it once.
        lb.room_closed(room).await.unwrap();
    }
    let live = board(&mut conn, &names.leaderboard()).await;
    // The live board is what PostgreSQL says.
    let truth: Vec<(uuid::Uuid, i64)> = sqlx::query_as("SELECT player, score FROM player_stats").fetch_all(&pg).await.unwrap();
    let truth: BTreeMap<String, i64> = truth.into_iter().map(|(p, s)| (p.to_string(), s)).collect();
    assert_eq!(live, truth, "live board counted each room once");

    redis::cmd("DEL").arg(names.leaderboard()).arg(names.leaderboard_applied()).query_async::<()>(&mut conn).await.unwrap();
    assert!(board(&mut conn, &names.leaderboard()).await.is_empty());
    lb.rebuild().await.unwrap();
    let rebuilt = board(&mut conn, &names.leaderboard()).await;
    assert_eq!(rebuilt, live, "rebuilt board identical");
    // And the rebuilt board still counts each room once.
    let (any_room,): (i64,) = sqlx::query_as("SELECT min(room) FROM match_results").fetch_one(&pg).await.unwrap();
    lb.room_closed(orrery_common::RoomId(any_room as u64)).await.unwrap();
    assert_eq!(board(&mut conn, &names.leaderboard()).await, live, "a room counted before the rebuild is not counted again");
    // The API reads the same board.
    let top = lb.top(100).await.unwrap();
    assert_eq!(top.len(), live.len());
    assert_eq!(top[0].score, *live.values().max().unwrap());

    pg.close().await;
}
