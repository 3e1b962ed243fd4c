//! A client resuming from an old tick gets a keyframe first and
//! then nothing it already had; a client that misses frames detects the gap and resyncs;
//! a session that cannot reach any gateway opens its circuit breaker with a clear error.

use orrery_client::session::{Session, SessionConfig, SessionError};
use orrery_client::{Connection, ErrorCode, Event};
use orrery_common::protocol::client::{Frame, FrameKind};
use orrery_systests::{Env, next_event_where};
use std::time::Duration;

async fn next_frame(conn: &mut Connection) -> Event {
    next_event_where(conn, "a frame", |e| match e {
        Event::Message(_) => None,
        frame_or_end => Some(frame_or_end),
    })
    .await
}

fn frame(e: Event) -> Frame {
    match e {
        Event::Frame(f) => f,
        other => panic!("expected a frame, got {other:?}"),
    }
}

#[tokio::test]
async fn a_client_resuming_from_an_old_tick_gets_one_keyframe_then_only_newer_frames() {
    let env = Env::new().await;
    let _worker = env.worker().await;
    let gw = env.gateway().await;
    let room = gw.room(serde_json::json!({})).await;
    let token = gw.api().guest(Some("ada")).await.unwrap().token;

    let mut first = Connection::connect(&gw.ws_url(), &token).await.unwrap();
    first.join(room).await.unwrap();
    for _ in 0..10 {
        frame(next_frame(&mut first).await);
    }
    let cursor = first.cursor().expect("frames applied");
    first.close().await.unwrap();
    tokio::time::sleep(Duration::from_millis(500)).await;

    let mut again = Connection::connect(&gw.ws_url(), &token).await.unwrap();
    again.resume_from(Some(cursor));
    again.join(room).await.unwrap();
    let keyframe = frame(next_frame(&mut again).await);
    assert_eq!(keyframe.kind, FrameKind::Keyframe, "the resume starts with a keyframe");
    assert!(keyframe.pos() >= cursor, "at or after the last tick the client applied");
    let mut last = keyframe.tick;
    for _ in 0..30 {
        // Connection reports anything at or before its cursor as Duplicate, and a delta that
        // does not chain as Gap: only frames right after the last one may come.
        let f = frame(next_frame(&mut again).await);
        assert_eq!(f.kind, FrameKind::Delta { base: last });
        last = f.tick;
    }
}

#[tokio::test]
async fn a_client_that_missed_frames_sees_the_gap_and_gets_a_keyframe() {
    let env = Env::new().await;
    let _worker = env.worker().await;
    let gw = env.gateway().await;
    let room = gw.room(serde_json::json!({})).await;
    let mut conn = gw.guest("gap").await;
    conn.join(room).await.unwrap();
    for _ in 0..5 {
        frame(next_frame(&mut conn).await);
    }
    // Forget the last few frames, as if they had been lost on the way.
    let at = conn.cursor().unwrap();
    conn.resume_from(Some(orrery_common::HistoryPos::new(at.epoch, orrery_common::Tick(at.tick.get() - 3))));
    assert!(matches!(next_frame(&mut conn).await, Event::Gap { .. }), "the next delta does not apply");
    // The client asked for a resync; a keyframe comes, then deltas chain again.
    let keyframe = loop {
        match next_frame(&mut conn).await {
            Event::Frame(f) if f.kind == FrameKind::Keyframe => break f,
            Event::Gap { .. } => continue,
            other => panic!("expected the resync keyframe, got {other:?}"),
        }
    };
    let next = frame(next_frame(&mut conn).await);
    assert_eq!(next.kind, FrameKind::Delta { base: keyframe.tick });
}

#[tokio::test]
async fn the_circuit_breaker_opens_after_repeated_failures() {
    // Nothing listens on these ports.
    let dead: Vec<String> = (0..2)
        .map(|_| {
            let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
            format!("ws://127.0.0.1:{port}/v1/ws")
        })
        .collect();
    let mut config = SessionConfig::new(dead, "token".into(), orrery_common::RoomId(1));
    config.backoff_initial = Duration::from_millis(5);
    config.breaker_failures = 4;
    let started = std::time::Instant::now();
    match Session::start(config).await {
        Err(SessionError::CircuitOpen { failures, last, .. }) => {
            assert_eq!(failures, 4);
            assert!(!last.is_empty(), "the error says what failed");
        }
        Err(e) => panic!("expected the circuit to open, got {e}"),
        Ok(_) => panic!("connected to nothing"),
    }
    assert!(started.elapsed() < Duration::from_secs(5), "gave up instead of retrying forever");
}

#[tokio::test]
async fn a_session_refused_by_the_room_reports_the_servers_error_code() {
    let env = Env::new().await;
    let gw = env.gateway().await;
    let token = gw.api().guest(Some("ada")).await.unwrap().token;
    // No room has this id: the gateway answers RoomNotFound, which no retry can fix.
    let config = SessionConfig::new(vec![gw.ws_url()], token, orrery_common::RoomId(987_654_321));
    match Session::start(config).await {
        Err(SessionError::Refused { code, .. }) => assert_eq!(code, ErrorCode::RoomNotFound),
        Err(e) => panic!("expected a typed refusal, got {e}"),
        Ok(_) => panic!("joined a room that does not exist"),
    }
}
