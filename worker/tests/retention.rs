//! The retention job against a real PostgreSQL (a database of its own per test): old rows
//! of closed rooms go, recent ones and everything of open or owned rooms stay, rooms with
//! results (the leaderboard's source) stay, deletes are bounded, and two workers never
//! run a pass at once.

use orrery_worker::metrics::Metrics;
use orrery_worker::retention::lock::PassLock;
use orrery_worker::retention::sweep::Table;
use orrery_worker::retention::{Pass, Retention, RetentionArgs};
use sqlx::PgPool;
use tokio_util::sync::CancellationToken;

/// A fresh, migrated database of this test's own; dropped by [`Db::drop_it`].
struct Db {
    pg: PgPool,
    admin: PgPool,
    name: String,
}

impl Db {
    async fn new() -> Db {
        let server = std::env::var("ORRERY_TEST_POSTGRES").unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432".into());
        let name = format!("orrery_retention_{:08x}", rand::random::<u32>());
        let admin = PgPool::connect(&format!("{server}/postgres")).await.expect("PostgreSQL must be running");
        sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}"))).execute(&admin).await.unwrap();
        let pg = PgPool::connect(&format!("{server}/{name}")).await.unwrap();
        orrery_common::services::migrate(&pg).await.unwrap();
        Db { pg, admin, name }
    }

    async fn drop_it(self) {
        self.pg.close().await;
        let _ = sqlx::query(sqlx::AssertSqlSafe(format!("DROP DATABASE IF EXISTS {} WITH (FORCE)", self.name))).execute(&self.admin).await;
    }

    /// A room with `status`, closed `closed_days_ago` (if given), owned by `owner`.
    async fn room(&self, status: &str, closed_days_ago: Option<i32>, owner: Option<&str>) -> i64 {
        let (id,): (i64,) = sqlx::query_as(
            "INSERT INTO rooms (mode, settings, status, owner, created_at, closed_at)
             VALUES ('arena', '{}', $1, $2, now() - interval '400 days', now() - make_interval(days => $3))
             RETURNING id",
        )
        .bind(status)
        .bind(owner)
        .bind(closed_days_ago)
        .fetch_one(&self.pg)
        .await
        .unwrap();
        sqlx::query("INSERT INTO room_snapshots (room, epoch, tick, state) VALUES ($1, 1, 1, '\\x00')")
            .bind(id)
            .execute(&self.pg)
            .await
            .unwrap();
        id
    }

    async fn events(&self, room: i64, n: i64) {
        sqlx::query(
            "INSERT INTO match_events (room, seq, tick, epoch, kind, player, payload)
             SELECT $1, s, s, 1, 'emote', gen_random_uuid(), '{}' FROM generate_series(1, $2) AS s",
        )
        .bind(room)
        .bind(n)
        .execute(&self.pg)
        .await
        .unwrap();
    }

    async fn bans(&self, room: i64, n: i64) {
        sqlx::query(
            "INSERT INTO room_bans (room, player, banned_by) SELECT $1, gen_random_uuid(), gen_random_uuid() FROM generate_series(1, $2)",
        )
        .bind(room)
        .bind(n)
        .execute(&self.pg)
        .await
        .unwrap();
    }

    async fn count(&self, table: &str, room: i64) -> i64 {
        let column = if table == "rooms" { "id" } else { "room" };
        let sql = format!("SELECT count(*) FROM {table} WHERE {column} = $1");
        sqlx::query_scalar(sqlx::AssertSqlSafe(sql)).bind(room).fetch_one(&self.pg).await.unwrap()
    }

    /// (events, bans, snapshots, room rows) of `room`.
    async fn rows_of(&self, room: i64) -> [i64; 4] {
        [
            self.count("match_events", room).await,
            self.count("room_bans", room).await,
            self.count("room_snapshots", room).await,
            self.count("rooms", room).await,
        ]
    }
}

fn retention(db: &Db, batch: u32) -> (Retention, Metrics) {
    let metrics = Metrics::new(&prometheus::Registry::new());
    let args = RetentionArgs { retention_batch: batch, ..RetentionArgs::default() };
    (Retention::new(db.pg.clone(), args, metrics.clone()), metrics)
}

async fn pass(retention: &Retention) -> Pass {
    retention.run_pass(&CancellationToken::new()).await.expect("retention pass")
}

#[tokio::test]
async fn old_rows_of_closed_rooms_go_and_recent_open_or_owned_rooms_keep_theirs() {
    let db = Db::new().await;
    let defaults = RetentionArgs::default();
    assert!(defaults.retain_events_days < 40 && defaults.retain_rooms_days > 40 && defaults.retain_rooms_days < 100);
    let ancient = db.room("closed", Some(100), None).await; // past every age
    let month_old = db.room("closed", Some(40), None).await; // past the events age only
    let recent = db.room("closed", Some(5), None).await;
    let open = db.room("running", None, None).await;
    let open_odd = db.room("lobby", Some(300), None).await; // a closed_at but not closed
    let owned = db.room("closed", Some(300), Some("worker-x")).await;
    for room in [ancient, month_old, recent, open, open_odd, owned] {
        db.events(room, 5).await;
        db.bans(room, 2).await;
    }

    let (retention, metrics) = retention(&db, 1000);
    let done = pass(&retention).await;

    assert_eq!(db.rows_of(ancient).await, [0, 0, 0, 0], "a room closed 100 days ago goes with everything of it");
    assert_eq!(db.rows_of(month_old).await, [0, 2, 1, 1], "a room closed 40 days ago loses its events only");
    for (room, what) in [(recent, "recently closed"), (open, "open"), (open_odd, "open (with a closed_at)"), (owned, "owned")] {
        assert_eq!(db.rows_of(room).await, [5, 2, 1, 1], "a {what} room keeps everything");
    }
    for (table, deleted) in [(Table::MatchEvents, 10), (Table::RoomBans, 2), (Table::Rooms, 1)] {
        assert_eq!(done.deleted(table), deleted, "{table:?}");
        assert_eq!(metrics.retention_deleted.with_label_values(&[table.name()]).get(), deleted, "{table:?} metric");
    }
    assert_eq!(metrics.retention_pass_duration.get_sample_count(), 1);

    let again = pass(&retention).await;
    assert!(Table::ALL.iter().all(|t| again.deleted(*t) == 0), "a second pass finds nothing: {again:?}");
    db.drop_it().await;
}

#[tokio::test]
async fn rooms_with_results_stay_so_the_leaderboard_does_not_change() {
    let db = Db::new().await;
    let (ada, bob) = (uuid::Uuid::new_v4(), uuid::Uuid::new_v4());
    let mut ranked = vec![];
    for (winner, loser) in [(ada, bob), (bob, ada), (ada, bob)] {
        let room = db.room("closed", Some(365), None).await;
        db.events(room, 4).await;
        db.bans(room, 1).await;
        for (player, rank, score) in [(winner, 1, 30), (loser, 2, 10)] {
            sqlx::query("INSERT INTO match_results (room, player, rank, score, kills) VALUES ($1, $2, $3, $4, 1)")
                .bind(room)
                .bind(player)
                .bind(rank)
                .bind(score)
                .execute(&db.pg)
                .await
                .unwrap();
        }
        ranked.push(room);
    }
    let stats = "SELECT player, games, wins, kills, score FROM player_stats ORDER BY player";
    let before: Vec<(uuid::Uuid, i64, i64, i64, i64)> = sqlx::query_as(stats).fetch_all(&db.pg).await.unwrap();
    assert_eq!(before.len(), 2);

    let (retention, _) = retention(&db, 1000);
    let done = pass(&retention).await;

    let after: Vec<(uuid::Uuid, i64, i64, i64, i64)> = sqlx::query_as(stats).fetch_all(&db.pg).await.unwrap();
    assert_eq!(after, before, "the leaderboard's source is unchanged");
    for room in ranked {
        assert_eq!(db.rows_of(room).await, [0, 0, 1, 1], "a ranked room stays (with its snapshot); its events and bans go");
        assert_eq!(db.count("match_results", room).await, 2);
    }
    assert_eq!((done.deleted(Table::MatchEvents), done.deleted(Table::Rooms)), (12, 0));
    db.drop_it().await;
}

#[tokio::test]
async fn a_pass_with_more_rows_than_a_batch_deletes_them_in_several_bounded_statements() {
    let db = Db::new().await;
    // Every DELETE statement on these tables notes how many rows it removed.
    for sql in [
        "CREATE TABLE deletes_seen (tbl text NOT NULL, n bigint NOT NULL)",
        "CREATE FUNCTION note_deletes() RETURNS trigger LANGUAGE plpgsql AS $$
         BEGIN INSERT INTO deletes_seen SELECT TG_TABLE_NAME, count(*) FROM gone; RETURN NULL; END $$",
        "CREATE TRIGGER seen AFTER DELETE ON match_events REFERENCING OLD TABLE AS gone FOR EACH STATEMENT EXECUTE FUNCTION note_deletes()",
        "CREATE TRIGGER seen AFTER DELETE ON room_bans REFERENCING OLD TABLE AS gone FOR EACH STATEMENT EXECUTE FUNCTION note_deletes()",
        "CREATE TRIGGER seen AFTER DELETE ON rooms REFERENCING OLD TABLE AS gone FOR EACH STATEMENT EXECUTE FUNCTION note_deletes()",
    ] {
        sqlx::query(sql).execute(&db.pg).await.unwrap();
    }
    let busy = db.room("closed", Some(200), None).await;
    db.events(busy, 25).await;
    db.bans(busy, 12).await;
    let mut quiet = vec![];
    for _ in 0..24 {
        quiet.push(db.room("closed", Some(200), None).await);
    }
    let batch = 10;
    let (retention, _) = retention(&db, batch);
    let done = pass(&retention).await;

    let (left,): (i64,) = sqlx::query_as("SELECT count(*) FROM rooms").fetch_one(&db.pg).await.unwrap();
    assert_eq!(left, 0, "every old room went in one pass");
    assert_eq!((done.deleted(Table::MatchEvents), done.deleted(Table::RoomBans), done.deleted(Table::Rooms)), (25, 12, 25));
    for (table, rows) in [("match_events", 25), ("room_bans", 12), ("rooms", 25)] {
        let seen: Vec<i64> =
            sqlx::query_scalar("SELECT n FROM deletes_seen WHERE tbl = $1 AND n > 0").bind(table).fetch_all(&db.pg).await.unwrap();
        assert_eq!(seen.iter().sum::<i64>(), rows, "{table}: {seen:?}");
        assert!(seen.iter().all(|n| *n <= i64::from(batch)), "{table}: no statement deleted more than a batch: {seen:?}");
        assert!(seen.len() as u64 >= (rows as u64).div_ceil(u64::from(batch)), "{table}: several statements: {seen:?}");
    }
    db.drop_it().await;
}

#[tokio::test]
async fn two_workers_do_not_run_a_pass_at_once() {
    let db = Db::new().await;
    let room = db.room("closed", Some(200), None).await;
    db.events(room, 3).await;
    let (first, _) = retention(&db, 1000);
    let (second, second_metrics) = retention(&db, 1000);

    // The first worker is in the middle of a pass (it holds the lock).
    let held = PassLock::try_acquire(&db.pg).await.unwrap().expect("nobody holds the lock yet");
    assert!(PassLock::try_acquire(&db.pg).await.unwrap().is_none(), "a second session cannot take it");
    for worker in [&first, &second] {
        assert!(matches!(pass(worker).await, Pass::Skipped), "a pass waits for the running one");
    }
    assert_eq!(db.rows_of(room).await, [3, 0, 1, 1], "nothing deleted while another pass runs");
    assert_eq!(second_metrics.retention_pass_duration.get_sample_count(), 0);

    held.release().await.unwrap();
    let done = pass(&second).await;
    assert_eq!(done.deleted(Table::MatchEvents), 3);
    assert_eq!(db.rows_of(room).await, [0, 0, 0, 0]);

    db.drop_it().await;
}
