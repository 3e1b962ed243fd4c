//! Redis: a gateway and a worker connect as ACL users made by
//! `identities::redis::acl_setuser`. A player still plays; each user is refused keys
//! outside the deployment's prefix, pub/sub channels and dangerous commands.

use crate::private_server::PrivateServer;
use crate::{a_player_plays, random_hex};
use orrery_common::identities::Role;
use orrery_common::identities::redis::acl_setuser;
use orrery_systests::Env;

/// The error of a command `conn` must be refused, with its code.
async fn refused(conn: &mut redis::aio::MultiplexedConnection, cmd: &mut redis::Cmd) -> String {
    match cmd.query_async::<redis::Value>(conn).await {
        Ok(v) => panic!("{cmd:?} was allowed: {v:?}", cmd = cmd.get_packed_command().escape_ascii().to_string()),
        Err(e) => {
            assert_eq!(e.code(), Some("NOPERM"), "{e}");
            e.to_string()
        }
    }
}

#[tokio::test]
async fn each_role_reaches_only_its_deployments_keys_and_players_still_play() {
    let mut env = Env::new().await;
    let shared_redis = env.redis_url.clone();
    let names = env.names();
    let server = PrivateServer::start("/usr/bin/redis-server", |port, dir| {
        ["--port", &port.to_string(), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", &dir.display().to_string()]
            .iter()
            .map(|s| s.to_string())
            .collect()
    });
    let admin_url = format!("redis://127.0.0.1:{}", server.port);
    let admin = redis::Client::open(admin_url.as_str()).unwrap();
    let mut admin_conn = admin.get_multiplexed_async_connection().await.unwrap();
    let mut urls = Vec::new();
    for role in Role::ALL {
        let password = random_hex();
        let setuser = acl_setuser(&names, role, &password);
        let mut cmd = redis::cmd(&setuser[0]);
        cmd.arg(&setuser[1..]);
        let () = cmd.query_async(&mut admin_conn).await.expect("ACL SETUSER");
        urls.push((role, format!("redis://{}:{password}@127.0.0.1:{}", role.user(&names), server.port)));
    }
    let url_of = |role| urls.iter().find(|(r, _)| *r == role).unwrap().1.clone();

    env.redis_url = url_of(Role::Worker);
    let _worker = env.worker().await;
    env.redis_url = url_of(Role::Gateway);
    let gateway = env.gateway().await;
    a_player_plays(&gateway).await;
    let inside: Vec<String> = redis::cmd("KEYS").arg(names.all_keys()).query_async(&mut admin_conn).await.unwrap();
    assert!(!inside.is_empty(), "the system wrote its keys");

    // Another deployment's key, and one of no deployment.
    let other = orrery_common::names::Names::new("other").leaderboard();
    let () = redis::cmd("SET").arg(&other).arg("theirs").query_async(&mut admin_conn).await.unwrap();
    for role in Role::ALL {
        let mut conn = redis::Client::open(url_of(role).as_str()).unwrap().get_multiplexed_async_connection().await.unwrap();
        let own: Option<String> =
            redis::cmd("GET").arg(names.all_keys().replace('*', "probe")).query_async(&mut conn).await.expect("its own prefix");
        assert_eq!(own, None);
        refused(&mut conn, redis::cmd("GET").arg(&other)).await;
        refused(&mut conn, redis::cmd("SET").arg(&other).arg("mine")).await;
        refused(&mut conn, redis::cmd("DEL").arg("unprefixed")).await;
        refused(&mut conn, redis::cmd("EVAL").arg("return redis.call('GET', KEYS[1])").arg(1).arg(&other)).await;
        refused(&mut conn, redis::cmd("PUBLISH").arg("anything").arg("x")).await;
        refused(&mut conn, redis::cmd("KEYS").arg("*")).await;
        refused(&mut conn, &mut redis::cmd("FLUSHALL")).await;
        refused(&mut conn, redis::cmd("CONFIG").arg("GET").arg("*")).await;
    }
    let theirs: String = redis::cmd("GET").arg(&other).query_async(&mut admin_conn).await.unwrap();
    assert_eq!(theirs, "theirs");
    // Env's clean-up deletes its keys from the shared Redis; these died with the server.
    env.redis_url = shared_redis;
}
