//! Hot snapshots of many rooms written at once share Redis round trips (one pipeline per
//! batch), and every write still gets its own answer from the fenced compare-and-set (I2),
//! also after Redis forgot the script. Against the real Redis.

use orrery_common::names::Names;
use orrery_common::{Epoch, HistoryPos, RoomId, Tick};
use orrery_worker::hot_batch::HotBatcher;
use orrery_worker::lease::Leases;
use orrery_worker::metrics::Metrics;
use orrery_worker::snapshot::{HotSnapshots, HotWrite};
use std::time::Duration;

const ROOMS: u64 = 40;

#[tokio::test]
async fn writes_due_together_share_a_round_trip_and_keep_their_own_answers() {
    let url = std::env::var("ORRERY_TEST_REDIS").unwrap_or_else(|_| "redis://127.0.0.1:6379".to_owned());
    let redis = orrery_common::services::connect_redis(&url, None).await.unwrap();
    let names = Names::new(format!("hotbatch{:08x}", rand::random::<u32>()));
    let leases = Leases::new(redis.clone(), names.clone(), Duration::from_secs(5));
    let hot = HotSnapshots::new(redis.clone(), names.clone(), Duration::from_secs(5));
    // A Redis that restarted has no scripts: the first batch must load it again.
    let _: () = redis::cmd("SCRIPT").arg("FLUSH").query_async(&mut redis.clone()).await.unwrap();
    let metrics = Metrics::new(&prometheus::Registry::new());
    let batcher = HotBatcher::spawn(hot.clone(), metrics.clone());

    for id in 1..=ROOMS {
        assert!(leases.acquire(RoomId(id), &format!("token-{id}")).await.unwrap());
    }
    // Every room due at once; room 7 writes with somebody else's token.
    let writes = (1..=ROOMS).map(|id| {
        let token = if id == 7 { "token-stale".to_owned() } else { format!("token-{id}") };
        let write = HotWrite { room: RoomId(id), token, at: HistoryPos::new(Epoch(1), Tick(id)), state: vec![id as u8; 100] };
        let batcher = batcher.clone();
        async move { batcher.write(write).await.unwrap() }
    });
    let answers = futures::future::join_all(writes).await;

    for (id, written) in (1..=ROOMS).zip(&answers) {
        assert_eq!(*written, id != 7, "room {id}'s own answer");
        let stored = hot.read(RoomId(id)).await.unwrap();
        if id == 7 {
            assert_eq!(stored, None, "the refused write left nothing");
        } else {
            assert_eq!(stored, Some((HistoryPos::new(Epoch(1), Tick(id)), vec![id as u8; 100])));
        }
    }
    let batches = metrics.hot_batches.get();
    assert!((1..ROOMS / 4).contains(&batches), "{ROOMS} writes took {batches} round trips");

    let keys: Vec<String> = redis::cmd("KEYS").arg(names.all_keys()).query_async(&mut redis.clone()).await.unwrap();
    let _: () = redis::cmd("DEL").arg(&keys).query_async(&mut redis.clone()).await.unwrap();
}
