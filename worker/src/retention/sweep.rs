//! The bounded deletes of one retention pass, table by table. Old closed rooms are walked
//! in id order, `batch` rooms at a time (keyset, so a pass reads each old room once); the
//! rows of those rooms are deleted at most `batch` rows per statement, each statement its
//! own short transaction, so no pass holds row locks on many rows or keeps a transaction
//! open. A room qualifies only when it is closed, has no owner, and closed before the
//! table's cutoff; a room row goes only once nothing refers to it but its snapshot
//! (`room_snapshots`, one row, removed by the foreign key's cascade) and it has no
//! `match_results`: the leaderboard (`player_stats`) is summed from those, so rooms that
//! counted are kept for good.

use sqlx::PgConnection;

/// A table the retention job deletes from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Table {
    MatchEvents,
    RoomBans,
    Rooms,
}

impl Table {
    /// In the order a pass deletes them: a room's rows before the room.
    pub const ALL: [Table; 3] = [Table::MatchEvents, Table::RoomBans, Table::Rooms];

    /// Its name in PostgreSQL and in `orrery_worker_retention_deleted_total{table}`.
    pub fn name(self) -> &'static str {
        match self {
            Table::MatchEvents => "match_events",
            Table::RoomBans => "room_bans",
            Table::Rooms => "rooms",
        }
    }

    /// Delete at most `$2` rows of the rooms `$1` (rooms: the rooms `$1` themselves, at
    /// most as many as `$1` holds).
    fn delete_sql(self) -> &'static str {
        match self {
            Table::MatchEvents => {
                "DELETE FROM match_events WHERE ctid = ANY(ARRAY(SELECT ctid FROM match_events WHERE room = ANY($1) LIMIT $2))"
            }
            Table::RoomBans => "DELETE FROM room_bans WHERE ctid = ANY(ARRAY(SELECT ctid FROM room_bans WHERE room = ANY($1) LIMIT $2))",
            // The conditions are checked again here, on the rows being deleted.
            Table::Rooms => {
                "DELETE FROM rooms r WHERE r.id = ANY($1) AND r.status = 'closed' AND r.owner IS NULL
                   AND NOT EXISTS (SELECT 1 FROM match_results m WHERE m.room = r.id)
                   AND NOT EXISTS (SELECT 1 FROM match_events e WHERE e.room = r.id)
                   AND NOT EXISTS (SELECT 1 FROM room_bans b WHERE b.room = r.id)"
            }
        }
    }
}

/// The next `$3` rooms after id `$2` that closed more than `$1` days ago and have no owner.
const OLD_CLOSED_ROOMS: &str = "SELECT id FROM rooms
     WHERE status = 'closed' AND owner IS NULL AND closed_at < now() - make_interval(days => $1) AND id > $2
     ORDER BY id LIMIT $3";

/// What one table's sweep did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Swept {
    pub rows: u64,
    /// DELETE statements run.
    pub statements: u64,
}

/// Delete `table`'s rows of rooms closed more than `days` days ago, `batch` at a time.
/// `on_batch` hears every statement's count (metrics move while a long pass runs);
/// `stopping` is asked between statements.
pub async fn sweep(
    conn: &mut PgConnection,
    table: Table,
    days: u32,
    batch: u32,
    mut on_batch: impl FnMut(u64),
    stopping: impl Fn() -> bool,
) -> Result<Swept, sqlx::Error> {
    let batch = i64::from(batch.max(1));
    let days = i32::try_from(days).unwrap_or(i32::MAX);
    let mut swept = Swept::default();
    let mut after = 0_i64;
    loop {
        let rooms: Vec<i64> = sqlx::query_scalar(OLD_CLOSED_ROOMS).bind(days).bind(after).bind(batch).fetch_all(&mut *conn).await?;
        let Some(&last) = rooms.last() else { return Ok(swept) };
        loop {
            if stopping() {
                return Ok(swept);
            }
            let query = sqlx::query(table.delete_sql()).bind(&rooms);
            let query = if table == Table::Rooms { query } else { query.bind(batch) };
            let deleted = query.execute(&mut *conn).await?.rows_affected();
            swept.rows += deleted;
            swept.statements += 1;
            on_batch(deleted);
            if table == Table::Rooms || deleted < batch as u64 {
                break;
            }
        }
        after = last;
    }
}
