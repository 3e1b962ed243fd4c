//! A slow PostgreSQL delays no tick: a room's durable snapshots are written by its own
//! writer task, off the tick path (`worker/src/room/durable.rs`), and snapshots that
//! pile up behind a blocked write are coalesced to the newest.

use orrery_client::{Connection, Event};
use orrery_common::Tick;
use orrery_systests::{Env, metric};
use std::time::Duration;
use tokio::time::Instant;

/// Read `conn` for `window`: how many frames came, and the last tick seen.
async fn frames_during(conn: &mut Connection, window: Duration) -> (usize, Option<Tick>) {
    let until = Instant::now() + window;
    let (mut frames, mut last) = (0, None);
    while let Ok(event) = tokio::time::timeout_at(until, conn.next_event()).await {
        match event.expect("the socket stays up") {
            Event::Frame(f) => {
                frames += 1;
                last = Some(f.tick);
            }
            Event::Closed { code, reason } => panic!("closed: {code} {reason}"),
            _ => {}
        }
    }
    (frames, last)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ticks_keep_their_pace_while_durable_snapshots_wait_for_a_locked_row() {
    let env = Env::new().await;
    let worker = env.worker_with(&["--durable-snapshot-ms", "200"]).await;
    let gw = env.gateway().await;
    let room = gw.room(serde_json::json!({ "mode": "arena-practice" })).await;
    let mut ada = gw.guest("ada").await;
    ada.join(room).await.unwrap();
    let (before, _) = frames_during(&mut ada, Duration::from_millis(500)).await;
    assert!(before > 0, "the room ticks");

    // Another connection holds the room's row: every durable write (its transaction starts
    // with `UPDATE rooms ... WHERE id = room AND epoch = E`) waits for it.
    let pg = sqlx::PgPool::connect(&env.database_url).await.unwrap();
    let mut blocker = pg.begin().await.unwrap();
    sqlx::query("SELECT 1 FROM rooms WHERE id = $1 FOR UPDATE").bind(room.get() as i64).execute(&mut *blocker).await.unwrap();
    let until = Instant::now() + Duration::from_secs(10);
    loop {
        let waiting: i64 =
            sqlx::query_scalar("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'")
                .fetch_one(&pg)
                .await
                .unwrap();
        if waiting > 0 {
            break;
        }
        assert!(Instant::now() < until, "no durable write reached the locked row within 10 s");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }

    // While the write waits, the room keeps ticking: 2 s at 30 Hz is 60 frames; a third
    // of them is plenty to say "still ticking" (a tick that waited would give none).
    let (frames, last) = frames_during(&mut ada, Duration::from_secs(2)).await;
    assert!(frames >= 20, "ticks went on while PostgreSQL was blocked: {frames} frames in 2 s");
    let last = last.expect("a frame");
    // The durable snapshots due meanwhile waited behind the blocked one, newest only.
    let coalesced = metric(worker.ops, "orrery_worker_durable_snapshots_coalesced_total").await;
    assert!(coalesced >= 1.0, "snapshots due during the block were coalesced ({coalesced})");
    assert_eq!(metric(worker.ops, "orrery_worker_durable_writes_in_flight").await, 1.0, "one write in flight, the blocked one");

    // Once the row is free, the blocked write commits and the newest waiting snapshot
    // (taken after the last frame read above) follows it.
    blocker.rollback().await.unwrap();
    let row = || async {
        sqlx::query_scalar::<_, i64>("SELECT tick FROM room_snapshots WHERE room = $1")
            .bind(room.get() as i64)
            .fetch_optional(&pg)
            .await
            .unwrap()
            .unwrap_or(0)
    };
    let until = Instant::now() + Duration::from_secs(10);
    while (row().await as u64) < last.get() {
        assert!(Instant::now() < until, "the durable snapshot never caught up with tick {last:?}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let (after, _) = frames_during(&mut ada, Duration::from_millis(500)).await;
    assert!(after > 0, "the room still ticks");
    pg.close().await;
}
