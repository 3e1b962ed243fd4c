//! PostgreSQL: `orrery-worker migrate --grant-runtime-role` as the superuser, then a gateway
//! and a worker with `--skip-migrations` as a runtime role made for the test. A player still
//! plays; the runtime role can neither migrate nor CREATE, DROP, ALTER or TRUNCATE.

use crate::{a_player_plays, random_hex};
use clap::Parser;
use orrery_common::identities::postgres::RoleName;
use orrery_common::services::{ServiceError, connect_all, migrate_only};
use orrery_systests::Env;
use orrery_worker::config::{Command, Config};

fn server_url() -> String {
    std::env::var("ORRERY_TEST_POSTGRES").unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432".into())
}

/// A login role for one test, dropped (after the test's database) when this drops.
struct TestRole(RoleName);

impl TestRole {
    async fn create() -> TestRole {
        let role = RoleName::new(&format!("orrery_rt_{}", random_hex())).unwrap();
        let admin = sqlx::PgPool::connect(&format!("{}/postgres", server_url())).await.unwrap();
        let create = format!("CREATE ROLE {role} LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE");
        sqlx::query(sqlx::AssertSqlSafe(create)).execute(&admin).await.unwrap();
        admin.close().await;
        TestRole(role)
    }
}

impl Drop for TestRole {
    fn drop(&mut self) {
        let statement = format!("DROP ROLE IF EXISTS {}", self.0);
        std::thread::scope(|scope| {
            scope.spawn(|| {
                let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
                runtime.block_on(async {
                    if let Ok(admin) = sqlx::PgPool::connect(&format!("{}/postgres", server_url())).await {
                        let _ = sqlx::query(sqlx::AssertSqlSafe(statement)).execute(&admin).await;
                    }
                });
            });
        });
    }
}

/// The SQLSTATE of a statement `pool` must be refused.
async fn refused(pool: &sqlx::PgPool, statement: &str) -> String {
    let err = sqlx::query(sqlx::AssertSqlSafe(statement.to_owned())).execute(pool).await.expect_err(statement);
    err.as_database_error().and_then(|e| e.code()).map(|c| c.into_owned()).unwrap_or_else(|| panic!("{statement}: {err}"))
}

#[tokio::test]
async fn the_runtime_role_plays_without_ddl_rights_after_a_separate_migration() {
    let role = TestRole::create().await;
    let mut env = Env::new().await;
    let runtime_url = env.database_url.replacen("://postgres@", &format!("://{}@", role.0), 1);
    assert_ne!(runtime_url, env.database_url, "the test URL names the postgres user");
    let config_for = |url: &str, extra: &[&str]| {
        let mut args = vec!["orrery-worker".to_string()];
        args.extend(env.service_args());
        let at = args.iter().position(|a| a == "--database-url").unwrap();
        args[at + 1] = url.to_owned();
        args.extend(extra.iter().map(|s| s.to_string()));
        Config::try_parse_from(args).expect("valid flags")
    };

    // Before any migration, a server that skips migrating refuses to start, and the runtime
    // role cannot migrate.
    let skipping = config_for(&runtime_url, &["--skip-migrations"]);
    let Err(err) = connect_all(&skipping.services, "test", 1).await else { panic!("started on an empty schema") };
    assert!(matches!(err, ServiceError::SchemaVersion(_)), "{err}");
    let Err(err) = migrate_only(&skipping.services, None).await else { panic!("the runtime role migrated") };
    assert!(matches!(err, ServiceError::Migrate(_)), "{err}");

    // The migration as its own step, as the chart's Job runs it.
    let migrate = config_for(&env.database_url, &["migrate", "--grant-runtime-role", role.0.as_str()]);
    let Some(Command::Migrate { grant_runtime_role }) = &migrate.command else { panic!("the migrate command") };
    migrate_only(&migrate.services, grant_runtime_role.as_ref()).await.expect("migrates as postgres");

    env.database_url = runtime_url.clone();
    let _worker = env.worker_with(&["--skip-migrations"]).await;
    let gateway = env.gateway_with(&["--skip-migrations"]).await;
    a_player_plays(&gateway).await;

    let pool = sqlx::PgPool::connect(&runtime_url).await.unwrap();
    let (rooms,): (i64,) = sqlx::query_as("SELECT count(*) FROM rooms").fetch_one(&pool).await.unwrap();
    assert!(rooms >= 1, "the runtime role wrote the room");
    const INSUFFICIENT_PRIVILEGE: &str = "42501";
    for statement in [
        "CREATE TABLE intruder (id int)",
        "DROP TABLE rooms",
        "ALTER TABLE rooms ADD COLUMN intruder int",
        "TRUNCATE rooms",
        "CREATE INDEX intruder ON rooms (id)",
        "DELETE FROM _sqlx_migrations",
    ] {
        assert_eq!(refused(&pool, statement).await, INSUFFICIENT_PRIVILEGE, "{statement}");
    }
    pool.close().await;
}
