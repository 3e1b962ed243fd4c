//! Sleeping rooms hold their leases through the worker lease (`worker/src/worker_lease.rs`,
//! I4, I6): no expiry on the room's lease, nothing renewed per room. A paused owner whose
//! worker lease expired and whose rooms were moved to another owner answers nothing and
//! commits nothing on waking: it stops at its lease check, before any write (and a write
//! would be fenced by the epoch, I1). The dead owner's case (SIGKILL, a real process, the
//! deadline firing once on the new owner) is `sleeping_failover.rs`.

use super::sleeping::{Player, epoch, event_log};
use futures::StreamExt;
use orrery_common::ClientMsgId;
use orrery_common::protocol::client::CommandOutcome;
use orrery_common::protocol::internal::{ControlReply, ControlRequest};
use orrery_common::protocol::{decode, encode};
use orrery_systests::{Env, eventually, metric};
use orrery_testgame::turns::{Order, TurnsFactory, encode_order};
use std::sync::Arc;
use std::time::Duration;

#[tokio::test]
async fn a_paused_owner_whose_sleeping_rooms_moved_neither_answers_nor_commits() {
    let env = Env::new().await;
    // Renewals 10 s apart: the owner does not notice by itself that its worker lease is
    // gone while the test acts (as a paused process would not).
    let paused = env.worker_of(Arc::new(TurnsFactory), &["--lease-ttl-ms", "30000"]).await;
    let gw = env.gateway().await;
    let pg = sqlx::PgPool::connect(&env.database_url).await.unwrap();
    let room = gw.room(serde_json::json!({ "mode": "turns-60000", "max_players": 2 })).await;
    let (mut ada, bob) = Player::ada_and_bob_at_the_start(&gw, room).await;
    assert_eq!(ada.order(None, Order { turn: 1, pick: 3 }).await, CommandOutcome::Accepted);

    // The room's lease is held through the worker lease: no expiry, in the worker's set,
    // out of `rooms:owned`, and not renewed per room.
    let names = env.names();
    let held = paused.worker_lease.held().expect("the owner holds a worker lease");
    let mut redis = orrery_common::services::connect_redis(&env.redis_url, None).await.unwrap();
    let holder: String = redis::cmd("GET").arg(names.lease(room)).query_async(&mut redis).await.unwrap();
    assert!(holder.starts_with(&format!("{}/", held.token)), "{holder} is held through {}", held.token);
    let pttl: i64 = redis::cmd("PTTL").arg(names.lease(room)).query_async(&mut redis).await.unwrap();
    assert_eq!(pttl, -1, "a sleeping room's lease has no expiry");
    let member: bool =
        redis::cmd("SISMEMBER").arg(names.rooms_sleeping(&held.token)).arg(room.get()).query_async(&mut redis).await.unwrap();
    assert!(member);
    let owned: Option<f64> = redis::cmd("ZSCORE").arg(names.rooms_owned()).arg(room.get()).query_async(&mut redis).await.unwrap();
    assert_eq!(owned, None, "a sleeping room is not in rooms:owned");
    assert!(paused.owned.leases().iter().all(|l| l.room != room), "nothing is renewed per sleeping room");

    // The owner "pauses" past its TTL: its local deadline passes and its worker lease
    // expires in Redis. Another worker moves its rooms and claims this one.
    let claimed_in = epoch(&pg, room).await;
    held.clock.lapse();
    let _: () = redis::cmd("DEL").arg(names.worker_lease(&held.token)).query_async(&mut redis).await.unwrap();
    let _: () = redis::cmd("ZADD").arg(names.workers()).arg(0).arg(&held.token).query_async(&mut redis).await.unwrap();
    let _other = env.worker_of(Arc::new(TurnsFactory), &[]).await;
    let until = tokio::time::Instant::now() + Duration::from_secs(10);
    while epoch(&pg, room).await == claimed_in {
        assert!(tokio::time::Instant::now() < until, "nobody claimed the moved room");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    // The new owner subscribes after its first commit; let it.
    tokio::time::sleep(Duration::from_millis(500)).await;

    // The paused owner wakes with an order for the room in its subscription: every reply
    // is counted, so one from the paused owner would show.
    let nats = async_nats::connect(&env.nats_url).await.unwrap();
    let inbox = nats.new_inbox();
    let mut replies = nats.subscribe(inbox.clone()).await.unwrap();
    let order = ControlRequest::Command { player: bob.me(), id: ClientMsgId(7), payload: encode_order(&Order { turn: 1, pick: 5 }) };
    nats.publish_with_reply(names.room_control(room), inbox, encode(&order).into()).await.unwrap();
    nats.flush().await.unwrap();
    let answers = replies_within(&mut replies, Duration::from_secs(3)).await;
    assert_eq!(answers, vec![ControlReply::CommandAck { outcome: CommandOutcome::Accepted }], "only the new owner answers");
    eventually(5, "the paused owner to stop its room", || {
        // It may claim the room back later, under a new epoch and a new worker lease.
        !paused.owned.contains(room) || paused.worker_lease.held().is_some_and(|h| h.token != held.token)
    })
    .await;
    eventually_metric(paused.ops, "orrery_worker_leases_lost_total", 1.0).await;
    assert_eq!(metric(paused.ops, "orrery_worker_fenced_writes_total").await, 0.0, "the paused owner stopped before writing");
    assert_eq!(epoch(&pg, room).await, claimed_in + 1, "claimed once");
    let bobs = event_log(&pg, room).await.into_iter().filter(|e| e.kind == "ordered" && e.player == Some(bob.me())).count();
    assert_eq!(bobs, 1, "bob's order committed once, by the new owner");
}

async fn eventually_metric(ops: std::net::SocketAddr, name: &str, at_least: f64) {
    let until = tokio::time::Instant::now() + Duration::from_secs(5);
    while metric(ops, name).await < at_least {
        assert!(tokio::time::Instant::now() < until, "{name} never reached {at_least}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// The same through real processes: the owner is SIGSTOPped past its TTL, another worker
/// process takes the room over (through the dead worker lease), the first is SIGCONTed with
/// an order and a resync for the room waiting in its subscription: only the new owner
/// answers either, and the order is committed once.
#[tokio::test]
async fn a_sigstopped_owner_of_a_sleeping_room_wakes_up_answering_nothing() {
    use nix::sys::signal::{Signal, kill};
    use nix::unistd::Pid;
    let env = Env::new().await;
    let first = super::processes::worker(&env, "turns");
    let gw = env.gateway().await;
    let pg = sqlx::PgPool::connect(&env.database_url).await.unwrap();
    let room = gw.room(serde_json::json!({ "mode": "turns-60000", "max_players": 2 })).await;
    let until = tokio::time::Instant::now() + Duration::from_secs(20);
    while epoch(&pg, room).await == 0 {
        assert!(tokio::time::Instant::now() < until, "the worker process never claimed the room");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let (mut ada, bob) = Player::ada_and_bob_at_the_start(&gw, room).await;
    let claimed_in = epoch(&pg, room).await;
    let pid = Pid::from_raw(first.id().expect("running") as i32);
    super::processes::freeze(pid);
    let _second = super::processes::worker(&env, "turns");
    let until = tokio::time::Instant::now() + Duration::from_secs(20);
    while epoch(&pg, room).await == claimed_in {
        assert!(tokio::time::Instant::now() < until, "nobody took the paused owner's room over");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(ada.order(None, Order { turn: 1, pick: 3 }).await, CommandOutcome::Accepted);

    // An order for the room reaches both subscriptions; then the paused owner wakes.
    let nats = async_nats::connect(&env.nats_url).await.unwrap();
    let inbox = nats.new_inbox();
    let mut replies = nats.subscribe(inbox.clone()).await.unwrap();
    let order = ControlRequest::Command { player: bob.me(), id: ClientMsgId(7), payload: encode_order(&Order { turn: 1, pick: 5 }) };
    // And a resync, which a room answers from memory without a run: only a valid lease
    // lets it (I6).
    let resync = ControlRequest::Resync { player: bob.me() };
    for request in [&resync, &order] {
        nats.publish_with_reply(env.names().room_control(room), inbox.clone(), encode(request).into()).await.unwrap();
    }
    nats.flush().await.unwrap();
    tokio::time::sleep(Duration::from_millis(200)).await;
    kill(pid, Signal::SIGCONT).expect("SIGCONT");
    let answers = replies_within(&mut replies, Duration::from_secs(3)).await;
    let acks = answers.iter().filter(|a| **a == ControlReply::CommandAck { outcome: CommandOutcome::Accepted }).count();
    let keyframes = answers.iter().filter(|a| matches!(a, ControlReply::Keyframe { .. })).count();
    assert_eq!((acks, keyframes, answers.len()), (1, 1, 2), "only the new owner answers: {answers:?}");
    assert_eq!(epoch(&pg, room).await, claimed_in + 1, "the woken owner did not take the room back");
    let bobs = event_log(&pg, room).await.into_iter().filter(|e| e.kind == "ordered" && e.player == Some(bob.me())).count();
    assert_eq!(bobs, 1, "bob's order committed once, by the new owner");
    drop(first);
}

/// Every reply that arrives on `replies` within `window`.
async fn replies_within(replies: &mut async_nats::Subscriber, window: Duration) -> Vec<ControlReply> {
    let mut answers = Vec::new();
    let window = tokio::time::sleep(window);
    tokio::pin!(window);
    loop {
        tokio::select! {
            _ = &mut window => return answers,
            Some(msg) = replies.next() => answers.push(decode::<ControlReply>(&msg.payload).unwrap()),
        }
    }
}
