//! The lease scripts against real Redis: a released lease stays released. A renewal that
//! was put together before its room released the lease (the renewer's batch is taken a
//! moment before it reaches Redis) must not create it again: the room could not be
//! claimed until the TTL ran out, and a closed room would leave its lease behind.

use orrery_common::RoomId;
use orrery_common::names::Names;
use orrery_common::{Epoch, HistoryPos, Tick};
use orrery_worker::lease::{Leases, Renewal, Renewed};
use orrery_worker::snapshot::HotSnapshots;
use redis::aio::ConnectionManager;
use std::time::Duration;

async fn setup() -> (Leases, Names, ConnectionManager) {
    let names = Names::new(format!("leases{:08x}", rand::random::<u32>()));
    let url = std::env::var("ORRERY_TEST_REDIS").unwrap_or_else(|_| "redis://127.0.0.1:6379".to_owned());
    let redis = orrery_common::services::connect_redis(&url, None).await.expect("Redis must be running");
    (Leases::new(redis.clone(), names.clone(), Duration::from_secs(5)), names, redis)
}

async fn holder(redis: &mut ConnectionManager, names: &Names, room: RoomId) -> Option<String> {
    redis::cmd("GET").arg(names.lease(room)).query_async(redis).await.unwrap()
}

async fn cleanup(redis: &mut ConnectionManager, names: &Names) {
    let keys: Vec<String> = redis::cmd("KEYS").arg(names.all_keys()).query_async(redis).await.unwrap();
    if !keys.is_empty() {
        let _: () = redis::cmd("DEL").arg(keys).query_async(redis).await.unwrap();
    }
}

#[tokio::test]
async fn a_renewal_under_way_when_the_room_released_its_lease_does_not_take_it_again() {
    let (leases, names, mut redis) = setup().await;
    for requeue in [false, true] {
        let room = RoomId(if requeue { 2 } else { 1 });
        assert!(leases.acquire(room, "w1:a").await.unwrap());
        leases.mark_owned(room).await.unwrap();
        // The renewer's batch, taken while the room still held its lease...
        let batch = [Renewal { room, token: "w1:a", may_take_again: true }];
        // ...the room closes (or drains) and gives the lease back...
        assert!(leases.release(room, "w1:a", requeue).await.unwrap());
        // ...then the batch reaches Redis.
        assert_eq!(leases.renew(&batch).await.unwrap(), [Renewed::GivenBack]);
        assert_eq!(holder(&mut redis, &names, room).await, None, "the released lease was created again (requeue {requeue})");
        let owned: Option<f64> = redis::cmd("ZSCORE").arg(names.rooms_owned()).arg(room.get()).query_async(&mut redis).await.unwrap();
        assert_eq!(owned, None, "the released room is recorded as owned again");
        // So another worker claims it at once.
        assert!(leases.acquire(room, "w2:b").await.unwrap(), "the room cannot be claimed");
        assert_eq!(leases.renew(&batch).await.unwrap(), [Renewed::Lost], "and the stale batch finds the new owner");
        assert_eq!(holder(&mut redis, &names, room).await.as_deref(), Some("w2:b"));
    }
    cleanup(&mut redis, &names).await;
}

#[tokio::test]
async fn a_vanished_lease_is_taken_again_only_by_an_owner_within_its_deadline() {
    let (leases, names, mut redis) = setup().await;
    let room = RoomId(7);
    assert!(leases.acquire(room, "w1:a").await.unwrap());
    // Redis loses the lease (a restart without persistence).
    let _: () = redis::cmd("DEL").arg(names.lease(room)).query_async(&mut redis).await.unwrap();
    // An owner past its local deadline may have lost it to a claim and a release since:
    // it does not take it again, and stops.
    let late = [Renewal { room, token: "w1:a", may_take_again: false }];
    assert_eq!(leases.renew(&late).await.unwrap(), [Renewed::Lost]);
    assert_eq!(holder(&mut redis, &names, room).await, None);
    // An owner within its deadline keeps its room.
    let live = [Renewal { room, token: "w1:a", may_take_again: true }];
    assert_eq!(leases.renew(&live).await.unwrap(), [Renewed::Extended]);
    assert_eq!(holder(&mut redis, &names, room).await.as_deref(), Some("w1:a"));
    // And a lease still held is renewed either way.
    assert_eq!(leases.renew(&late).await.unwrap(), [Renewed::Extended]);
    cleanup(&mut redis, &names).await;
}

#[tokio::test]
async fn a_hot_snapshot_written_after_the_release_does_not_take_the_lease_again() {
    let (leases, names, mut redis) = setup().await;
    let hot = HotSnapshots::new(redis.clone(), names.clone(), Duration::from_secs(5));
    let room = RoomId(9);
    assert!(leases.acquire(room, "w1:a").await.unwrap());
    let at = HistoryPos::new(Epoch(1), Tick(3));
    assert!(hot.write(room, "w1:a", at, b"state").await.unwrap(), "the holder writes");
    assert!(leases.release(room, "w1:a", false).await.unwrap());
    assert!(!hot.write(room, "w1:a", at, b"late").await.unwrap(), "a write after the release is refused");
    assert_eq!(
        hot.write_many(&[orrery_worker::snapshot::HotWrite { room, token: "w1:a".into(), at, state: b"late".to_vec() }]).await.unwrap(),
        [false]
    );
    assert_eq!(holder(&mut redis, &names, room).await, None, "the released lease was created again by a hot write");
    // Redis losing a live lease is another matter: its holder takes it again.
    assert!(leases.acquire(room, "w2:b").await.unwrap());
    let _: () = redis::cmd("DEL").arg(names.lease(room)).query_async(&mut redis).await.unwrap();
    assert!(hot.write(room, "w2:b", HistoryPos::new(Epoch(2), Tick(1)), b"s").await.unwrap());
    assert_eq!(holder(&mut redis, &names, room).await.as_deref(), Some("w2:b"));
    cleanup(&mut redis, &names).await;
}
