//! Per-viewer frames through real gateways (invariant I8): in a room of a game with hidden
//! information (`orrery-testgame`), every socket is only ever written its own player's part
//! — while playing, after a resync, after resuming through another gateway when its own
//! died, and in the first keyframe of a new owner restored from a snapshot — although every
//! frame on NATS carries every seated player's part.

use futures::StreamExt;
use orrery_client::{Connection, Event};
use orrery_common::protocol::client::{Frame, FrameKind};
use orrery_common::protocol::decode;
use orrery_common::protocol::internal::{Parts, StateFrame};
use orrery_common::{HistoryPos, PlayerId, RoomId, Tick};
use orrery_systests::{Env, GatewayHandle, next_event_where};
use orrery_testgame::{ClientView, Move, SecretsFactory, encode_move};
use std::sync::Arc;
use std::time::Duration;

/// A player's socket and what it learnt from the frames it was written.
struct Viewer {
    conn: Connection,
    token: String,
    view: ClientView,
    keyframes: usize,
}

impl Viewer {
    async fn join(gw: &GatewayHandle, name: &str, room: RoomId) -> Viewer {
        let token = gw.api().guest(Some(name)).await.unwrap().token;
        let mut conn = Connection::connect(&gw.ws_url(), &token).await.unwrap();
        conn.join(room).await.unwrap();
        Viewer { conn, token, view: ClientView::default(), keyframes: 0 }
    }

    fn me(&self) -> PlayerId {
        self.conn.player()
    }

    /// Read `n` frames, checking each: only this player's secret, and deltas that apply.
    async fn read(&mut self, n: usize) -> Vec<Frame> {
        let mut frames = Vec::new();
        while frames.len() < n {
            let event = next_event_where(&mut self.conn, "a frame", |e| match e {
                Event::Message(_) | Event::Duplicate { .. } | Event::Gap { .. } => None,
                other => Some(other),
            })
            .await;
            let Event::Frame(frame) = event else { panic!("expected a frame, got {event:?}") };
            let delta = matches!(frame.kind, FrameKind::Delta { .. });
            self.keyframes += usize::from(!delta);
            let owners = self.view.apply(&frame.payload, delta).expect("the payload applies");
            let me = self.me();
            assert!(owners.iter().all(|o| *o == me), "{me} was written another player's secret: {owners:?} at {:?}", frame.pos());
            assert_eq!(self.view.secrets.keys().copied().collect::<Vec<_>>(), vec![me], "{me} knows its own secret and nothing else");
            frames.push(frame);
        }
        frames
    }
}

#[tokio::test]
async fn every_socket_is_written_its_own_players_part_only_on_every_path() {
    let env = Env::new().await;
    let worker = env.worker_of(Arc::new(SecretsFactory), &[]).await;
    let (gw1, gw2) = (env.gateway().await, env.gateway().await);
    let room = gw1.room(serde_json::json!({ "mode": orrery_testgame::NAME })).await;

    let nats = async_nats::connect(&env.nats_url).await.unwrap();
    let mut on_nats = nats.subscribe(env.names().room_state(room)).await.unwrap();

    // Ada and Bob share a gateway, Cy has another.
    let mut ada = Viewer::join(&gw1, "ada", room).await;
    let mut bob = Viewer::join(&gw1, "bob", room).await;
    let mut cy = Viewer::join(&gw2, "cy", room).await;
    for v in [&mut ada, &mut bob, &mut cy] {
        v.conn.send_input(encode_move(&Move { mix: 0x5eed, score: true })).await.unwrap();
        v.read(20).await;
    }
    // Not vacuous: every frame on NATS carries all three players' parts.
    let players = [ada.me(), bob.me(), cy.me()];
    let mut parts_seen = 0;
    while parts_seen < 3 {
        let msg = tokio::time::timeout(Duration::from_secs(5), on_nats.next()).await.unwrap().unwrap();
        let frame: StateFrame = decode(&msg.payload).unwrap();
        let Parts::PerViewer(parts) = &frame.parts else { panic!("a per-viewer game's frame has parts") };
        parts_seen = players.iter().filter(|p| parts.iter().any(|part| part.viewer == orrery_common::game::Viewer::Player(**p))).count();
    }

    // A resync: Ada forgets her last frames, sees the gap, asks, and gets her keyframe.
    let at = ada.conn.cursor().unwrap();
    ada.conn.resume_from(Some(HistoryPos::new(at.epoch, Tick(at.tick.get() - 3))));
    let before = ada.keyframes;
    while ada.keyframes == before {
        ada.read(1).await;
    }
    ada.read(10).await;

    // Bob's gateway dies: he resumes through Cy's, from where he was.
    drop(gw1);
    let cursor = bob.conn.cursor();
    let mut conn = Connection::connect(&gw2.ws_url(), &bob.token).await.unwrap();
    conn.resume_from(cursor);
    conn.join(room).await.unwrap();
    bob.conn = conn;
    let frames = bob.read(10).await;
    assert_eq!(frames[0].kind, FrameKind::Keyframe, "a resume starts with a keyframe");

    // The room moves to another worker (the first drains: a worker's room tasks outlive an
    // aborted handle in this process; `orrery-chaos` kills real ones), restored from its
    // snapshot under a new epoch, whose first frame is a keyframe for each viewer.
    let epoch = frames[0].epoch;
    let _next = env.worker_of(Arc::new(SecretsFactory), &[]).await;
    worker.stop().await;
    for v in [&mut bob, &mut cy] {
        let mut newer = false;
        for _ in 0..300 {
            if v.read(1).await[0].epoch > epoch {
                newer = true;
                break;
            }
        }
        assert!(newer, "the room runs under a new epoch");
        v.read(10).await;
    }
}
