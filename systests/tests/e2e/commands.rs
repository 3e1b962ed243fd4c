//! A duplicate command is applied once and acknowledged twice — also
//! after the room moved to another worker.

use orrery_arena::{ArenaCommand, encode_command};
use orrery_client::{Connection, Event};
use orrery_common::ClientMsgId;
use orrery_common::protocol::client::{ClientMsg, CommandOutcome, ServerMsg};
use orrery_systests::{Env, eventually, next_event_where};
use std::time::Duration;

async fn ack(conn: &mut Connection, id: u32) -> CommandOutcome {
    next_event_where(conn, "the command's ack", |e| match e {
        Event::Message(ServerMsg::CommandAck { id: got, outcome }) if got == ClientMsgId(id) => Some(outcome),
        Event::Closed { code, reason } => panic!("closed: {code} {reason}"),
        _ => None,
    })
    .await
}

async fn send(conn: &mut Connection, id: u32, command: ArenaCommand) {
    conn.send(&ClientMsg::Command { id: ClientMsgId(id), payload: encode_command(&command) }).await.unwrap();
}

async fn emotes(pg: &sqlx::PgPool) -> i64 {
    let (n,): (i64,) = sqlx::query_as("SELECT count(*) FROM match_events WHERE kind = 'emote'").fetch_one(pg).await.unwrap();
    n
}

#[tokio::test]
async fn a_resent_command_is_acknowledged_again_but_applied_once() {
    let env = Env::new().await;
    let first = env.worker().await;
    let gw = env.gateway().await;
    let room = gw.room(serde_json::json!({})).await;
    let mut conn = gw.guest("ada").await;
    conn.join(room).await.unwrap();
    let pg = sqlx::PgPool::connect(&env.database_url).await.unwrap();

    send(&mut conn, 1, ArenaCommand::Emote(3)).await;
    assert_eq!(ack(&mut conn, 1).await, CommandOutcome::Accepted);
    send(&mut conn, 1, ArenaCommand::Emote(3)).await;
    assert_eq!(ack(&mut conn, 1).await, CommandOutcome::Accepted, "the resend is acknowledged again");
    send(&mut conn, 2, ArenaCommand::Emote(99)).await;
    assert!(matches!(ack(&mut conn, 2).await, CommandOutcome::Rejected { .. }), "an invalid command is refused with a reason");

    // The room moves to another worker (drain and hand-off); the command is resent there.
    let second = env.worker().await;
    first.stop().await;
    eventually(10, "the second worker owns the room", || second.owned.contains(room)).await;
    let token = gw.api().guest(Some("bob")).await.unwrap().token;
    let mut bob = Connection::connect(&gw.ws_url(), &token).await.unwrap();
    bob.join(room).await.unwrap();
    send(&mut bob, 7, ArenaCommand::Emote(1)).await;
    assert_eq!(ack(&mut bob, 7).await, CommandOutcome::Accepted);

    // Durable writes come every 2 s: wait for bob's emote, then check ada's is there once.
    let until = tokio::time::Instant::now() + Duration::from_secs(8);
    while emotes(&pg).await < 2 {
        assert!(tokio::time::Instant::now() < until, "emotes never became durable");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    tokio::time::sleep(Duration::from_millis(2500)).await;
    assert_eq!(emotes(&pg).await, 2, "ada's command once, bob's once");
}

#[tokio::test]
async fn a_command_resent_after_a_hand_off_is_not_applied_again() {
    let env = Env::new().await;
    let first = env.worker().await;
    let gw = env.gateway().await;
    let room = gw.room(serde_json::json!({})).await;
    let token = gw.api().guest(Some("ada")).await.unwrap().token;
    let mut conn = Connection::connect(&gw.ws_url(), &token).await.unwrap();
    conn.join(room).await.unwrap();
    let pg = sqlx::PgPool::connect(&env.database_url).await.unwrap();
    send(&mut conn, 1, ArenaCommand::Emote(5)).await;
    assert_eq!(ack(&mut conn, 1).await, CommandOutcome::Accepted);

    let second = env.worker().await;
    first.stop().await;
    eventually(10, "the second worker owns the room", || second.owned.contains(room)).await;
    let mut again = Connection::connect(&gw.ws_url(), &token).await.unwrap();
    again.join(room).await.unwrap();
    send(&mut again, 1, ArenaCommand::Emote(5)).await;
    assert_eq!(ack(&mut again, 1).await, CommandOutcome::Accepted, "acknowledged by the new owner");
    tokio::time::sleep(Duration::from_millis(2500)).await;
    assert_eq!(emotes(&pg).await, 1, "applied once across the hand-off");
}
