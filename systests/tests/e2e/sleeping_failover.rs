//! Durable deadlines (I9): a turn deadline set before its owner is killed (SIGKILL, a real
//! worker process: `orrery-test-worker`) fires on the new owner at the same wall-clock time,
//! once; a deadline that passed while the room had no owner fires as soon as one claims it.
//! An order acknowledged before the kill is in the turn it was given for.

use super::sleeping::{Player, event_log};
use orrery_common::protocol::client::CommandOutcome;
use orrery_common::{PlayerId, RoomId};
use orrery_systests::Env;
use orrery_testgame::turns::{Order, TurnEvent, What};
use tokio::process::Child;

/// A worker process running `turns` rooms with this test's prefix.
fn worker_process(env: &Env) -> Child {
    super::processes::worker(env, "turns")
}

async fn owned(pg: &sqlx::PgPool, room: RoomId) -> bool {
    let owner: Option<(Option<String>,)> =
        sqlx::query_as("SELECT owner FROM rooms WHERE id = $1").bind(room.get() as i64).fetch_optional(pg).await.unwrap();
    matches!(owner, Some((Some(_),)))
}

/// The `Resolved` events of `turn` in the durable log.
async fn resolutions(pg: &sqlx::PgPool, room: RoomId, turn: u32) -> Vec<(Vec<(PlayerId, u8)>, bool)> {
    event_log(pg, room)
        .await
        .into_iter()
        .filter_map(|e| match serde_json::from_value::<TurnEvent>(e.detail).ok()?.what {
            What::Resolved { turn: t, picks, timed_out } if t == turn => Some((picks, timed_out)),
            _ => None,
        })
        .collect()
}

#[tokio::test]
async fn a_deadline_fires_once_on_the_new_owner_at_its_wall_clock_time() {
    let env = Env::new().await;
    let mut first = worker_process(&env);
    let gw = env.gateway().await;
    let pg = sqlx::PgPool::connect(&env.database_url).await.unwrap();
    let room = gw.room(serde_json::json!({ "mode": "turns-3000", "max_players": 2 })).await;
    let until = tokio::time::Instant::now() + std::time::Duration::from_secs(20);
    while !owned(&pg, room).await {
        assert!(tokio::time::Instant::now() < until, "the worker process never claimed the room");
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    let mut ada = Player::join(&gw, "ada", room).await;
    let mut bob = Player::join(&gw, "bob", room).await;
    ada.until(5, "the start", |v| v.board.turn == 1).await;
    bob.until(5, "the start", |v| v.board.turn == 1).await;
    let deadline = ada.view.board.deadline.expect("turn 1 has a deadline").0;
    assert_eq!(ada.order(None, Order { turn: 1, pick: 6 }).await, CommandOutcome::Accepted);

    // The owner is killed mid-turn, well before the deadline; another takes over.
    first.kill().await.unwrap();
    let mut second = worker_process(&env);
    ada.until(15, "turn 1 resolved by the new owner", |v| v.board.turn == 2).await;
    let fired = orrery_common::time::now_ms();
    eprintln!("turn 1's deadline was seen fired {} ms after it (new owner, after a SIGKILL)", fired.saturating_sub(deadline));
    assert!(fired >= deadline, "the deadline fired {} ms early", deadline - fired);
    // Lease TTL (1 s) + scan (250 ms), with room for a loaded machine.
    assert!(fired <= deadline + 2_500, "the deadline fired {} ms late", fired - deadline);
    let once = resolutions(&pg, room, 1).await;
    assert_eq!(once.len(), 1, "turn 1 resolved once: {once:?}");
    let (picks, timed_out) = &once[0];
    assert!(*timed_out);
    assert!(picks.contains(&(ada.me(), 6)), "ada's acknowledged order was kept across the kill: {picks:?}");
    assert!(picks.contains(&(bob.me(), 0)));

    // Killed again; nobody owns the room while turn 2's deadline passes. The next owner
    // fires it at its claim: late, but not lost, and once.
    let deadline = ada.view.board.deadline.expect("turn 2 has a deadline").0;
    second.kill().await.unwrap();
    let passed = deadline.saturating_sub(orrery_common::time::now_ms()) + 300;
    tokio::time::sleep(std::time::Duration::from_millis(passed)).await;
    let _third = worker_process(&env);
    ada.until(15, "turn 2 resolved by the third owner", |v| v.board.turn == 3).await;
    assert_eq!(resolutions(&pg, room, 2).await.len(), 1, "turn 2 resolved once");
    assert_eq!(resolutions(&pg, room, 1).await.len(), 1, "and turn 1 still once");
    assert!(ada.view.repeats.is_empty() && ada.view.leaks.is_empty());
}
