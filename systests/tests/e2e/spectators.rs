//! Spectators through real gateways: a socket that watches a room without a seat is written
//! the spectator view on every path (watch, resync, resume through another gateway when its
//! own died, the first keyframe of a new owner restored from a snapshot), never a player's
//! part — not even the part of its own player's seat — and gets the shared frames of a game
//! without hidden information (the arena) unchanged. Its inputs and commands are refused,
//! the room's spectator limit refuses one too many, and it counts against the gateway's
//! socket quota like any socket.

use futures::StreamExt;
use orrery_client::{Connection, Error as ClientError, Event};
use orrery_common::game::Viewer;
use orrery_common::protocol::client::{ClientMsg, ErrorCode, Frame, FrameKind, ServerMsg};
use orrery_common::protocol::decode;
use orrery_common::protocol::internal::{Parts, StateFrame};
use orrery_common::{ClientMsgId, HistoryPos, RoomId, Tick};
use orrery_systests::{Env, GatewayHandle, next_event_where};
use orrery_testgame::{ClientView, Move, SecretsFactory, encode_move};
use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

/// A spectator's socket and what it learnt from the frames it was written.
struct Spectator {
    conn: Connection,
    token: String,
    view: ClientView,
    keyframes: usize,
}

impl Spectator {
    async fn watch(gw: &GatewayHandle, token: &str, room: RoomId) -> Result<Spectator, ClientError> {
        let mut conn = Connection::connect(&gw.ws_url(), token).await.unwrap();
        conn.watch(room).await?;
        Ok(Spectator { conn, token: token.to_owned(), view: ClientView::default(), keyframes: 0 })
    }

    /// Read `n` frames, checking each: no secret of anybody, no ack, deltas that apply.
    async fn read(&mut self, n: usize) -> Vec<Frame> {
        let mut frames = Vec::new();
        while frames.len() < n {
            let frame = next_frame(&mut self.conn).await;
            let delta = matches!(frame.kind, FrameKind::Delta { .. });
            self.keyframes += usize::from(!delta);
            let owners = self.view.apply(&frame.payload, delta).expect("the payload applies");
            assert!(owners.is_empty(), "a spectator was written the secrets of {owners:?} at {:?}", frame.pos());
            assert!(self.view.secrets.is_empty(), "a spectator knows no secret");
            assert_eq!(frame.ack, None, "a spectator is told no player's ack");
            frames.push(frame);
        }
        frames
    }
}

async fn next_frame(conn: &mut Connection) -> Frame {
    let event = next_event_where(conn, "a frame", |e| match e {
        Event::Message(ServerMsg::Pong { .. }) | Event::Duplicate { .. } | Event::Gap { .. } => None,
        other => Some(other),
    })
    .await;
    let Event::Frame(frame) = event else { panic!("expected a frame, got {event:?}") };
    frame
}

async fn refused(conn: &mut Connection, what: &str) -> ErrorCode {
    next_event_where(conn, what, |e| match e {
        Event::Message(ServerMsg::Error { code, .. }) => Some(code),
        _ => None,
    })
    .await
}

#[tokio::test]
async fn a_spectator_is_written_the_spectator_view_only_on_every_path_within_its_limit() {
    let env = Env::new().await;
    let worker = env.worker_of(Arc::new(SecretsFactory), &["--max-spectators-per-room", "2"]).await;
    let (gw1, gw2) = (env.gateway_with(&["--quota-sockets-per-player", "2"]).await, env.gateway().await);
    let room = gw1.room(serde_json::json!({ "mode": orrery_testgame::NAME })).await;
    let nats = async_nats::connect(&env.nats_url).await.unwrap();
    let mut on_nats = nats.subscribe(env.names().room_state(room)).await.unwrap();

    // Ada and Bob play; Ada also watches through a second socket: her seat's secret must
    // not reach it.
    let ada_token = gw1.api().guest(Some("ada")).await.unwrap().token;
    let bob_token = gw1.api().guest(Some("bob")).await.unwrap().token;
    let mut ada = Connection::connect(&gw1.ws_url(), &ada_token).await.unwrap();
    ada.join(room).await.unwrap();
    let mut bob = Connection::connect(&gw1.ws_url(), &bob_token).await.unwrap();
    bob.join(room).await.unwrap();
    for conn in [&mut ada, &mut bob] {
        conn.send_input(encode_move(&Move { mix: 0x5eed, score: true })).await.unwrap();
    }
    let mut ada_watching = Spectator::watch(&gw1, &ada_token, room).await.expect("ada watches");
    ada_watching.read(20).await;
    // Ada's playing socket is not replaced by her watching one.
    next_frame(&mut ada).await;

    // Not vacuous: the frames on NATS carry both players' parts and the spectators' part.
    let players = [ada.player(), bob.player()];
    loop {
        let msg = tokio::time::timeout(Duration::from_secs(5), on_nats.next()).await.unwrap().unwrap();
        let frame: StateFrame = decode(&msg.payload).unwrap();
        let Parts::PerViewer(_) = &frame.parts else { panic!("a per-viewer game's frame has parts") };
        if players.iter().all(|p| frame.own_part(Viewer::Player(*p)).is_some()) && frame.own_part(Viewer::Spectator).is_some() {
            break;
        }
    }

    // A spectator has no seat: its inputs and commands are refused.
    ada_watching.conn.send_input(encode_move(&Move { mix: 1, score: true })).await.unwrap();
    assert_eq!(refused(&mut ada_watching.conn, "the input's refusal").await, ErrorCode::Spectating);
    ada_watching.conn.send(&ClientMsg::Command { id: ClientMsgId(1), payload: vec![0] }).await.unwrap();
    assert_eq!(refused(&mut ada_watching.conn, "the command's refusal").await, ErrorCode::Spectating);

    // Eve watches too: the room's limit (2) is reached, and Cy is refused.
    let eve_token = gw1.api().guest(Some("eve")).await.unwrap().token;
    let mut eve = Spectator::watch(&gw1, &eve_token, room).await.expect("eve watches");
    eve.read(5).await;
    let cy_token = gw1.api().guest(Some("cy")).await.unwrap().token;
    match Spectator::watch(&gw1, &cy_token, room).await {
        Err(ClientError::Server { code, .. }) => assert_eq!(code, ErrorCode::SpectatorsFull),
        Err(e) => panic!("refused otherwise: {e}"),
        Ok(_) => panic!("a third spectator was let in beyond the limit of 2"),
    }
    // Ada's spectator socket counts against her socket quota (2) like any socket.
    match Connection::connect(&gw1.ws_url(), &ada_token).await {
        Err(ClientError::Refused(status)) => assert_eq!(status, 429),
        Err(ClientError::WebSocket(tokio_tungstenite::tungstenite::Error::Http(resp))) => assert_eq!(resp.status(), 429),
        Err(e) => panic!("refused otherwise: {e}"),
        Ok(_) => panic!("a third socket of ada's was accepted"),
    }
    // Ada stops watching: her place is given to Cy (on the other gateway).
    ada_watching.conn.send(&ClientMsg::Leave).await.unwrap();
    let code = next_event_where(&mut ada_watching.conn, "the close after Leave", |e| match e {
        Event::Closed { code, .. } => Some(code),
        _ => None,
    })
    .await;
    assert_eq!(code, 1000);
    let mut cy = Spectator::watch(&gw2, &cy_token, room).await.expect("a freed place is given back");
    cy.read(5).await;

    // A resync: Eve forgets her last frames, sees the gap, asks, and gets a spectator keyframe.
    let at = eve.conn.cursor().unwrap();
    eve.conn.resume_from(Some(HistoryPos::new(at.epoch, Tick(at.tick.get() - 3))));
    let before = eve.keyframes;
    while eve.keyframes == before {
        eve.read(1).await;
    }
    eve.read(5).await;

    // Eve's gateway dies: she watches again through Cy's.
    drop(gw1);
    let mut conn = Connection::connect(&gw2.ws_url(), &eve.token).await.unwrap();
    conn.watch(room).await.expect("eve watches again through another gateway");
    eve.conn = conn;
    eve.view = ClientView::default();
    let frames = eve.read(5).await;
    assert_eq!(frames[0].kind, FrameKind::Keyframe, "watching starts with a keyframe");

    // The room moves to another worker, restored from its snapshot under a new epoch: the
    // new owner knows of no spectator until their gateway watches again for them.
    let epoch = frames[0].epoch;
    let _next = env.worker_of(Arc::new(SecretsFactory), &["--max-spectators-per-room", "2"]).await;
    worker.stop().await;
    for s in [&mut eve, &mut cy] {
        let mut newer = false;
        for _ in 0..300 {
            if s.read(1).await[0].epoch > epoch {
                newer = true;
                break;
            }
        }
        assert!(newer, "the spectator follows the room under a new epoch");
        s.read(10).await;
    }
}

#[tokio::test]
async fn a_spectator_of_a_shared_game_gets_the_players_frames_unchanged() {
    let env = Env::new().await;
    let _worker = env.worker().await;
    let gw = env.gateway().await;
    let room = gw.room(serde_json::json!({})).await;
    let ada_token = gw.api().guest(Some("ada")).await.unwrap().token;
    let mut ada = Connection::connect(&gw.ws_url(), &ada_token).await.unwrap();
    ada.join(room).await.unwrap();
    let eve_token = gw.api().guest(Some("eve")).await.unwrap().token;
    let mut eve = Connection::connect(&gw.ws_url(), &eve_token).await.unwrap();
    eve.watch(room).await.unwrap();

    // A spectator of the arena is refused inputs too.
    eve.send_input(orrery_arena::encode_intent(&orrery_arena::Intent { turn: 1.0, thrust: true, fire: true })).await.unwrap();
    assert_eq!(refused(&mut eve, "the input's refusal").await, ErrorCode::Spectating);

    // Keyed by kind too: a spectator's watch keyframe may share its tick with a delta.
    let mut played: BTreeMap<(HistoryPos, bool), Vec<u8>> = BTreeMap::new();
    for _ in 0..30 {
        let frame = next_frame(&mut ada).await;
        played.insert((frame.pos(), frame.kind == FrameKind::Keyframe), frame.payload);
    }
    let mut compared = 0;
    for _ in 0..60 {
        let frame = next_frame(&mut eve).await;
        assert_eq!(frame.ack, None);
        if let Some(payload) = played.get(&(frame.pos(), frame.kind == FrameKind::Keyframe)) {
            assert_eq!(&frame.payload, payload, "the spectator's frame at {:?} is the players'", frame.pos());
            compared += 1;
        }
    }
    assert!(compared >= 10, "only {compared} frames compared");
}
