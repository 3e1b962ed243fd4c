//! Everything two Orrery binaries must agree on, in one place.
//!
//! The pure half (always built) is what a game and a client need: ids and ticks
//! ([`ids`]), the wire protocol ([`protocol`]), the [`game`] trait the worker runs (several games by mode: [`game_modes`]), what a
//! [`display_name`] may hold and wall-clock [`time`]. The `auth` feature adds JWT
//! verification ([`auth`]) without any I/O (the fuzz targets build it alone); the `runtime`
//! feature adds it and what servers need: subject and key names ([`names`]), configuration
//! ([`config`]), the services' per-role identities ([`identities`]), connections to the
//! backing services ([`services`], with TLS in [`service_tls`]), the HTTP server every
//! binary runs its routers on ([`http_serve`]), telemetry and the shared health/metrics
//! endpoints ([`telemetry`], [`ops`]), and trace context in NATS headers ([`trace_context`]).

pub mod display_name;
pub mod game;
pub mod game_modes;
pub mod ids;
pub mod protocol;

#[cfg(feature = "auth")]
pub mod auth;
#[cfg(feature = "runtime")]
pub mod config;
#[cfg(feature = "runtime")]
pub mod http_serve;
#[cfg(feature = "runtime")]
pub mod identities;
#[cfg(feature = "runtime")]
pub mod lifecycle;
#[cfg(feature = "runtime")]
pub mod names;
#[cfg(feature = "runtime")]
pub mod ops;
#[cfg(feature = "runtime")]
pub mod service_tls;
#[cfg(feature = "runtime")]
pub mod services;
#[cfg(feature = "runtime")]
pub mod telemetry;
pub mod time;
#[cfg(feature = "runtime")]
pub mod trace_context;

pub use ids::{ClientMsgId, Epoch, HistoryPos, InputSeq, PlayerId, RoomId, SocketId, Tick};
