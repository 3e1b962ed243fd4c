//! NATS: a gateway and a worker connect with their own users, whose permissions come from
//! `identities::nats::permissions`. A player still plays; the gateway identity cannot
//! publish a frame or a room's closing, the worker identity cannot publish a player event
//! or an unsolicited reply, and what each owns gets through.

use crate::private_server::PrivateServer;
use crate::{a_player_plays, random_hex};
use futures::StreamExt;
use orrery_common::RoomId;
use orrery_common::identities::Role;
use orrery_common::identities::nats::{Password, User, authorization, permissions};
use orrery_common::names::Names;
use orrery_systests::Env;
use std::time::Duration;
use tokio::sync::mpsc;

/// A private nats-server with one user per role and an unrestricted `observer`.
fn nats_server(names: &Names, gateway_password: &str, worker_password: &str) -> PrivateServer {
    let user = |role: Role, password: &str| User {
        name: role.user(names),
        password: Password::Literal(password.to_owned()),
        permissions: Some(permissions(names, role)),
    };
    let users = [
        user(Role::Gateway, gateway_password),
        user(Role::Worker, worker_password),
        User { name: "observer".into(), password: Password::Literal("observer".into()), permissions: None },
    ];
    let block = authorization(&users);
    PrivateServer::start("/usr/sbin/nats-server", move |port, dir| {
        let config = dir.join("nats.conf");
        std::fs::write(&config, format!("listen: 127.0.0.1:{port}\n{block}")).unwrap();
        vec!["-c".into(), config.display().to_string()]
    })
}

/// A plain client as `user`, with the server's errors (permission violations) in a channel.
async fn client(port: u16, user: &str, password: &str) -> (async_nats::Client, mpsc::UnboundedReceiver<String>) {
    let (tx, rx) = mpsc::unbounded_channel();
    let client = async_nats::ConnectOptions::with_user_and_password(user.into(), password.into())
        .event_callback(move |event| {
            let tx = tx.clone();
            async move {
                if let async_nats::Event::ServerError(e) = event {
                    let _ = tx.send(e.to_string());
                }
            }
        })
        .connect(format!("127.0.0.1:{port}"))
        .await
        .unwrap_or_else(|e| panic!("{user} connects: {e}"));
    (client, rx)
}

/// Publish `payload` on `subject` and return the server's refusal, if one comes within 2 s.
async fn publish(
    client: &async_nats::Client,
    errors: &mut mpsc::UnboundedReceiver<String>,
    subject: &str,
    payload: &str,
) -> Option<String> {
    client.publish(subject.to_owned(), payload.to_owned().into()).await.unwrap();
    client.flush().await.unwrap();
    let refusal = tokio::time::timeout(Duration::from_secs(2), errors.recv()).await.ok().flatten()?;
    assert!(refusal.to_lowercase().contains("permissions violation"), "{refusal}");
    assert!(refusal.contains(subject), "the refusal names {subject}: {refusal}");
    Some(refusal)
}

#[tokio::test]
async fn each_role_publishes_only_what_it_owns_and_players_still_play() {
    let mut env = Env::new().await;
    let names = env.names();
    let (gateway_password, worker_password) = (random_hex(), random_hex());
    let server = nats_server(&names, &gateway_password, &worker_password);
    let port = server.port;

    // The gateway gives its user in the URL, the worker with --nats-user and a password file.
    env.nats_url = format!("nats://{}:{gateway_password}@127.0.0.1:{port}", Role::Gateway.user(&names));
    let gateway = env.gateway().await;
    let password_file = env.dir.join("worker-nats-password");
    std::fs::write(&password_file, format!("{worker_password}\n")).unwrap();
    env.nats_url = format!("nats://127.0.0.1:{port}");
    let worker_user = Role::Worker.user(&names);
    let _worker = env.worker_with(&["--nats-user", &worker_user, "--nats-password-file", &password_file.display().to_string()]).await;
    a_player_plays(&gateway).await;

    // Everything published under the prefix, as an unrestricted observer sees it.
    let (observer, _) = client(port, "observer", "observer").await;
    let mut seen = observer.subscribe(format!("{}.>", names.prefix())).await.unwrap();
    observer.flush().await.unwrap();

    let (as_gateway, mut gateway_errors) = client(port, &Role::Gateway.user(&names), &gateway_password).await;
    let (as_worker, mut worker_errors) = client(port, &worker_user, &worker_password).await;
    let forged_room = RoomId(u64::MAX - 1);
    for subject in [names.room_state(forged_room), names.rooms_closed()] {
        let refusal = publish(&as_gateway, &mut gateway_errors, &subject, "forged").await;
        assert!(refusal.is_some(), "the gateway identity published on {subject}");
    }
    let player = orrery_common::PlayerId::random();
    for subject in [names.player_events(player), format!("{}.forged", names.inbox_prefix())] {
        let refusal = publish(&as_worker, &mut worker_errors, &subject, "forged").await;
        assert!(refusal.is_some(), "the worker identity published on {subject}");
    }

    // What each owns gets through, unrefused.
    let mut expected = vec![names.player_events(player)];
    assert_eq!(publish(&as_gateway, &mut gateway_errors, &expected[0], "owned").await, None, "refused to its owner");
    for subject in [names.room_state(forged_room), names.rooms_closed()] {
        assert_eq!(publish(&as_worker, &mut worker_errors, &subject, "owned").await, None, "{subject} refused to its owner");
        expected.push(subject);
    }
    let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
    while !expected.is_empty() {
        let msg = tokio::time::timeout_at(deadline, seen.next()).await.expect("the owners' messages arrive").unwrap();
        assert_ne!(&msg.payload[..], b"forged", "a refused message on {} got through", msg.subject);
        if &msg.payload[..] == b"owned" {
            expected.retain(|s| s.as_str() != msg.subject.as_str());
        }
    }
}
