//! A client that asks for a keyframe, or sends a command, in a room that has closed gets an
//! answer: the room closed (`RoomClosed` again), after which the socket is in no room.
//! Before, the gateway asked the room's (gone) owner, got nothing, and said nothing (or
//! "resend the command"), so a client following the protocol document resent forever.

use orrery_arena::{ArenaCommand, encode_command};
use orrery_client::{Connection, Event};
use orrery_common::ClientMsgId;
use orrery_common::protocol::client::{ClientMsg, ErrorCode, ServerMsg};
use orrery_systests::{Env, next_event_where};
use std::time::Duration;

#[tokio::test]
async fn a_resync_or_a_command_in_a_closed_room_is_answered_room_closed() {
    let env = Env::new().await;
    let _worker = env.worker().await;
    let gw = env.gateway().await;
    // Two players, each alone in a room of one seat in blitz: the countdown starts at once,
    // the lone ship is the last one alive, and the room closes after the 2 s float. One asks
    // for a keyframe, the other sends a command. (Two sockets of one player in one room
    // would not do: the newer replaces the older, close 4007.)
    let ((mut conn, room), (mut other, other_room)) = tokio::join!(alone_until_closed(&gw, "ada"), alone_until_closed(&gw, "bob"));
    conn.send(&ClientMsg::Resync).await.unwrap();
    let answer = next_message(&mut conn, Duration::from_secs(5)).await.expect("a Resync in a closed room is answered");
    assert_eq!(answer, ServerMsg::RoomClosed { room });
    // Told to resend on RoomUnavailable, a client would resend a command forever.
    other.send(&ClientMsg::Command { id: ClientMsgId(1), payload: encode_command(&ArenaCommand::Emote(3)) }).await.unwrap();
    let answer = next_message(&mut other, Duration::from_secs(5)).await.expect("a Command in a closed room is answered");
    assert_eq!(answer, ServerMsg::RoomClosed { room: other_room });

    // The sockets are in no room now; they stay open and may join another.
    conn.send(&ClientMsg::Resync).await.unwrap();
    other.send(&ClientMsg::Command { id: ClientMsgId(2), payload: encode_command(&ArenaCommand::Emote(3)) }).await.unwrap();
    for c in [&mut conn, &mut other] {
        let again = next_event_where(c, "the second answer", |e| match e {
            Event::Message(msg) => Some(msg),
            Event::Closed { code, reason } => panic!("closed: {code} {reason}"),
            _ => None,
        })
        .await;
        assert!(matches!(again, ServerMsg::Error { code: ErrorCode::NotInRoom, .. }), "{again:?}");
    }
}

/// A gateway that never heard a room's `rooms.closed` (here: the room is closed behind its
/// back while it has no owner) finds out on the next `Resync`: nobody answers it, the room's
/// row says closed, and the socket is told.
#[tokio::test]
async fn a_resync_finds_a_room_closed_behind_the_gateways_back() {
    let env = Env::new().await;
    let worker = env.worker().await;
    let gw = env.gateway().await;
    let room = gw.room(serde_json::json!({})).await;
    let mut conn = gw.guest("ada").await;
    conn.join(room).await.unwrap();
    // The only worker goes away: the room has no owner, and nothing is published.
    worker.stop().await;
    let pg = sqlx::PgPool::connect(&env.database_url).await.unwrap();
    sqlx::query("UPDATE rooms SET status = 'closed', closed_at = now() WHERE id = $1").bind(room.get() as i64).execute(&pg).await.unwrap();

    conn.send(&ClientMsg::Resync).await.unwrap();
    let answer = next_message(&mut conn, Duration::from_secs(5)).await.expect("the Resync is answered");
    assert_eq!(answer, ServerMsg::RoomClosed { room });

    pg.close().await;
}

/// A socket of a new player alone in a one-seat blitz room, once the room has closed.
async fn alone_until_closed(gw: &orrery_systests::GatewayHandle, name: &str) -> (Connection, orrery_common::RoomId) {
    let room = gw.room(serde_json::json!({"mode": "arena-blitz", "max_players": 1})).await;
    let mut conn = gw.guest(name).await;
    conn.join(room).await.unwrap();
    let closed = next_message(&mut conn, Duration::from_secs(20)).await.expect("the match ends and the room closes");
    assert_eq!(closed, ServerMsg::RoomClosed { room });
    (conn, room)
}

/// The next server message that is not a frame, within `patience`.
async fn next_message(conn: &mut Connection, patience: Duration) -> Option<ServerMsg> {
    tokio::time::timeout(patience, async {
        loop {
            match conn.next_event().await.expect("the socket stays up") {
                Event::Message(msg) => break msg,
                Event::Closed { code, reason } => panic!("closed: {code} {reason}"),
                _ => {}
            }
        }
    })
    .await
    .ok()
}
