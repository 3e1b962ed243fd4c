//! Sleeping rooms (`Pace::OnDemand`, invariant I9) through real gateways, with the `turns`
//! test game: a room runs only when something is due (no frame while nobody acts), an
//! order is acknowledged only once it is durable, a deadline resolves a turn nobody
//! finished, a resuming player gets their own snapshot then only later events, and a
//! finished match's log replays to its final state.

use futures::StreamExt;
use orrery_client::{Connection, Event};
use orrery_common::game::{GameEvent, GameFactory, RoomSettings};
use orrery_common::protocol::client::{ClientMsg, CommandOutcome, FrameKind, ServerMsg};
use orrery_common::{ClientMsgId, PlayerId, RoomId};
use orrery_systests::{Env, GatewayHandle};
use orrery_testgame::turns::{Order, TURNS, TurnsFactory, TurnsGame, TurnsView, What, encode_order, replay};
use orrery_worker::snapshot::RoomSnapshot;
use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

/// A player's socket, what its frames taught it, and the acks it got.
pub struct Player {
    pub conn: Connection,
    pub token: String,
    pub view: TurnsView,
    pub acks: HashMap<ClientMsgId, CommandOutcome>,
    pub keyframes: usize,
    next_id: u32,
}

impl Player {
    pub async fn join(gw: &GatewayHandle, name: &str, room: RoomId) -> Player {
        let token = gw.api().guest(Some(name)).await.unwrap().token;
        let mut conn = Connection::connect(&gw.ws_url(), &token).await.unwrap();
        conn.join(room).await.unwrap();
        let view = TurnsView::for_player(conn.player());
        Player { conn, token, view, acks: HashMap::new(), keyframes: 0, next_id: 1000 }
    }

    /// Ada and Bob take the two seats of a turn-based `room` and see its first turn.
    pub async fn ada_and_bob_at_the_start(gw: &GatewayHandle, room: RoomId) -> (Player, Player) {
        let (mut ada, mut bob) = (Player::join(gw, "ada", room).await, Player::join(gw, "bob", room).await);
        for p in [&mut ada, &mut bob] {
            p.until(5, "the start", |v| v.board.turn == 1).await;
        }
        (ada, bob)
    }

    pub fn me(&self) -> PlayerId {
        self.conn.player()
    }

    /// Read one event within `secs`: frames are applied to the view (and checked), acks kept.
    async fn read_one(&mut self, secs: u64, what: &str) {
        let event = tokio::time::timeout(Duration::from_secs(secs), self.conn.next_event())
            .await
            .unwrap_or_else(|_| panic!("no {what} within {secs} s"))
            .unwrap_or_else(|e| panic!("the socket failed waiting for {what}: {e}"));
        match event {
            Event::Frame(frame) => {
                let delta = matches!(frame.kind, FrameKind::Delta { .. });
                self.keyframes += usize::from(!delta);
                self.view.apply(&frame.payload, delta).expect("the payload decodes");
                assert!(self.view.leaks.is_empty(), "{} was sent hidden data: {:?}", self.me(), self.view.leaks);
                assert!(self.view.repeats.is_empty(), "{} was sent events again: {:?}", self.me(), self.view.repeats);
            }
            Event::Message(ServerMsg::CommandAck { id, outcome }) => {
                self.acks.insert(id, outcome);
            }
            Event::Closed { code, reason } => panic!("closed: {code} {reason}"),
            _ => {}
        }
    }

    /// Read until `done` holds for the view, within `secs`.
    pub async fn until(&mut self, secs: u64, what: &str, done: impl Fn(&TurnsView) -> bool) {
        let until = tokio::time::Instant::now() + Duration::from_secs(secs);
        while !done(&self.view) {
            let left = until.saturating_duration_since(tokio::time::Instant::now()).as_secs().max(1);
            assert!(tokio::time::Instant::now() < until, "timed out waiting for {what}");
            self.read_one(left, what).await;
        }
    }

    /// Send an order under a new id (or `id`) and wait for its ack.
    pub async fn order(&mut self, id: Option<u32>, order: Order) -> CommandOutcome {
        let id = ClientMsgId(id.unwrap_or_else(|| {
            self.next_id += 1;
            self.next_id
        }));
        self.acks.remove(&id);
        self.conn.send(&ClientMsg::Command { id, payload: encode_order(&order) }).await.unwrap();
        let until = tokio::time::Instant::now() + Duration::from_secs(10);
        while !self.acks.contains_key(&id) {
            assert!(tokio::time::Instant::now() < until, "no ack for {id:?}");
            self.read_one(10, "an ack").await;
        }
        self.acks[&id].clone()
    }
}

/// Every event of `room` in order, as the game wrote them.
pub async fn event_log(pg: &sqlx::PgPool, room: RoomId) -> Vec<GameEvent> {
    let rows: Vec<(String, Option<uuid::Uuid>, serde_json::Value)> =
        sqlx::query_as("SELECT kind, player, payload FROM match_events WHERE room = $1 ORDER BY seq")
            .bind(room.get() as i64)
            .fetch_all(pg)
            .await
            .unwrap();
    rows.into_iter().map(|(kind, player, detail)| GameEvent { kind, player: player.map(PlayerId), detail }).collect()
}

/// The room's settings and its newest durable game state.
pub async fn durable_game(pg: &sqlx::PgPool, room: RoomId) -> (RoomSettings, TurnsGame) {
    let (settings,): (sqlx::types::Json<RoomSettings>,) =
        sqlx::query_as("SELECT settings FROM rooms WHERE id = $1").bind(room.get() as i64).fetch_one(pg).await.unwrap();
    let (state,): (Vec<u8>,) =
        sqlx::query_as("SELECT state FROM room_snapshots WHERE room = $1").bind(room.get() as i64).fetch_one(pg).await.unwrap();
    let snap = RoomSnapshot::decode(&state).unwrap();
    (settings.0, TurnsGame::from_snapshot(&snap.game).unwrap())
}

async fn count(pg: &sqlx::PgPool, sql: &str, room: RoomId) -> i64 {
    let (n,): (i64,) = sqlx::query_as(sqlx::AssertSqlSafe(sql.to_owned())).bind(room.get() as i64).fetch_one(pg).await.unwrap();
    n
}

#[tokio::test]
async fn a_sleeping_room_runs_only_when_due_acks_durable_orders_and_replays_to_its_end() {
    let env = Env::new().await;
    let _worker = env.worker_of(Arc::new(TurnsFactory), &[]).await;
    let gw = env.gateway().await;
    let room = gw.room(serde_json::json!({ "mode": "turns-1500", "max_players": 2 })).await;
    let pg = sqlx::PgPool::connect(&env.database_url).await.unwrap();
    let nats = async_nats::connect(&env.nats_url).await.unwrap();
    let mut published = nats.subscribe(env.names().room_state(room)).await.unwrap();

    let (mut ada, mut bob) = Player::ada_and_bob_at_the_start(&gw, room).await;
    // Asleep: nobody acts and the deadline is 1.5 s away, so nothing is published.
    while tokio::time::timeout(Duration::from_millis(50), published.next()).await.is_ok() {}
    let idle = tokio::time::timeout(Duration::from_millis(700), published.next()).await;
    assert!(idle.is_err(), "a sleeping room published a frame while nobody acted");

    // An order is durable when it is acknowledged: its event is in PostgreSQL already.
    assert_eq!(ada.order(Some(1), Order { turn: 1, pick: 7 }).await, CommandOutcome::Accepted);
    let ordered = "SELECT count(*) FROM match_events WHERE room = $1 AND kind = 'ordered'";
    assert_eq!(count(&pg, ordered, room).await, 1, "acknowledged before it was durable");
    let waiting: Vec<(uuid::Uuid,)> =
        sqlx::query_as("SELECT player FROM match_waiting WHERE room = $1").bind(room.get() as i64).fetch_all(&pg).await.unwrap();
    assert_eq!(waiting, vec![(bob.me().0,)], "the match waits on bob only");
    // A resend is acknowledged again, not applied again; bad orders are refused with a reason.
    assert_eq!(ada.order(Some(1), Order { turn: 1, pick: 7 }).await, CommandOutcome::Accepted);
    assert_eq!(count(&pg, ordered, room).await, 1);
    for (bad, why) in
        [(Order { turn: 1, pick: 12 }, "0 to 9"), (Order { turn: 4, pick: 1 }, "turn 1"), (Order { turn: 1, pick: 1 }, "already")]
    {
        match ada.order(None, bad).await {
            CommandOutcome::Rejected { reason } => assert!(reason.contains(why), "{reason}"),
            other => panic!("{bad:?} was {other:?}"),
        }
    }

    // Bob never orders: the deadline resolves the turn.
    ada.until(5, "the deadline", |v| v.board.turn == 2).await;
    assert!(ada.view.log.iter().any(|e| matches!(e.what, What::Resolved { turn: 1, timed_out: true, .. })));

    // The other turns: both order, each turn resolves at once.
    for turn in 2..=TURNS {
        for (p, pick) in [(&mut ada, 3), (&mut bob, 5)] {
            p.until(5, "the turn", |v| v.board.turn == turn).await;
            assert_eq!(p.order(None, Order { turn, pick }).await, CommandOutcome::Accepted);
        }
    }
    for p in [&mut ada, &mut bob] {
        p.until(5, "the end", |v| v.board.over).await;
        let mine = p.view.log.iter().filter(|e| matches!(e.what, What::Scored { .. })).count();
        assert_eq!(mine, TURNS as usize, "each player learns each of their own gains, and nobody else's");
    }

    // The log replays from the first snapshot to the final state.
    let (settings, last) = durable_game(&pg, room).await;
    let first = TurnsFactory.create(&settings).snapshot();
    let replayed = replay(&first, &event_log(&pg, room).await).unwrap();
    assert_eq!(replayed.outcome(), last.outcome());
    assert!(last.outcome().winner.is_some() || last.outcome().seats.iter().all(|s| s.2 == last.outcome().seats[0].2));

    // It closes after its linger, waiting on nobody.
    let closed = "SELECT count(*) FROM rooms WHERE id = $1 AND status = 'closed'";
    let until = tokio::time::Instant::now() + Duration::from_secs(10);
    while count(&pg, closed, room).await == 0 {
        assert!(tokio::time::Instant::now() < until, "the finished room never closed");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(count(&pg, "SELECT count(*) FROM match_waiting WHERE room = $1", room).await, 0);
}

#[tokio::test]
async fn a_player_resuming_gets_their_own_snapshot_then_only_later_events() {
    let env = Env::new().await;
    let _worker = env.worker_of(Arc::new(TurnsFactory), &[]).await;
    let (gw1, gw2) = (env.gateway().await, env.gateway().await);
    let room = gw1.room(serde_json::json!({ "mode": "turns-60000", "max_players": 3 })).await;
    let mut ada = Player::join(&gw1, "ada", room).await;
    let mut bob = Player::join(&gw2, "bob", room).await;
    let mut cy = Player::join(&gw2, "cy", room).await;
    for p in [&mut ada, &mut bob, &mut cy] {
        p.until(5, "the start", |v| v.board.turn == 1).await;
    }
    for p in [&mut ada, &mut bob, &mut cy] {
        assert_eq!(p.order(None, Order { turn: 1, pick: 4 }).await, CommandOutcome::Accepted);
    }
    ada.until(5, "turn 2", |v| v.board.turn == 2).await;

    // Ada's gateway dies. While she is away, bob and cy order for turn 2 (the match still
    // waits on her): events she has not seen.
    let cursor = ada.conn.cursor();
    let known = ada.view.log.len();
    drop(gw1);
    for p in [&mut bob, &mut cy] {
        p.until(5, "turn 2", |v| v.board.turn == 2).await;
        assert_eq!(p.order(None, Order { turn: 2, pick: 6 }).await, CommandOutcome::Accepted);
    }
    // She comes back through the other gateway with where she was.
    let mut conn = Connection::connect(&gw2.ws_url(), &ada.token).await.unwrap();
    conn.resume_from(cursor);
    conn.join(room).await.unwrap();
    ada.conn = conn;
    let keyframes = ada.keyframes;
    ada.until(5, "her snapshot", |v| v.board.seats.iter().filter(|s| s.ordered).count() == 2).await;
    assert_eq!(ada.keyframes, keyframes + 1, "a resume starts with one keyframe");
    assert_eq!(ada.view.log.len(), known, "the events of her absence are inside her snapshot, not sent again");
    // Then only what happens after it, filtered for her.
    assert_eq!(ada.order(None, Order { turn: 2, pick: 2 }).await, CommandOutcome::Accepted);
    ada.until(5, "turn 3", |v| v.board.turn == 3).await;
    let after: Vec<_> = ada.view.log[known..].iter().collect();
    assert!(after.iter().any(|e| matches!(e.what, What::Resolved { turn: 2, .. })), "{after:?}");
    assert!(after.iter().all(|e| !matches!(&e.what, What::Scored { player, .. } if *player != ada.me())));
    assert!(ada.view.repeats.is_empty() && ada.view.leaks.is_empty());
    let private = ada.view.private.expect("her own part");
    assert_eq!(private.owner, ada.me());
}

#[tokio::test]
async fn a_drained_sleeping_room_moves_at_once_and_keeps_its_orders() {
    let env = Env::new().await;
    let first = env.worker_of(Arc::new(TurnsFactory), &[]).await;
    let gw = env.gateway().await;
    let room = gw.room(serde_json::json!({ "mode": "turns-60000", "max_players": 2 })).await;
    let (mut ada, mut bob) = Player::ada_and_bob_at_the_start(&gw, room).await;
    assert_eq!(ada.order(Some(1), Order { turn: 1, pick: 3 }).await, CommandOutcome::Accepted);
    let second = env.worker_of(Arc::new(TurnsFactory), &[]).await;
    first.stop().await;
    let until = tokio::time::Instant::now() + Duration::from_secs(5);
    while !second.owned.contains(room) {
        assert!(tokio::time::Instant::now() < until, "the drained room was not claimed at once");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    // Her order is still there (a resend is not applied again); bob's completes the turn.
    assert_eq!(ada.order(Some(1), Order { turn: 1, pick: 3 }).await, CommandOutcome::Accepted);
    match ada.order(None, Order { turn: 1, pick: 4 }).await {
        CommandOutcome::Rejected { reason } => assert!(reason.contains("already"), "{reason}"),
        other => panic!("a second order for the same turn was {other:?}"),
    }
    bob.until(5, "the new owner's keyframe", |v| v.board.seats.iter().any(|s| s.ordered)).await;
    assert_eq!(bob.order(None, Order { turn: 1, pick: 5 }).await, CommandOutcome::Accepted);
    ada.until(5, "turn 2", |v| v.board.turn == 2).await;
    let picks = ada.view.log.iter().find_map(|e| match &e.what {
        What::Resolved { turn: 1, picks, .. } => Some(picks.clone()),
        _ => None,
    });
    assert_eq!(picks, Some(vec![(ada.me(), 3), (bob.me(), 5)]));
}

/// The room's current epoch in PostgreSQL.
pub async fn epoch(pg: &sqlx::PgPool, room: RoomId) -> i64 {
    let (epoch,): (i64,) = sqlx::query_as("SELECT epoch FROM rooms WHERE id = $1").bind(room.get() as i64).fetch_one(pg).await.unwrap();
    epoch
}

/// A sleeping room's lease deadline (I6, the worker lease's) can pass while it sleeps
/// because a renewal came late (a busy worker), not because the lease is gone: the next
/// order then asks Redis once (`on_demand.rs::still_ours`: the worker lease renewed if it
/// still exists, and the room's own lease holding the room's token), and is answered by the
/// same owner in the same epoch. A room whose lease another owner holds answers nothing and
/// stops, writing nothing.
#[tokio::test]
async fn a_sleeping_room_whose_lease_deadline_lapsed_asks_redis_before_giving_up() {
    let env = Env::new().await;
    // Renewals 10 s apart: a deadline made to lapse stays lapsed while the test acts.
    let worker = env.worker_of(Arc::new(TurnsFactory), &["--lease-ttl-ms", "30000"]).await;
    let gw = env.gateway().await;
    let pg = sqlx::PgPool::connect(&env.database_url).await.unwrap();
    let room = gw.room(serde_json::json!({ "mode": "turns-60000", "max_players": 2 })).await;
    let (mut ada, bob) = Player::ada_and_bob_at_the_start(&gw, room).await;
    let claimed_in = epoch(&pg, room).await;
    let held = worker.worker_lease.held().expect("a sleeping room holds its lease through the worker lease");
    assert!(worker.owned.leases().iter().all(|l| l.room != room), "a sleeping room's lease is not renewed per room");
    let lapse = || held.clock.lapse();
    lapse();
    assert!(!held.clock.valid(), "the deadline lapsed");
    assert_eq!(ada.order(Some(1), Order { turn: 1, pick: 3 }).await, CommandOutcome::Accepted);
    assert!(worker.owned.contains(room), "the owner kept its room");
    assert_eq!(epoch(&pg, room).await, claimed_in, "no new epoch: nobody else took the room");
    assert!(held.clock.valid(), "the deadline moved");

    // Now another owner holds the lease: a lapsed owner must not take it back.
    let mut redis = orrery_common::services::connect_redis(&env.redis_url, None).await.unwrap();
    let _: () = redis::cmd("SET").arg(env.names().lease(room)).arg("another-worker:1").query_async(&mut redis).await.unwrap();
    lapse();
    let nats = async_nats::connect(&env.nats_url).await.unwrap();
    let order = orrery_common::protocol::internal::ControlRequest::Command {
        player: bob.me(),
        id: ClientMsgId(1),
        payload: encode_order(&Order { turn: 1, pick: 5 }),
    };
    let subject = env.names().room_control(room);
    let answer = tokio::time::timeout(Duration::from_secs(2), nats.request(subject, orrery_common::protocol::encode(&order).into())).await;
    assert!(!matches!(answer, Ok(Ok(_))), "a room whose lease another owner holds answered");
    orrery_systests::eventually(5, "the room to stop", || !worker.owned.contains(room)).await;
    let holder: Option<String> = redis::cmd("GET").arg(env.names().lease(room)).query_async(&mut redis).await.unwrap();
    assert_eq!(holder.as_deref(), Some("another-worker:1"), "the lease was left to its holder");
    let bobs_orders = event_log(&pg, room).await.into_iter().filter(|e| e.kind == "ordered" && e.player == Some(bob.me())).count();
    assert_eq!(bobs_orders, 0, "bob's order was not committed");
}
