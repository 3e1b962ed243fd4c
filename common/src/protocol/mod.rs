//! The v1 wire protocol: every message that crosses a socket or a subject.
//!
//! - [`client`]: client <-> gateway, over a WebSocket with subprotocol `orrery.v1`.
//! - [`internal`]: gateway <-> worker, over NATS.
//! - [`close`]: the WebSocket close codes and what makes the server use them.
//!
//! Everything is encoded with postcard (varint integers, length-prefixed byte
//! strings, enums as a varint discriminant), see `docs/protocol.md`.

pub mod client;
pub mod close;
pub mod internal;

/// Encode a message with postcard.
pub fn encode<T: serde::Serialize>(msg: &T) -> Vec<u8> {
    postcard::to_allocvec(msg).expect("postcard encoding into a Vec cannot fail")
}

/// Decode a message with postcard. Trailing bytes are an error: a frame is one message.
pub fn decode<'a, T: serde::Deserialize<'a>>(bytes: &'a [u8]) -> Result<T, DecodeError> {
    let (msg, rest) = postcard::take_from_bytes(bytes).map_err(|e| DecodeError(e.to_string()))?;
    if !rest.is_empty() {
        return Err(DecodeError(format!("{} trailing bytes", rest.len())));
    }
    Ok(msg)
}

/// A message that could not be decoded.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("malformed message: {0}")]
pub struct DecodeError(pub String);
