//! A gateway that lets a session join but never answers its commands (a bug, or a gateway
//! whose route to the rooms is wedged) must not keep a `Session` reconnecting forever: the
//! joins succeed, so only the unanswered commands can open the circuit.
//!
//! The gateway here is a WebSocket server in the test that speaks just enough of the
//! protocol (`Welcome`, `Joined`) and counts the commands it swallows.

use futures::{SinkExt, StreamExt};
use orrery_client::session::{Session, SessionConfig, SessionError, SessionEvent};
use orrery_common::protocol::client::{ClientMsg, Limits, PROTOCOL_VERSION, SUBPROTOCOL, ServerMsg};
use orrery_common::protocol::{decode, encode};
use orrery_common::{PlayerId, RoomId};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;
use tokio::net::TcpListener;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::handshake::server::{ErrorResponse, Request, Response};

/// Joins and swallowed commands, as the fake gateway counted them.
#[derive(Default)]
struct Counts {
    joins: AtomicUsize,
    commands: AtomicUsize,
}

/// Answer the handshake with the protocol's subprotocol, as a gateway does.
#[allow(clippy::result_large_err, reason = "the shape tungstenite's handshake callback requires")]
fn choose_subprotocol(_: &Request, mut response: Response) -> Result<Response, ErrorResponse> {
    response.headers_mut().insert("Sec-WebSocket-Protocol", SUBPROTOCOL.parse().expect("valid header"));
    Ok(response)
}

/// Serve sockets on `listener` forever: welcome, seat on join, say nothing to commands.
async fn mute_gateway(listener: TcpListener, counts: Arc<Counts>) {
    loop {
        let Ok((tcp, _)) = listener.accept().await else { return };
        let counts = counts.clone();
        tokio::spawn(async move {
            let Ok(mut ws) = tokio_tungstenite::accept_hdr_async(tcp, choose_subprotocol).await else { return };
            let welcome =
                ServerMsg::Welcome { protocol: PROTOCOL_VERSION, player: PlayerId(uuid::Uuid::from_u128(7)), limits: Limits::default() };
            if ws.send(Message::Binary(encode(&welcome).into())).await.is_err() {
                return;
            }
            while let Some(Ok(message)) = ws.next().await {
                let Message::Binary(bytes) = message else { continue };
                match decode::<ClientMsg>(&bytes) {
                    Ok(ClientMsg::Join { room, .. }) => {
                        counts.joins.fetch_add(1, Ordering::SeqCst);
                        let joined = ServerMsg::Joined { room, tick_hz: 30, last_input: None };
                        if ws.send(Message::Binary(encode(&joined).into())).await.is_err() {
                            return;
                        }
                    }
                    Ok(ClientMsg::Command { .. }) => {
                        counts.commands.fetch_add(1, Ordering::SeqCst);
                    }
                    _ => {}
                }
            }
        });
    }
}

#[tokio::test]
async fn a_session_whose_commands_no_gateway_answers_gives_up_after_the_breakers_count() {
    let counts = Arc::new(Counts::default());
    let mut gateways = Vec::new();
    for _ in 0..2 {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        gateways.push(format!("ws://{}/v1/ws", listener.local_addr().unwrap()));
        tokio::spawn(mute_gateway(listener, counts.clone()));
    }
    let mut config = SessionConfig::new(gateways, "any-token".into(), RoomId(1));
    config.ack_patience = Duration::from_millis(100);
    config.breaker_failures = 3;
    let mut session = Session::start(config).await.expect("the mute gateway seats the session");

    session.command(vec![1]).await;
    let mut resumed = 0;
    let given_up = tokio::time::timeout(Duration::from_secs(10), async {
        loop {
            match session.next_event().await {
                Ok(SessionEvent::Resumed { resent_commands, .. }) => {
                    assert_eq!(resent_commands, 1, "the command goes with every reconnect");
                    resumed += 1;
                }
                Ok(other) => panic!("the mute gateway sends nothing else, got {other:?}"),
                Err(e) => return e,
            }
        }
    })
    .await
    .expect("the session gives up by itself instead of reconnecting forever");

    match given_up {
        SessionError::CircuitOpen { failures, last, .. } => {
            assert_eq!(failures, 3);
            assert!(last.contains("answered a command"), "{last}");
        }
        other => panic!("expected the circuit to open, got {other}"),
    }
    // Three patiences ran out: after the first two the session joined elsewhere again.
    assert_eq!(resumed, 2);
    assert_eq!(counts.joins.load(Ordering::SeqCst), 3);
    assert_eq!(counts.commands.load(Ordering::SeqCst), 3, "one send per socket, with the same id");
}
