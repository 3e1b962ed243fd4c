//! The worker lease's scripts against real Redis (`worker_lease.rs`, I4, I6): a dead worker's
//! sleeping rooms move to `rooms:unowned` only once its worker lease is gone, and only those
//! whose lease still holds one of its tokens; a worker lease once gone is never renewed back,
//! and no room is held through it any more.

use orrery_common::RoomId;
use orrery_common::names::Names;
use orrery_worker::lease::Leases;
use orrery_worker::worker_lease::{Confirmed, WorkerLease};
use redis::aio::ConnectionManager;
use std::time::Duration;

const TTL: Duration = Duration::from_millis(400);

async fn setup() -> (Leases, WorkerLease, WorkerLease, Names, ConnectionManager) {
    let names = Names::new(format!("wlease{:08x}", rand::random::<u32>()));
    let url = std::env::var("ORRERY_TEST_REDIS").unwrap_or_else(|_| "redis://127.0.0.1:6379".to_owned());
    let redis = orrery_common::services::connect_redis(&url, None).await.expect("Redis must be running");
    let lease = |id: &str| WorkerLease::new(redis.clone(), names.clone(), id.into(), TTL, TTL - Duration::from_millis(100));
    (Leases::new(redis.clone(), names.clone(), TTL), lease("w1"), lease("w2"), names.clone(), redis)
}

async fn get(redis: &mut ConnectionManager, key: String) -> Option<String> {
    redis::cmd("GET").arg(key).query_async(redis).await.unwrap()
}

async fn unowned(redis: &mut ConnectionManager, names: &Names) -> Vec<u64> {
    let mut rooms: Vec<u64> = redis::cmd("SMEMBERS").arg(names.rooms_unowned()).query_async(redis).await.unwrap();
    rooms.sort();
    rooms
}

#[tokio::test]
async fn a_dead_workers_sleeping_rooms_move_once_its_lease_is_gone_and_only_those_still_its() {
    let (leases, w1, w2, names, mut redis) = setup().await;
    let rooms = [RoomId(1), RoomId(2), RoomId(3)];
    let mut tokens = Vec::new();
    for room in rooms {
        assert!(leases.acquire(room, "w1:claim").await.unwrap());
        let (held, token) = w1.adopt(room, "w1:claim").await.unwrap().expect("adopted");
        assert!(token.starts_with(&format!("{}/", held.token)));
        tokens.push(token);
    }
    let held = w1.held().unwrap();
    // Room 2 is given back (drained), room 3's lease is another owner's (as after Redis lost
    // it and someone claimed it): neither may move with w1's rooms.
    assert!(w1.release(&held, RoomId(2), &tokens[1], false).await.unwrap());
    let _: () = redis::cmd("SET").arg(names.lease(RoomId(3))).arg("w9:other").query_async(&mut redis).await.unwrap();

    // While w1's lease lives (renewed), nothing moves, even past its TTL.
    for _ in 0..3 {
        tokio::time::sleep(TTL / 2).await;
        w1.renew().await.unwrap();
    }
    assert_eq!(w2.recover(16).await.unwrap(), 0);
    assert_eq!(get(&mut redis, names.lease(RoomId(1))).await.as_deref(), Some(tokens[0].as_str()));

    // w1 stops renewing: after its TTL its rooms move, once.
    tokio::time::sleep(TTL + Duration::from_millis(100)).await;
    assert_eq!(w2.recover(16).await.unwrap(), 1);
    assert_eq!(w2.recover(16).await.unwrap(), 0, "moved once");
    assert_eq!(unowned(&mut redis, &names).await, vec![1]);
    assert_eq!(get(&mut redis, names.lease(RoomId(1))).await, None, "claimable");
    assert_eq!(get(&mut redis, names.lease(RoomId(3))).await.as_deref(), Some("w9:other"), "another owner's lease stays");
    let workers: Vec<String> = redis::cmd("ZRANGE").arg(names.workers()).arg(0).arg(-1).query_async(&mut redis).await.unwrap();
    assert!(workers.is_empty(), "the dead worker is forgotten once its rooms moved: {workers:?}");

    // w1 wakes: its lease is gone and stays gone; its rooms stop; no room is held through it.
    assert!(!held.lost.is_cancelled());
    assert_eq!(w1.confirm(&held, RoomId(1), &tokens[0]).await.unwrap(), Confirmed::WorkerLost);
    assert!(held.lost.is_cancelled(), "every sleeping room under it stops");
    assert_eq!(get(&mut redis, names.worker_lease(&held.token)).await, None, "not renewed back");
    // A new claim of room 1 by w1 is held through a new worker lease.
    assert!(leases.acquire(RoomId(1), "w1:again").await.unwrap());
    let (again, _) = w1.adopt(RoomId(1), "w1:again").await.unwrap().expect("adopted");
    assert_ne!(again.token, held.token);

    let keys: Vec<String> = redis::cmd("KEYS").arg(names.all_keys()).query_async(&mut redis).await.unwrap();
    let _: () = redis::cmd("DEL").arg(keys).query_async(&mut redis).await.unwrap();
}
