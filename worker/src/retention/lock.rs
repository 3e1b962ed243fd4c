//! The one-pass-at-a-time lock: a PostgreSQL session advisory lock
//! (`pg_try_advisory_lock`) held on a connection of its own for the whole pass, so of N
//! workers one deletes and the others skip. The connection is not taken from the worker's
//! pool (a long pass would starve durable snapshots of a connection) and is closed at the
//! end; if the worker dies mid-pass its session ends and the lock with it.

use sqlx::{ConnectOptions, Connection, PgConnection, PgPool};

/// The advisory lock key of the retention pass (advisory keys are per database).
pub const LOCK_KEY: i64 = 0x6f72_7265_7279_0001; // "orrery" + 1

/// A held retention lock and the connection the pass runs its deletes on.
pub struct PassLock {
    conn: PgConnection,
}

impl PassLock {
    /// Take the lock if no other session holds it. `None`: another worker is running a pass.
    pub async fn try_acquire(pg: &PgPool) -> Result<Option<Self>, sqlx::Error> {
        let mut conn = pg.connect_options().connect().await?;
        let (got,): (bool,) = sqlx::query_as("SELECT pg_try_advisory_lock($1)").bind(LOCK_KEY).fetch_one(&mut conn).await?;
        if got {
            Ok(Some(Self { conn }))
        } else {
            conn.close().await?;
            Ok(None)
        }
    }

    /// The connection holding the lock (each statement on it is its own short transaction).
    pub fn conn(&mut self) -> &mut PgConnection {
        &mut self.conn
    }

    /// Give the lock up and close the connection.
    pub async fn release(mut self) -> Result<(), sqlx::Error> {
        sqlx::query("SELECT pg_advisory_unlock($1)").bind(LOCK_KEY).execute(&mut self.conn).await?;
        self.conn.close().await
    }
}
