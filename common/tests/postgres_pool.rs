//! The PostgreSQL pool every binary uses (`services::connect_postgres`): a connection that
//! died while it sat idle in the pool is found out and replaced before anyone gets it.

use orrery_common::services::{POSTGRES_PING_AFTER_IDLE, connect_postgres};
use std::time::Duration;

fn postgres_url() -> String {
    let server = std::env::var("ORRERY_TEST_POSTGRES").unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432".into());
    format!("{server}/postgres")
}

async fn backend_pid(pool: &sqlx::PgPool) -> Result<i32, sqlx::Error> {
    sqlx::query_scalar("SELECT pg_backend_pid()").fetch_one(pool).await
}

#[tokio::test]
async fn a_connection_killed_while_idle_is_replaced_before_it_is_handed_out() {
    let url = postgres_url();
    let pool = connect_postgres(&url, None, 1).await.expect("PostgreSQL on 127.0.0.1:5432");
    let first = backend_pid(&pool).await.unwrap();

    // The server ends that connection while the pool holds it idle (what a restart does).
    let admin = connect_postgres(&url, None, 1).await.unwrap();
    let ended: bool = sqlx::query_scalar("SELECT pg_terminate_backend($1)").bind(first).fetch_one(&admin).await.unwrap();
    assert!(ended, "the pool's connection {first} was terminated");

    tokio::time::sleep(POSTGRES_PING_AFTER_IDLE + Duration::from_millis(300)).await;
    let second = backend_pid(&pool).await.expect("the dead connection is pinged, dropped and replaced, not handed out");
    assert_ne!(first, second, "a new connection answered");
}
