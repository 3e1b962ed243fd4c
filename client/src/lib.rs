//! The Rust client SDK for Orrery, and the pieces `orrery-bot` is built from.
//!
//! - [`http`]: guest tokens and room creation over the gateway's HTTP API.
//! - [`connection`]: one authenticated WebSocket speaking protocol v1: join, inputs with
//!   sequence numbers, frames with gap detection.
//! - [`session`]: a session that survives its connection: backoff, jitter, circuit
//!   breaker, resume, unacked inputs and unanswered commands resent ([`commands`]).
//! - [`frontier`]: a Frontier player on top of a [`session::Session`].
//! - [`predict`]: client-side prediction, reconciliation, smooth correction and
//!   interpolation for the space arena.
//! - [`bot`]: a scripted player of the space arena; [`fill`]: bots that keep a few
//!   matchmaking tickets waiting so a person's quick play fills at once.

pub mod bot;
pub mod commands;
pub mod connection;
pub mod fill;
pub mod frontier;
pub mod http;
pub mod predict;
pub mod session;

pub use connection::{Connection, Event, Joined};
pub use orrery_common::protocol::client::ErrorCode;

/// What can go wrong talking to a gateway.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("HTTP request failed: {0}")]
    Http(#[from] reqwest::Error),
    #[error("the gateway answered {status}: {body}")]
    Status { status: u16, body: String },
    #[error("WebSocket failed: {0}")]
    WebSocket(#[from] tokio_tungstenite::tungstenite::Error),
    #[error("the gateway refused the connection with HTTP {0}")]
    Refused(u16),
    #[error("the server sent something this client cannot read: {0}")]
    Protocol(String),
    #[error("the connection closed (code {code}: {reason})")]
    Closed { code: u16, reason: String },
    /// The server answered with `ServerMsg::Error`: match on `code`, never on the text.
    #[error("the server refused ({code:?}): {message}")]
    Server { code: ErrorCode, message: String },
    #[error("timed out waiting for {0}")]
    Timeout(&'static str),
    #[error(transparent)]
    Session(#[from] session::SessionError),
}

pub type Result<T, E = Error> = std::result::Result<T, E>;
