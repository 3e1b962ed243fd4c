//! Service identities against real servers: each role (gateway, worker) connects to NATS,
//! Redis and PostgreSQL under its own identity with only the rights
//! `orrery_common::identities` grants it; the system still works, and each identity is
//! refused what it does not own. NATS and Redis run as private servers configured by the
//! test (`private_server.rs`); PostgreSQL is the shared one, with a role made for the test.

mod nats;
mod postgres;
mod private_server;
mod redis;

use orrery_arena::{Intent, encode_intent};
use orrery_client::Event;
use orrery_systests::{GatewayHandle, next_event_where};

/// A player joins a new room through `gateway`, gets a keyframe, and sees its input acked in
/// a frame: inputs, control requests and their replies, and frames all got through.
pub async fn a_player_plays(gateway: &GatewayHandle) {
    let room = gateway.room(serde_json::json!({})).await;
    let mut conn = gateway.guest("ada").await;
    conn.join(room).await.expect("joins the room");
    next_event_where(&mut conn, "a keyframe", |e| match e {
        Event::Frame(f) => Some(f),
        Event::Closed { code, reason } => panic!("closed: {code} {reason}"),
        _ => None,
    })
    .await;
    let seq = conn.send_input(encode_intent(&Intent { turn: 1.0, thrust: true, fire: false })).await.unwrap();
    next_event_where(&mut conn, "a frame acking the input", |e| match e {
        Event::Frame(f) if f.ack >= Some(seq) => Some(()),
        Event::Closed { code, reason } => panic!("closed: {code} {reason}"),
        _ => None,
    })
    .await;
}

/// A random password or name suffix (hex).
pub fn random_hex() -> String {
    format!("{:016x}", rand::random::<u64>())
}
