//! WebSocket close codes: the one place that says why the server ends a connection.
//!
//! Standard codes are used where one fits; the 4000 range is ours. Clients treat
//! `GOING_AWAY` and `SLOW_CONSUMER` as "reconnect and resume", everything else in
//! the 4000 range as "fix the client".

/// Normal end: the client left.
pub const NORMAL: u16 = 1000;
/// The gateway is draining: reconnect to another one.
pub const GOING_AWAY: u16 = 1001;
/// A message above the size limit.
pub const TOO_LARGE: u16 = 1009;
/// The server failed; reconnect and resume.
pub const INTERNAL: u16 = 1011;
/// A frame that is not a binary postcard `ClientMsg` of protocol v1.
pub const MALFORMED: u16 = 4000;
/// More messages than the rate limit allows.
pub const RATE_LIMITED: u16 = 4002;
/// The player was removed from the room and may not rejoin it.
pub const KICKED: u16 = 4003;
/// The client did not read its frames fast enough; reconnect and resume.
pub const SLOW_CONSUMER: u16 = 4005;
/// No pong (or any message) within the idle timeout.
pub const IDLE_TIMEOUT: u16 = 4006;
/// The same player connected again elsewhere; this older connection ends.
pub const REPLACED: u16 = 4007;
