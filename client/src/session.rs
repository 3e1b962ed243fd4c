//! A game session that survives its connection: reconnect with exponential backoff and
//! jitter, through any of several gateways, resume the room from the last frame applied,
//! and resend every input the room has not acknowledged.
//!
//! Reconnects are normal here, not emergencies: a socket that closes, a
//! gateway that says `GoAway` or dies, all end in [`SessionEvent::Resumed`] and the
//! frames carry on. A circuit breaker gives up with
//! [`SessionError::CircuitOpen`] after `breaker_failures` failed attempts within
//! `breaker_window`, so a client never retries forever against a dead service.

use crate::connection::{Connection, Event};
use crate::{Error, ErrorCode};
use orrery_common::protocol::client::{ClientMsg, Frame, ServerMsg};
use orrery_common::{HistoryPos, InputSeq, RoomId};
use rand::Rng;
use std::collections::VecDeque;
use std::time::Duration;
use tokio::time::Instant;

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
        }
    }
}

/// What a session reports.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SessionEvent {
    /// A frame that applies to what this client has.
    Frame(Frame),
    /// The connection was replaced: `after` from losing it to the new join.
    Resumed { gateway: String, after: Duration, resent: usize },
    /// A delta did not apply; a keyframe was requested.
    Gap,
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
}

/// A session in one room.
pub struct Session {
    config: SessionConfig,
    conn: Option<Connection>,
    gateway: usize,
    cursor: Option<HistoryPos>,
    next_seq: InputSeq,
    unacked: VecDeque<(InputSeq, Vec<u8>)>,
    failures: VecDeque<Instant>,
    lost_at: Option<Instant>,
    duplicates: u64,
}

impl Session {
    /// Connect and join; retries like a reconnect.
    pub async fn start(config: SessionConfig) -> Result<Self, SessionError> {
        let mut s = Self {
            config,
            conn: None,
            gateway: 0,
            cursor: None,
            next_seq: InputSeq(1),
            unacked: VecDeque::new(),
            failures: VecDeque::new(),
            lost_at: None,
            duplicates: 0,
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

    /// The gateway in use.
    pub fn gateway(&self) -> &str {
        &self.config.gateways[self.gateway]
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

    /// The next event, reconnecting as needed.
    pub async fn next_event(&mut self) -> Result<SessionEvent, SessionError> {
        loop {
            if self.conn.is_none() {
                return self.reconnect().await;
            }
            let conn = self.conn.as_mut().expect("checked");
            match conn.next_event().await {
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
                Ok(Event::Message(ServerMsg::GoAway { reconnect_after_ms, .. })) => {
                    tokio::time::sleep(Duration::from_millis(u64::from(reconnect_after_ms))).await;
                    self.drop_connection();
                }
                Ok(Event::Message(m)) => return Ok(SessionEvent::Message(m)),
                Ok(Event::Closed { .. }) | Err(_) => self.drop_connection(),
            }
        }
    }

    /// The connection is gone: the next attempt goes to the next gateway at once (the one
    /// that failed is the least likely to answer).
    fn drop_connection(&mut self) {
        self.conn = None;
        self.lost_at.get_or_insert_with(Instant::now);
        self.gateway = (self.gateway + 1) % self.config.gateways.len();
    }

    /// Connect (rotating gateways), join with the cursor, resend what is unacked.
    async fn reconnect(&mut self) -> Result<SessionEvent, SessionError> {
        let mut attempt: u32 = 0;
        loop {
            let url = self.config.gateways[self.gateway].clone();
            match self.try_join(&url).await {
                Ok(resent) => {
                    self.failures.clear();
                    let after = self.lost_at.take().map(|t| t.elapsed()).unwrap_or_default();
                    return Ok(SessionEvent::Resumed { gateway: url, after, resent });
                }
                Err(Error::Server { code, message }) if code != ErrorCode::RoomUnavailable => {
                    return Err(SessionError::Refused { code, message });
                }
                Err(e) => {
                    let now = Instant::now();
                    self.failures.push_back(now);
                    while self.failures.front().is_some_and(|t| now.duration_since(*t) > self.config.breaker_window) {
                        self.failures.pop_front();
                    }
                    if self.failures.len() >= self.config.breaker_failures {
                        return Err(SessionError::CircuitOpen {
                            failures: self.failures.len(),
                            window: self.config.breaker_window,
                            last: e.to_string(),
                        });
                    }
                    self.gateway = (self.gateway + 1) % self.config.gateways.len();
                    tokio::time::sleep(backoff(attempt, self.config.backoff_initial, self.config.backoff_max)).await;
                    attempt += 1;
                }
            }
        }
    }

    async fn try_join(&mut self, url: &str) -> Result<usize, Error> {
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
        self.conn = Some(conn);
        Ok(self.unacked.len())
    }
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
