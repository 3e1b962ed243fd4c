//! Everything two Orrery binaries must agree on, in one place.
//!
//! The pure half (always built) is what a game and a client need: ids and ticks
//! ([`ids`]), the wire protocol ([`protocol`]), the [`game`] trait the worker runs and
//! wall-clock [`time`]. The `auth` feature adds JWT verification ([`auth`]) without any
//! I/O (the fuzz targets build it alone); the `runtime` feature adds it and what servers
//! need: subject and key names ([`names`]), configuration ([`config`]), connections to the
//! backing services ([`services`]), telemetry and the shared health/metrics
//! endpoints ([`telemetry`], [`ops`]), and trace context in NATS headers ([`trace_context`]).

pub mod game;
pub mod ids;
pub mod protocol;

#[cfg(feature = "auth")]
pub mod auth;
#[cfg(feature = "runtime")]
pub mod config;
#[cfg(feature = "runtime")]
pub mod lifecycle;
#[cfg(feature = "runtime")]
pub mod names;
#[cfg(feature = "runtime")]
pub mod ops;
#[cfg(feature = "runtime")]
pub mod services;
#[cfg(feature = "runtime")]
pub mod telemetry;
pub mod time;
#[cfg(feature = "runtime")]
pub mod trace_context;

pub use ids::{ClientMsgId, Epoch, HistoryPos, InputSeq, PlayerId, RoomId, SocketId, Tick};
