//! Two workers and 20 rooms — every room is owned by exactly one worker and
//! ticks at 30 Hz.

use futures::StreamExt;
use orrery_common::protocol::decode;
use orrery_common::protocol::internal::StateFrame;
use orrery_common::{RoomId, Tick};
use orrery_systests::{Env, eventually};
use std::collections::{BTreeMap, HashSet};
use std::time::Duration;

#[tokio::test]
async fn twenty_rooms_two_workers_one_owner_each_at_thirty_hertz() {
    let env = Env::new().await;
    let a = env.worker().await;
    let b = env.worker().await;
    let gw = env.gateway().await;
    let mut rooms = Vec::new();
    for _ in 0..20 {
        rooms.push(gw.room(serde_json::json!({})).await);
    }
    eventually(10, "all 20 rooms owned", || a.owned.len() + b.owned.len() == 20).await;
    let owned_a: HashSet<RoomId> = a.owned.ids().into_iter().collect();
    let owned_b: HashSet<RoomId> = b.owned.ids().into_iter().collect();
    assert!(owned_a.is_disjoint(&owned_b), "a room owned twice: {:?}", owned_a.intersection(&owned_b).collect::<Vec<_>>());
    assert_eq!(owned_a.union(&owned_b).copied().collect::<HashSet<_>>(), rooms.iter().copied().collect());
    assert!(!owned_a.is_empty() && !owned_b.is_empty(), "rooms spread over both workers: {} / {}", owned_a.len(), owned_b.len());

    // Watch every room's frames for two seconds.
    let nats = async_nats::connect(&env.nats_url).await.unwrap();
    let mut sub = nats.subscribe(env.names().all_room_states()).await.unwrap();
    let mut first: BTreeMap<RoomId, (Tick, tokio::time::Instant)> = BTreeMap::new();
    let mut last: BTreeMap<RoomId, (Tick, tokio::time::Instant)> = BTreeMap::new();
    let until = tokio::time::Instant::now() + Duration::from_secs(2);
    while let Ok(Some(msg)) = tokio::time::timeout_at(until, sub.next()).await {
        let frame: StateFrame = decode(&msg.payload).unwrap();
        let now = tokio::time::Instant::now();
        first.entry(frame.room).or_insert((frame.tick, now));
        last.insert(frame.room, (frame.tick, now));
    }
    assert_eq!(first.len(), 20, "every room publishes frames");
    for (room, (t0, at0)) in &first {
        let (t1, at1) = last[room];
        let secs = (at1 - *at0).as_secs_f64();
        let rate = (t1.get() - t0.get()) as f64 / secs;
        assert!((25.0..=35.0).contains(&rate), "room {room} ticked at {rate:.1} Hz");
    }
}

/// Redis keeps nothing on disk here: after it loses its data, owners keep their rooms
/// (renewal takes a vanished lease again) and rooms that were waiting are found again
/// from PostgreSQL.
#[tokio::test]
async fn rooms_survive_redis_forgetting_their_leases() {
    let env = Env::new().await;
    let gw = env.gateway().await;
    let waiting = gw.room(serde_json::json!({})).await;
    let redis_client = redis::Client::open(env.redis_url.as_str()).unwrap();
    let mut redis = redis_client.get_multiplexed_async_connection().await.unwrap();
    // Redis forgets the waiting room before any worker saw it.
    let _: () = redis::cmd("DEL").arg(env.names().rooms_unowned()).query_async(&mut redis).await.unwrap();

    let worker = env.worker_with(&["--reconcile-interval-ms", "200"]).await;
    eventually(10, "the forgotten room is claimed after reconciling", || worker.owned.contains(waiting)).await;

    // Now Redis forgets the lease of a running room: its owner keeps it, same epoch.
    let lease = env.names().lease(waiting);
    let holder: Option<String> = redis::cmd("GET").arg(&lease).query_async(&mut redis).await.unwrap();
    assert!(holder.is_some());
    let _: () = redis::cmd("DEL").arg(&lease).query_async(&mut redis).await.unwrap();
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let again: Option<String> = redis::cmd("GET").arg(&lease).query_async(&mut redis).await.unwrap();
    assert_eq!(again, holder, "the owner took its vanished lease again");
    assert!(worker.owned.contains(waiting), "and kept running the room");
}

/// With more live rooms than one reconcile pass looks at, the passes go on from where the
/// last one stopped: a forgotten room with a high id is found too, not only the lowest ids.
#[tokio::test]
async fn reconcile_passes_cover_more_rooms_than_a_batch() {
    let env = Env::new().await;
    let gw = env.gateway().await;
    let mut rooms = Vec::new();
    for _ in 0..5 {
        rooms.push(gw.room(serde_json::json!({})).await);
    }
    let redis_client = redis::Client::open(env.redis_url.as_str()).unwrap();
    let mut redis = redis_client.get_multiplexed_async_connection().await.unwrap();
    // Redis forgets every waiting room before any worker saw them.
    let _: () = redis::cmd("DEL").arg(env.names().rooms_unowned()).query_async(&mut redis).await.unwrap();

    let worker = env.worker_with(&["--reconcile-interval-ms", "200", "--reconcile-batch", "2"]).await;
    for room in rooms {
        eventually(15, "every forgotten room is claimed, two looked at per pass", || worker.owned.contains(room)).await;
    }
}

/// A worker claims no more than its capacity, and hands rooms over when told to shed load.
#[tokio::test]
async fn capacity_is_respected_and_a_worker_can_shed_rooms() {
    let env = Env::new().await;
    let gw = env.gateway().await;
    let a = env.worker_with(&["--capacity", "3"]).await;
    for _ in 0..5 {
        gw.room(serde_json::json!({})).await;
    }
    eventually(10, "a fills its capacity", || a.owned.len() == 3).await;
    tokio::time::sleep(Duration::from_millis(600)).await;
    assert_eq!(a.owned.len(), 3, "never above its capacity");

    let b = env.worker().await;
    eventually(10, "b takes the rest", || b.owned.len() == 2).await;

    let shed_url = format!("http://{}/v1/shed?rooms=2", a.ops);
    let http = reqwest::Client::new();
    // Without the secret, or with a wrong one, nothing moves.
    assert_eq!(http.post(&shed_url).send().await.unwrap().status(), 401);
    assert_eq!(http.post(&shed_url).bearer_auth("not-the-secret-at-all").send().await.unwrap().status(), 401);
    assert_eq!(a.owned.len(), 3, "a refused shed moved rooms");
    let shed: serde_json::Value =
        http.post(&shed_url).bearer_auth(orrery_systests::SHED_SECRET).send().await.unwrap().json().await.unwrap();
    assert_eq!(shed["shed"].as_array().unwrap().len(), 2);
    eventually(10, "b takes the shed rooms", || a.owned.len() == 1 && b.owned.len() == 4).await;
}
