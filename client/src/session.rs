//! A game session that survives its connection: reconnect with exponential backoff and
//! jitter, through any of several gateways, resume the room from the last frame applied,
//! and resend every input and every command the room has not acknowledged.
//!
//! Reconnects are normal here, not emergencies: a socket that closes, a
//! gateway that says `GoAway` or dies, all end in [`SessionEvent::Resumed`] and the
//! frames carry on. A gateway that hangs is noticed by a command it does not answer: a
//! command whose `CommandAck` (or `RoomUnavailable`) has not come within
//! [`SessionConfig::ack_patience`] means the socket is lost, and the command goes again,
//! with the same id, through the next gateway (protocol §4.3: the room applies an id at
//! most once). A circuit breaker gives up with [`SessionError::CircuitOpen`] after
//! `breaker_failures` failed attempts within `breaker_window`, so a client never retries
//! forever against a dead service; commands left unanswered past their patience count
//! apart, and a join does not forgive them (gateways that let a session join but never
//! answer its commands are no better than dead ones).
//!
//! The rules are the TypeScript SDK's (sdk/src/session/): the same names for the same
//! things (`CommandTracker`, `command`, `resync`), the same fatal close codes.

use crate::commands::{Answered, CommandTracker};
use crate::connection::{Connection, Event};
use crate::{Error, ErrorCode};
use orrery_common::protocol::client::{ClientMsg, Frame, ServerMsg};
use orrery_common::protocol::close;
use orrery_common::{ClientMsgId, HistoryPos, InputSeq, PlayerId, RoomId};
use rand::Rng;
use std::collections::VecDeque;
use std::time::Duration;
use tokio::time::Instant;

/// How long after `RoomUnavailable` ("the room did not answer; resend the command") the
/// unanswered commands go again (the TypeScript SDK's `COMMAND_RETRY_MS`).
const COMMAND_RETRY: Duration = Duration::from_millis(500);

/// How a session reconnects.
#[derive(Clone, Debug)]
pub struct SessionConfig {
    /// WebSocket URLs of the gateways (`ws://host:port/v1/ws`), tried in turn.
    pub gateways: Vec<String>,
    pub token: String,
    pub room: RoomId,
    /// First retry delay; doubles each failed attempt up to `backoff_max`.
    pub backoff_initial: Duration,
    pub backoff_max: Duration,
    /// Failed attempts within `breaker_window` that open the circuit.
    pub breaker_failures: usize,
    pub breaker_window: Duration,
    /// How long a command sent may go unanswered before the socket is taken for lost: a
    /// gateway that works answers within 2 s, with `RoomUnavailable` when the room does
    /// not (protocol §4.3).
    pub ack_patience: Duration,
    /// How long opening a socket and joining may take (a hung gateway may accept the TCP
    /// connection and never answer).
    pub join_patience: Duration,
}

impl SessionConfig {
    pub fn new(gateways: Vec<String>, token: String, room: RoomId) -> Self {
        Self {
            gateways,
            token,
            room,
            backoff_initial: Duration::from_millis(50),
            backoff_max: Duration::from_secs(5),
            breaker_failures: 6,
            breaker_window: Duration::from_secs(30),
            ack_patience: Duration::from_secs(3),
            join_patience: Duration::from_secs(10),
        }
    }
}

/// What a session reports.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SessionEvent {
    /// A frame that applies to what this client has.
    Frame(Frame),
    /// The connection was replaced: `after` from losing it to the new join; `resent`
    /// inputs and `resent_commands` commands went again on the new socket.
    Resumed { gateway: String, after: Duration, resent: usize, resent_commands: usize },
    /// A delta did not apply; a keyframe was requested.
    Gap,
    /// The room answered a command (its first answer; a later duplicate is not reported).
    CommandAck(Answered),
    /// Any other server message.
    Message(ServerMsg),
}

/// Why a session gave up.
#[derive(Debug, thiserror::Error)]
pub enum SessionError {
    #[error("giving up: {failures} failed attempts within {window:?}; last error: {last}")]
    CircuitOpen { failures: usize, window: Duration, last: String },
    #[error("the room refused the session ({code:?}): {message}")]
    Refused { code: ErrorCode, message: String },
    /// A close code that says not to come back (see [`is_fatal_close`]).
    #[error("the server ended the session (close {code}: {reason})")]
    Closed { code: u16, reason: String },
}

/// Whether a close code means "do not reconnect": `MALFORMED` and `TOO_LARGE` (fix the
/// client), `KICKED` (removed from the room) and `REPLACED` (another session of this player
/// is active). Every other code is worth a reconnect and resume (protocol §8.2; the
/// TypeScript SDK's `isFatalClose`).
pub fn is_fatal_close(code: u16) -> bool {
    matches!(code, close::MALFORMED | close::TOO_LARGE | close::KICKED | close::REPLACED)
}

/// A session in one room.
pub struct Session {
    config: SessionConfig,
    conn: Option<Connection>,
    player: Option<PlayerId>,
    gateway: usize,
    cursor: Option<HistoryPos>,
    next_seq: InputSeq,
    unacked: VecDeque<(InputSeq, Vec<u8>)>,
    commands: CommandTracker,
    /// When the unanswered commands go again after a `RoomUnavailable`.
    retry_at: Option<Instant>,
    failures: VecDeque<Instant>,
    /// When a command went unanswered past `ack_patience`; only an answer clears it.
    hung: VecDeque<Instant>,
    lost_at: Option<Instant>,
    duplicates: u64,
    late_acks: u64,
}

/// What woke [`Session::next_event`].
enum Woke {
    Event(crate::Result<Event>),
    Timer,
}

impl Session {
    /// Connect and join; retries like a reconnect.
    pub async fn start(config: SessionConfig) -> Result<Self, SessionError> {
        // Ids start at random: the room remembers a player's recent ids across sessions
        // (a reused token), and answers those without applying them.
        let first = ClientMsgId(1 + rand::rng().random_range(0..0x7fff_ffff));
        let mut s = Self {
            config,
            conn: None,
            player: None,
            gateway: 0,
            cursor: None,
            next_seq: InputSeq(1),
            unacked: VecDeque::new(),
            commands: CommandTracker::new(first),
            retry_at: None,
            failures: VecDeque::new(),
            hung: VecDeque::new(),
            lost_at: None,
            duplicates: 0,
            late_acks: 0,
        };
        s.reconnect().await?;
        Ok(s)
    }

    /// The last frame applied.
    pub fn cursor(&self) -> Option<HistoryPos> {
        self.cursor
    }

    /// Frames the server sent at or before the cursor (the resume contract says none).
    pub fn duplicates(&self) -> u64 {
        self.duplicates
    }

    /// Inputs sent but not yet acknowledged by the room.
    pub fn unacked(&self) -> usize {
        self.unacked.len()
    }

    /// Commands sent (or waiting for a socket) and not yet answered by the room.
    pub fn unanswered(&self) -> usize {
        self.commands.len()
    }

    /// The id the next [`command`](Self::command) gets.
    pub fn next_command_id(&self) -> ClientMsgId {
        self.commands.next_id()
    }

    /// Acknowledgements of commands already answered (a resend crossed the first answer).
    pub fn late_acks(&self) -> u64 {
        self.late_acks
    }

    /// This player, from the last `Welcome`.
    pub fn player(&self) -> Option<PlayerId> {
        self.player
    }

    /// The gateway in use (or tried next).
    pub fn gateway(&self) -> &str {
        &self.config.gateways[self.gateway]
    }

    /// Whether a socket is joined to the room now.
    pub fn is_connected(&self) -> bool {
        self.conn.is_some()
    }

    /// Send an input; it is kept until the room acknowledges it, and resent after a resume.
    pub async fn send_input(&mut self, payload: Vec<u8>) -> InputSeq {
        let seq = self.next_seq;
        self.next_seq = seq.next();
        self.unacked.push_back((seq, payload.clone()));
        if let Some(conn) = self.conn.as_mut()
            && conn.send(&ClientMsg::Input { seq, payload }).await.is_err()
        {
            self.drop_connection();
        }
        seq
    }

    /// Send a command; it is kept until the room answers it, and resent with the same id
    /// after a resume or a `RoomUnavailable`. Its answer comes as
    /// [`SessionEvent::CommandAck`], once.
    pub async fn command(&mut self, payload: Vec<u8>) -> ClientMsgId {
        let id = self.commands.add(payload.clone());
        if let Some(conn) = self.conn.as_mut() {
            self.commands.sent(id);
            if conn.send(&ClientMsg::Command { id, payload }).await.is_err() {
                self.drop_connection();
            }
        }
        id
    }

    /// Ask for a keyframe (after a payload the game could not apply).
    pub async fn resync(&mut self) {
        if let Some(conn) = self.conn.as_mut()
            && conn.send(&ClientMsg::Resync).await.is_err()
        {
            self.drop_connection();
        }
    }

    /// Close the socket as a player closing the page does (the room's grace starts). The
    /// next [`next_event`](Self::next_event) comes back through the next gateway, from the
    /// cursor, with what is unacknowledged.
    pub async fn disconnect(&mut self) {
        if let Some(conn) = self.conn.take() {
            let _ = conn.close().await;
            self.drop_connection();
        }
    }

    /// The next event, reconnecting as needed.
    pub async fn next_event(&mut self) -> Result<SessionEvent, SessionError> {
        loop {
            if self.conn.is_none() {
                return self.reconnect().await;
            }
            let ack_due = self.commands.due(self.config.ack_patience);
            let wake = [ack_due, self.retry_at].into_iter().flatten().min();
            let conn = self.conn.as_mut().expect("checked");
            let woke = tokio::select! {
                e = conn.next_event() => Woke::Event(e),
                () = async { match wake { Some(at) => tokio::time::sleep_until(at).await, None => std::future::pending().await } } => Woke::Timer,
            };
            let event = match woke {
                Woke::Event(e) => e,
                Woke::Timer => {
                    let now = Instant::now();
                    if self.retry_at.is_some_and(|at| at <= now) {
                        self.retry_at = None;
                        self.resend_commands().await;
                    } else if ack_due.is_some_and(|at| at <= now) {
                        // Not a word about a command for longer than a working gateway
                        // takes: it hangs. Go elsewhere; the command goes with us.
                        self.hung.push_back(now);
                        if let Some(open) = self.circuit(Circuit::Hung, now) {
                            return Err(open);
                        }
                        self.drop_connection();
                    }
                    continue;
                }
            };
            match event {
                Ok(Event::Frame(frame)) => {
                    self.cursor = Some(frame.pos());
                    if let Some(ack) = frame.ack {
                        while self.unacked.front().is_some_and(|(s, _)| *s <= ack) {
                            self.unacked.pop_front();
                        }
                    }
                    return Ok(SessionEvent::Frame(frame));
                }
                Ok(Event::Gap { .. }) => return Ok(SessionEvent::Gap),
                // The connection cursor already filtered it; nothing to apply.
                Ok(Event::Duplicate { .. }) => {
                    self.duplicates += 1;
                    continue;
                }
                Ok(Event::Message(ServerMsg::CommandAck { id, outcome })) => match self.commands.settle(id, outcome) {
                    Some(answered) => {
                        self.hung.clear();
                        return Ok(SessionEvent::CommandAck(answered));
                    }
                    None => {
                        self.late_acks += 1;
                        continue;
                    }
                },
                Ok(Event::Message(m @ ServerMsg::Error { code: ErrorCode::RoomUnavailable, .. })) => {
                    // The gateway answers: it is the room that is slow (a failover).
                    if !self.commands.is_empty() {
                        self.commands.heard_of_all();
                        self.retry_at = Some(Instant::now() + COMMAND_RETRY);
                    }
                    return Ok(SessionEvent::Message(m));
                }
                Ok(Event::Message(m @ ServerMsg::RoomClosed { .. })) => {
                    // Protocol §4.3: stop resending; no one will answer them.
                    self.commands = CommandTracker::new(self.commands.next_id());
                    self.retry_at = None;
                    return Ok(SessionEvent::Message(m));
                }
                Ok(Event::Message(ServerMsg::GoAway { reconnect_after_ms, .. })) => {
                    tokio::time::sleep(Duration::from_millis(u64::from(reconnect_after_ms))).await;
                    self.drop_connection();
                }
                Ok(Event::Message(m)) => return Ok(SessionEvent::Message(m)),
                Ok(Event::Closed { code, reason }) if is_fatal_close(code) => {
                    self.drop_connection();
                    return Err(SessionError::Closed { code, reason });
                }
                Ok(Event::Closed { .. }) | Err(_) => self.drop_connection(),
            }
        }
    }

    /// Forget the failures of `which` kind older than the window; the error to give up
    /// with if as many as `breaker_failures` are left.
    fn circuit(&mut self, which: Circuit, now: Instant) -> Option<SessionError> {
        let window = self.config.breaker_window;
        let (times, last) = match which {
            Circuit::Joins(e) => (&mut self.failures, e.to_string()),
            Circuit::Hung => (&mut self.hung, format!("no gateway answered a command within {:?}", self.config.ack_patience)),
        };
        while times.front().is_some_and(|t| now.duration_since(*t) > window) {
            times.pop_front();
        }
        (times.len() >= self.config.breaker_failures).then_some(SessionError::CircuitOpen { failures: times.len(), window, last })
    }

    /// Send every unanswered command again, with its id.
    async fn resend_commands(&mut self) {
        let again: Vec<(ClientMsgId, Vec<u8>)> = self.commands.unanswered().iter().map(|c| (c.id, c.payload.clone())).collect();
        for (id, payload) in again {
            let Some(conn) = self.conn.as_mut() else { return };
            if conn.send(&ClientMsg::Command { id, payload }).await.is_err() {
                self.drop_connection();
                return;
            }
            self.commands.sent(id);
        }
    }

    /// The connection is gone: the next attempt goes to the next gateway at once (the one
    /// that failed is the least likely to answer).
    fn drop_connection(&mut self) {
        self.conn = None;
        self.retry_at = None;
        self.lost_at.get_or_insert_with(Instant::now);
        self.gateway = (self.gateway + 1) % self.config.gateways.len();
    }

    /// Connect (rotating gateways), join with the cursor, resend what is unacked.
    async fn reconnect(&mut self) -> Result<SessionEvent, SessionError> {
        let mut attempt: u32 = 0;
        loop {
            let url = self.config.gateways[self.gateway].clone();
            let joined =
                tokio::time::timeout(self.config.join_patience, self.try_join(&url)).await.unwrap_or(Err(Error::Timeout("Joined")));
            match joined {
                Ok((resent, resent_commands)) => {
                    self.failures.clear();
                    let after = self.lost_at.take().map(|t| t.elapsed()).unwrap_or_default();
                    return Ok(SessionEvent::Resumed { gateway: url, after, resent, resent_commands });
                }
                Err(Error::Server { code, message }) if code != ErrorCode::RoomUnavailable => {
                    return Err(SessionError::Refused { code, message });
                }
                Err(e) => {
                    let now = Instant::now();
                    self.failures.push_back(now);
                    if let Some(open) = self.circuit(Circuit::Joins(e), now) {
                        return Err(open);
                    }
                    self.gateway = (self.gateway + 1) % self.config.gateways.len();
                    tokio::time::sleep(backoff(attempt, self.config.backoff_initial, self.config.backoff_max)).await;
                    attempt += 1;
                }
            }
        }
    }

    /// Join with the cursor, then resend the inputs after `Joined.last_input` and every
    /// unanswered command with its id (protocol §7.3 step 4): how many of each.
    async fn try_join(&mut self, url: &str) -> Result<(usize, usize), Error> {
        let mut conn = Connection::connect(url, &self.config.token).await?;
        conn.resume_from(self.cursor);
        let joined = conn.join(self.config.room).await?;
        if let Some(last) = joined.last_input {
            while self.unacked.front().is_some_and(|(s, _)| *s <= last) {
                self.unacked.pop_front();
            }
            self.next_seq = self.next_seq.max(last.next());
        }
        for (seq, payload) in &self.unacked {
            conn.send(&ClientMsg::Input { seq: *seq, payload: payload.clone() }).await?;
        }
        let commands: Vec<(ClientMsgId, Vec<u8>)> = self.commands.unanswered().iter().map(|c| (c.id, c.payload.clone())).collect();
        for (id, payload) in &commands {
            conn.send(&ClientMsg::Command { id: *id, payload: payload.clone() }).await?;
            self.commands.sent(*id);
        }
        self.player = Some(conn.player());
        self.conn = Some(conn);
        Ok((self.unacked.len(), commands.len()))
    }
}

/// What the circuit breaker counts, apart: joins that failed, and commands a gateway let
/// go unanswered past their patience.
enum Circuit {
    Joins(Error),
    Hung,
}

/// Exponential backoff with "equal jitter": half the delay fixed, half random.
pub fn backoff(attempt: u32, initial: Duration, max: Duration) -> Duration {
    let full = initial.saturating_mul(1u32 << attempt.min(16)).min(max);
    let half = full / 2;
    half + half.mul_f64(rand::rng().random::<f64>())
}

#[cfg(test)]
mod tests {
    use super::backoff;
    use std::time::Duration;

    #[test]
    fn backoff_doubles_is_capped_and_jittered() {
        let (i, m) = (Duration::from_millis(100), Duration::from_secs(2));
        for attempt in 0..10 {
            let d = backoff(attempt, i, m);
            let full = (i * 2u32.pow(attempt)).min(m);
            assert!(d >= full / 2 && d <= full, "attempt {attempt}: {d:?} not within [{:?}, {full:?}]", full / 2);
        }
    }
}
