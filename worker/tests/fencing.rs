//! The fences themselves, against real PostgreSQL and Redis: once a newer epoch has claimed
//! a room, the older owner's durable writes match no row, and its hot snapshots are refused
//! whether they come from a stale lease holder or carry a lower (epoch, tick). (In the chaos
//! runs a paused owner stops at its local deadline before it writes, so these are the tests
//! that would fail if a fence were broken.)

use orrery_common::game::{Phase, RoomSettings};
use orrery_common::names::Names;
use orrery_common::{Epoch, HistoryPos, PlayerId, RoomId, Tick};
use orrery_worker::lease::Leases;
use orrery_worker::snapshot::{HotSnapshots, PendingEvent, RoomSnapshot};
use orrery_worker::store::{Store, WriteError};
use std::time::Duration;

fn url(var: &str, default: &str) -> String {
    std::env::var(var).unwrap_or_else(|_| default.to_owned())
}

fn snapshot(tick: u64, next_event_seq: u64) -> RoomSnapshot {
    RoomSnapshot {
        tick: Tick(tick),
        game_version: 0,
        game: vec![1, 2, 3],
        last_input: vec![],
        next_event_seq,
        pending_events: vec![],
        commands: vec![],
    }
}

/// A database of its own, dropped at the end of the test.
struct Db {
    admin: sqlx::PgPool,
    database: String,
    pg: sqlx::PgPool,
}

impl Db {
    async fn new() -> Self {
        let pg_server = url("ORRERY_TEST_POSTGRES", "postgres://postgres@127.0.0.1:5432");
        let database = format!("orrery_fence_{:08x}", rand::random::<u32>());
        let admin = sqlx::PgPool::connect(&format!("{pg_server}/postgres")).await.expect("PostgreSQL must be running");
        sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {database}"))).execute(&admin).await.unwrap();
        let pg = sqlx::PgPool::connect(&format!("{pg_server}/{database}")).await.unwrap();
        orrery_common::services::migrate(&pg).await.unwrap();
        Self { admin, database, pg }
    }

    /// A new room claimed twice: its row id, and the first (`old`) and second (`new`) epochs.
    async fn room_claimed_twice(&self, store: &Store) -> (i64, RoomId, Epoch, Epoch) {
        let (id,): (i64,) = sqlx::query_as("INSERT INTO rooms (mode, settings) VALUES ('arena', $1) RETURNING id")
            .bind(sqlx::types::Json(RoomSettings::default()))
            .fetch_one(&self.pg)
            .await
            .unwrap();
        let room = RoomId(id as u64);
        let old = store.claim_epoch(room, "worker-a").await.unwrap().unwrap().epoch;
        let new = store.claim_epoch(room, "worker-b").await.unwrap().unwrap().epoch;
        (id, room, old, new)
    }

    async fn drop_database(self) {
        self.pg.close().await;
        let _ =
            sqlx::query(sqlx::AssertSqlSafe(format!("DROP DATABASE IF EXISTS {} WITH (FORCE)", self.database))).execute(&self.admin).await;
    }
}

#[tokio::test]
async fn an_older_epoch_can_write_nothing_once_a_newer_one_claimed_the_room() {
    let db = Db::new().await;
    let (pg, store) = (db.pg.clone(), Store::new(db.pg.clone()));
    let (id, room, old, new) = db.room_claimed_twice(&store).await;
    // PostgreSQL: two claims, two epochs.
    assert!(new > old, "epochs strictly increase (I1)");
    let event = PendingEvent {
        seq: 1,
        tick: Tick(5),
        kind: "hit".into(),
        player: Some(PlayerId::random()),
        detail_json: "{}".into(),
        audience: Default::default(),
    };
    let stale = store
        .write_durable(room, old, Phase::Running, &snapshot(500, 2), &snapshot(500, 2).encode(), std::slice::from_ref(&event), None, None)
        .await;
    assert!(matches!(stale, Err(WriteError::Fenced(_))), "the old owner's write matches no row: {stale:?}");
    let (events,): (i64,) = sqlx::query_as("SELECT count(*) FROM match_events").fetch_one(&pg).await.unwrap();
    assert_eq!(events, 0, "and none of its events were written");
    store
        .write_durable(room, new, Phase::Running, &snapshot(10, 2), &snapshot(10, 2).encode(), &[event], None, None)
        .await
        .expect("the new owner writes");
    let (epoch, tick): (i64, i64) =
        sqlx::query_as("SELECT epoch, tick FROM room_snapshots WHERE room = $1").bind(id).fetch_one(&pg).await.unwrap();
    assert_eq!((epoch as u64, tick as u64), (new.get(), 10));

    // Redis: the lease holder's compare-and-set.
    let names = Names::new(format!("fence{:08x}", rand::random::<u32>()));
    let redis = orrery_common::services::connect_redis(&url("ORRERY_TEST_REDIS", "redis://127.0.0.1:6379"), None).await.unwrap();
    let leases = Leases::new(redis.clone(), names.clone(), Duration::from_secs(5));
    let hot = HotSnapshots::new(redis, names, Duration::from_secs(5));
    assert!(leases.acquire(room, "token-b").await.unwrap());
    assert!(hot.write(room, "token-b", HistoryPos::new(new, Tick(10)), b"b").await.unwrap(), "the holder writes");
    assert!(!hot.write(room, "token-a", HistoryPos::new(Epoch(new.get() + 1), Tick(99)), b"a").await.unwrap(), "another token is refused");
    assert!(!hot.write(room, "token-b", HistoryPos::new(old, Tick(999)), b"a").await.unwrap(), "a lower epoch is refused (I2)");
    assert!(hot.write(room, "token-b", HistoryPos::new(new, Tick(10)), b"c").await.unwrap(), "the same (epoch, tick) again is not a loss");
    assert_eq!(
        hot.read(room).await.unwrap(),
        Some((HistoryPos::new(new, Tick(10)), b"c".to_vec())),
        "and it is written over: a join between two ticks changed the room"
    );
    assert!(hot.write(room, "token-b", HistoryPos::new(new, Tick(9)), b"d").await.unwrap(), "an earlier tick is not a loss either");
    assert_eq!(hot.read(room).await.unwrap(), Some((HistoryPos::new(new, Tick(10)), b"c".to_vec())), "but it is not written");

    db.drop_database().await;
}

/// A sleeping room's write (events with their audiences, seats, whom the match waits on,
/// the snapshot: one statement since issue 16) is fenced whole: from an older epoch it
/// writes none of it; from the current one all of it, and again without doubling events or
/// moving the snapshot back.
#[tokio::test]
async fn a_sleeping_rooms_write_is_fenced_whole_and_keeps_seats_and_audiences() {
    use orrery_common::game::Audience;
    use orrery_worker::store::Seats;
    let db = Db::new().await;
    let (pg, store) = (db.pg.clone(), Store::new(db.pg.clone()));
    let (id, room, old, new) = db.room_claimed_twice(&store).await;
    let (ada, bob) = (PlayerId::random(), PlayerId::random());
    let event = |seq: u64, player: Option<PlayerId>, audience: Audience| PendingEvent {
        seq,
        tick: Tick(seq),
        kind: "moved".into(),
        player,
        detail_json: format!("{{\"n\":{seq}}}"),
        audience,
    };
    let events = [
        event(1, Some(ada), Audience::Everyone),
        event(2, None, Audience::Players(vec![ada, bob])),
        event(3, None, Audience::Players(vec![])),
    ];
    let seats = Seats { seated: &[ada, bob], awaiting: &[bob] };
    let count = |table: &'static str| {
        let pg = pg.clone();
        async move {
            let (n,): (i64,) = sqlx::query_as(sqlx::AssertSqlSafe(format!("SELECT count(*) FROM {table}"))).fetch_one(&pg).await.unwrap();
            n
        }
    };

    let stale =
        store.write_durable(room, old, Phase::Running, &snapshot(500, 4), &snapshot(500, 4).encode(), &events, None, Some(seats)).await;
    assert!(matches!(stale, Err(WriteError::Fenced(_))), "the old owner's write matches no row: {stale:?}");
    for table in ["match_events", "match_players", "match_waiting", "room_snapshots"] {
        assert_eq!(count(table).await, 0, "nothing of the fenced write in {table}");
    }

    store
        .write_durable(room, new, Phase::Running, &snapshot(10, 4), &snapshot(10, 4).encode(), &events, None, Some(seats))
        .await
        .expect("the owner writes");
    /// seq, tick, epoch, kind, player, payload, audience
    type Row = (i64, i64, i64, String, Option<uuid::Uuid>, serde_json::Value, Option<Vec<uuid::Uuid>>);
    let written: Vec<Row> =
        sqlx::query_as("SELECT seq, tick, epoch, kind, player, payload, audience FROM match_events WHERE room = $1 ORDER BY seq")
            .bind(id)
            .fetch_all(&pg)
            .await
            .unwrap();
    let e = new.get() as i64;
    assert_eq!(
        written,
        vec![
            (1, 1, e, "moved".into(), Some(ada.0), serde_json::json!({"n": 1}), None),
            (2, 2, e, "moved".into(), None, serde_json::json!({"n": 2}), Some(vec![ada.0, bob.0])),
            (3, 3, e, "moved".into(), None, serde_json::json!({"n": 3}), Some(vec![])),
        ]
    );
    let waiting = || async {
        let rows: Vec<(uuid::Uuid,)> =
            sqlx::query_as("SELECT player FROM match_waiting WHERE room = $1").bind(id).fetch_all(&pg).await.unwrap();
        rows.into_iter().map(|(p,)| p).collect::<Vec<_>>()
    };
    assert_eq!(count("match_players").await, 2);
    assert_eq!(waiting().await, vec![bob.0]);
    let (status,): (String,) = sqlx::query_as("SELECT status FROM rooms WHERE id = $1").bind(id).fetch_one(&pg).await.unwrap();
    assert_eq!(status, Phase::Running.as_str());

    // The next turn: an event written again is not doubled, the match now waits on ada.
    let next = Seats { seated: &[ada, bob], awaiting: &[ada] };
    store
        .write_durable(room, new, Phase::Running, &snapshot(11, 4), &snapshot(11, 4).encode(), &events[2..], None, Some(next))
        .await
        .unwrap();
    assert_eq!(count("match_events").await, 3);
    assert_eq!(waiting().await, vec![ada.0]);
    // A write without seats leaves them; an older tick does not move the snapshot back.
    store.write_durable(room, new, Phase::Running, &snapshot(9, 4), &snapshot(9, 4).encode(), &[], None, None).await.unwrap();
    assert_eq!(waiting().await, vec![ada.0]);
    let (tick,): (i64,) = sqlx::query_as("SELECT tick FROM room_snapshots WHERE room = $1").bind(id).fetch_one(&pg).await.unwrap();
    assert_eq!(tick, 11);

    db.drop_database().await;
}
