//! A `Session`'s commands outlive the gateway they were sent through (protocol §4.3, §7.3):
//! a command sent into a gateway process that hangs (SIGSTOP) never reaches the room; when
//! that gateway is killed, or when the session has waited longer than its ack patience,
//! the session joins through the other gateway and sends the command again, once, with
//! the same id. The room answers it once and applies it once.

use super::processes::GatewayProcess;
use orrery_arena::{ArenaCommand, encode_command};
use orrery_client::commands::Answered;
use orrery_client::session::{Session, SessionConfig, SessionEvent};
use orrery_common::RoomId;
use orrery_common::protocol::client::CommandOutcome;
use orrery_systests::Env;
use std::time::Duration;

async fn emotes(pg: &sqlx::PgPool, room: RoomId) -> i64 {
    let (n,): (i64,) = sqlx::query_as("SELECT count(*) FROM match_events WHERE room = $1 AND kind = 'emote'")
        .bind(room.get() as i64)
        .fetch_one(pg)
        .await
        .unwrap();
    n
}

/// A session of a new guest in a new arena room, through `gateways`, once frames flow.
async fn playing(first: &GatewayProcess, gateways: Vec<String>, ack_patience: Duration) -> (Session, RoomId) {
    let host = first.api().guest(Some("host")).await.unwrap().token;
    let room = first.api().create_room(&host, serde_json::json!({})).await.unwrap();
    let token = first.api().guest(Some("ada")).await.unwrap().token;
    let mut config = SessionConfig::new(gateways, token, room);
    config.ack_patience = ack_patience;
    let mut session = Session::start(config).await.unwrap();
    loop {
        let event = tokio::time::timeout(Duration::from_secs(10), session.next_event()).await.expect("a frame").unwrap();
        if let SessionEvent::Frame(_) = event {
            return (session, room);
        }
    }
}

/// Read until the command's answer (within 20 s in all: frames and reconnects keep
/// coming without it): the answer, and every `Resumed` on the way (gateway, commands resent).
async fn answer(session: &mut Session) -> (Answered, Vec<(String, usize)>) {
    let until = tokio::time::Instant::now() + Duration::from_secs(20);
    let mut resumed = Vec::new();
    loop {
        let event = tokio::time::timeout_at(until, session.next_event())
            .await
            .unwrap_or_else(|_| panic!("no answer within 20 s; reconnects on the way: {resumed:?}"))
            .unwrap();
        match event {
            SessionEvent::Resumed { gateway, resent_commands, .. } => resumed.push((gateway, resent_commands)),
            SessionEvent::CommandAck(answered) => return (answered, resumed),
            _ => {}
        }
    }
}

/// No second answer comes within a second, and the room applied the command once
/// (durable writes come every 2 s).
async fn answered_and_applied_once(session: &mut Session, pg: &sqlx::PgPool, room: RoomId) {
    let quiet = tokio::time::Instant::now() + Duration::from_secs(1);
    while let Ok(event) = tokio::time::timeout_at(quiet, session.next_event()).await {
        assert!(!matches!(event, Ok(SessionEvent::CommandAck(_))), "a second answer: {event:?}");
    }
    assert_eq!(session.late_acks(), 0, "no duplicate answer either");
    assert_eq!(session.unanswered(), 0);
    let until = tokio::time::Instant::now() + Duration::from_secs(8);
    while emotes(pg, room).await < 1 {
        assert!(tokio::time::Instant::now() < until, "the emote never became durable");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    tokio::time::sleep(Duration::from_millis(2500)).await;
    assert_eq!(emotes(pg, room).await, 1, "applied once");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_command_sent_before_its_gateway_dies_is_resent_once_with_its_id_and_answered_once() {
    let env = Env::new().await;
    let _worker = env.worker().await;
    let (mut g1, g2) = (GatewayProcess::start(&env).await, GatewayProcess::start(&env).await);
    let pg = sqlx::PgPool::connect(&env.database_url).await.unwrap();
    // Patient enough that only the kill can tell the session its socket is gone.
    let (mut session, room) = playing(&g1, vec![g1.ws_url(), g2.ws_url()], Duration::from_secs(60)).await;

    g1.freeze();
    let id = session.command(encode_command(&ArenaCommand::Emote(3))).await;
    g1.kill().await;
    let (answered, resumed) = answer(&mut session).await;
    assert_eq!(resumed, [(g2.ws_url(), 1)], "one reconnect, through the other gateway, with the command");
    assert_eq!(answered, Answered { id, outcome: CommandOutcome::Accepted, sends: 2 }, "the same id, sent twice");
    answered_and_applied_once(&mut session, &pg, room).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_command_a_hung_gateway_does_not_answer_is_resent_elsewhere_after_the_ack_patience() {
    let env = Env::new().await;
    let _worker = env.worker().await;
    let (g1, g2) = (GatewayProcess::start(&env).await, GatewayProcess::start(&env).await);
    let pg = sqlx::PgPool::connect(&env.database_url).await.unwrap();
    let (mut session, room) = playing(&g1, vec![g1.ws_url(), g2.ws_url()], Duration::from_secs(1)).await;

    // Hung, never killed: nothing but the missing answer says so.
    g1.freeze();
    let sent = tokio::time::Instant::now();
    let id = session.command(encode_command(&ArenaCommand::Emote(4))).await;
    let (answered, resumed) = answer(&mut session).await;
    assert!(sent.elapsed() >= Duration::from_secs(1), "it waited for its patience first");
    assert_eq!(resumed, [(g2.ws_url(), 1)], "one reconnect, through the other gateway, with the command");
    assert_eq!(answered, Answered { id, outcome: CommandOutcome::Accepted, sends: 2 }, "the same id, sent twice");
    answered_and_applied_once(&mut session, &pg, room).await;
}
