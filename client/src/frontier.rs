//! A Frontier player through the gateways: it keeps its own `FrontierView` from the frames
//! it is sent and, each turn, submits what the game's bot orders from that view (the same
//! fog as any player).
//!
//! It survives its connection as protocol §7.3 says a client must: when the socket is lost
//! (a gateway killed, a network error, a `GoAway`) it connects to the next gateway, joins
//! with the position of the last frame it applied (its keyframe then holds everything up
//! to there, and only later frames follow) and resends the one command it holds that was
//! not acknowledged, with the same id, so the room applies it at most once. A command the
//! room did not answer (`RoomUnavailable`, a failover) is resent the same way; one whose
//! acknowledgement does not come at all (a gateway that hangs) counts as a lost socket.
//! After a reconnect it orders only from the new keyframe's view.

use crate::connection::{Connection, Event};
use crate::{Error, Result};
use orrery_common::game::Phase;
use orrery_common::protocol::client::{ClientMsg, CommandOutcome, ErrorCode, Frame, FrameKind, ServerMsg};
use orrery_common::protocol::close;
use orrery_common::{ClientMsgId, HistoryPos, PlayerId, RoomId};
use orrery_frontier::state::Order;
use orrery_frontier::{Action, FrontierCommand, FrontierView, encode_command};
use std::time::Duration;
use tokio::time::Instant;

/// How long an acknowledgement may take before the socket is taken for lost: a gateway
/// that works answers within 2 s, with `RoomUnavailable` when the room does not (§4.3).
const ACK_PATIENCE: Duration = Duration::from_secs(3);
/// How long opening a socket and joining may take (a hung gateway may accept the TCP
/// connection and never answer).
const JOIN_PATIENCE: Duration = Duration::from_secs(10);
/// Failed connection attempts in a row before the player gives up.
const MAX_FAILED_ATTEMPTS: u32 = 12;

/// One turn's orders as this player submitted them, and every answer it got.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Submission {
    pub turn: u32,
    pub id: ClientMsgId,
    pub orders: Vec<Order>,
    /// How many times it was sent (more than once after `RoomUnavailable` or a lost socket).
    pub sends: u32,
    pub outcomes: Vec<CommandOutcome>,
}

/// What one Frontier player saw and did.
#[derive(Clone, Debug, Default)]
pub struct FrontierStats {
    pub player: Option<PlayerId>,
    pub frames: u64,
    pub decode_errors: u64,
    pub gaps: u64,
    /// Frames at or before the last applied one (the resume contract says none).
    pub duplicates: u64,
    pub turns_submitted: u32,
    pub accepted: u32,
    pub rejected: Vec<String>,
    /// Commands sent again with their id (after `RoomUnavailable` or a reconnect).
    pub resent: u32,
    /// Connections replaced after one was lost.
    pub reconnects: u32,
    pub submissions: Vec<Submission>,
    /// The last view (the final scoreboard once the match is over).
    pub view: Option<FrontierView>,
    pub match_ended: bool,
}

/// What a player reports as it plays (tests watch it; `Sending` comes before the bytes go).
#[derive(Debug)]
pub enum Note<'a> {
    /// A frame that applies, before it is applied.
    Frame(&'a Frame),
    /// This turn's orders are about to be sent (the first time) under `id`.
    Sending { turn: u32, id: ClientMsgId },
    /// A new connection joined, through `gateway`.
    Resumed { gateway: &'a str },
}

/// The command sent and not yet acknowledged.
struct Pending {
    id: ClientMsgId,
    payload: Vec<u8>,
    since: Instant,
}

/// A seat in one room, played through any of several gateways.
pub struct FrontierPlayer {
    gateways: Vec<String>,
    token: String,
    room: RoomId,
    gateway: usize,
    conn: Option<Connection>,
    cursor: Option<HistoryPos>,
    pending: Option<Pending>,
    /// Whether the view is from this connection (its keyframe came): never order from a
    /// view the socket lost, whose turn may be over.
    synced: bool,
    next_id: u32,
    submitted_turn: u32,
    /// When the current turn was first seen, for `think`.
    turn_seen: (u32, Instant),
    /// How long to wait after a turn starts before ordering (a person thinks; a bot that
    /// answers at once ends a blitz match in seconds).
    pub think: Duration,
    /// How long an acknowledgement may take before the socket is given up for lost.
    pub ack_patience: Duration,
    pub stats: FrontierStats,
}

impl FrontierPlayer {
    /// A player of `room` with `token`, through `gateways` (WebSocket URLs, the first tried first).
    pub fn new(gateways: Vec<String>, token: String, room: RoomId) -> Self {
        assert!(!gateways.is_empty(), "a player needs a gateway");
        Self {
            gateways,
            token,
            room,
            gateway: 0,
            conn: None,
            cursor: None,
            pending: None,
            synced: false,
            // Ids a room remembers are answered with their first outcome and not applied:
            // a player started again in the same room must not reuse its earlier ones, so
            // they start from the wall clock in milliseconds (one command a millisecond
            // would be needed to catch up with it).
            next_id: orrery_common::time::now_ms() as u32,
            submitted_turn: 0,
            turn_seen: (0, Instant::now()),
            think: Duration::ZERO,
            ack_patience: ACK_PATIENCE,
            stats: FrontierStats::default(),
        }
    }

    /// Play until the match ends or `limit` passes.
    pub async fn play(&mut self, limit: Duration, observe: &mut (dyn FnMut(Note<'_>) + Send)) -> Result<()> {
        self.play_until(limit, &mut |_| false, observe).await
    }

    /// Play until the match ends, `limit` passes, or `stop` holds for the view while no
    /// command waits for its acknowledgement (the socket stays open).
    pub async fn play_until(
        &mut self,
        limit: Duration,
        stop: &mut (dyn FnMut(&FrontierView) -> bool + Send),
        observe: &mut (dyn FnMut(Note<'_>) + Send),
    ) -> Result<()> {
        let until = Instant::now() + limit;
        while !self.stats.match_ended {
            if self.conn.is_none() {
                self.reconnect(until, observe).await?;
            }
            if self.pending.is_none() && self.stats.view.as_ref().is_some_and(&mut *stop) {
                return Ok(());
            }
            let order_at = self.order_at();
            if order_at.is_some_and(|at| at <= Instant::now()) {
                self.submit(observe).await;
                continue;
            }
            let ack_due = self.pending.as_ref().map(|p| p.since + self.ack_patience);
            let wake = [order_at, ack_due].into_iter().flatten().min();
            let conn = self.conn.as_mut().expect("connected above");
            let woke = tokio::select! {
                _ = tokio::time::sleep_until(until) => return Ok(()),
                _ = async { match wake { Some(at) => tokio::time::sleep_until(at).await, None => std::future::pending().await } } => None,
                e = conn.next_event() => Some(e),
            };
            match woke {
                // A command unanswered for too long: the gateway hangs; go elsewhere.
                None if ack_due.is_some_and(|at| at <= Instant::now()) => self.lose_connection(),
                None => {}
                Some(Ok(event)) => self.handle(event, observe).await?,
                Some(Err(_)) => self.lose_connection(),
            }
        }
        Ok(())
    }

    /// Close the socket as a player closing the page does (the room's grace starts); the
    /// next `play` comes back through the next gateway with where this one was.
    pub async fn disconnect(&mut self) {
        if let Some(conn) = self.conn.take() {
            self.cursor = conn.cursor();
            self.synced = false;
            let _ = conn.close().await;
            self.gateway = (self.gateway + 1) % self.gateways.len();
        }
    }

    /// The position of the last frame applied.
    pub fn cursor(&self) -> Option<HistoryPos> {
        self.conn.as_ref().map_or(self.cursor, Connection::cursor)
    }

    /// When this turn's orders are due, if they are.
    fn order_at(&mut self) -> Option<Instant> {
        let view = self.stats.view.as_ref().filter(|_| self.synced)?;
        let mine = view.mine.as_ref()?;
        let done = view.public.seats.get(usize::from(mine.seat)).is_none_or(|s| s.submitted || !s.alive);
        if view.public.phase != Phase::Running || done || self.submitted_turn >= view.public.turn || self.pending.is_some() {
            return None;
        }
        if self.turn_seen.0 != view.public.turn {
            self.turn_seen = (view.public.turn, Instant::now());
        }
        Some(self.turn_seen.1 + self.think)
    }

    async fn submit(&mut self, observe: &mut (dyn FnMut(Note<'_>) + Send)) {
        let Some(view) = &self.stats.view else { return };
        let Some(mine) = &view.mine else { return };
        let turn = view.public.turn;
        let orders = orrery_frontier::bots::orders(mine, view.public.width, view.public.height);
        let payload = encode_command(&FrontierCommand { turn, action: Action::Submit(orders.clone()) });
        let id = ClientMsgId(self.next_id);
        self.next_id = self.next_id.wrapping_add(1);
        observe(Note::Sending { turn, id });
        self.submitted_turn = turn;
        self.stats.turns_submitted += 1;
        self.stats.submissions.push(Submission { turn, id, orders, sends: 1, outcomes: Vec::new() });
        self.pending = Some(Pending { id, payload: payload.clone(), since: Instant::now() });
        if let Some(conn) = self.conn.as_mut()
            && conn.send(&ClientMsg::Command { id, payload }).await.is_err()
        {
            self.lose_connection();
        }
    }

    async fn handle(&mut self, event: Event, observe: &mut (dyn FnMut(Note<'_>) + Send)) -> Result<()> {
        match event {
            Event::Frame(frame) => {
                observe(Note::Frame(&frame));
                self.stats.frames += 1;
                let applied = match (frame.kind, self.stats.view.as_mut()) {
                    (FrameKind::Keyframe, _) => FrontierView::from_keyframe(&frame.payload).map(|v| self.stats.view = Some(v)),
                    (FrameKind::Delta { .. }, Some(v)) => v.apply_delta(&frame.payload),
                    (FrameKind::Delta { .. }, None) => Ok(()),
                };
                self.synced |= frame.kind == FrameKind::Keyframe && applied.is_ok();
                if applied.is_err() {
                    self.stats.decode_errors += 1;
                    self.stats.view = None;
                    self.send(&ClientMsg::Resync).await;
                } else if self.stats.view.as_ref().is_some_and(|v| v.public.phase == Phase::Closable) {
                    self.stats.match_ended = true;
                }
            }
            Event::Message(ServerMsg::CommandAck { id, outcome }) => {
                if self.pending.as_ref().is_some_and(|p| p.id == id) {
                    self.pending = None;
                }
                if let Some(s) = self.stats.submissions.iter_mut().find(|s| s.id == id) {
                    s.outcomes.push(outcome.clone());
                }
                match outcome {
                    CommandOutcome::Accepted => self.stats.accepted += 1,
                    CommandOutcome::Rejected { reason } => self.stats.rejected.push(reason),
                }
            }
            Event::Message(ServerMsg::Error { code: ErrorCode::RoomUnavailable, .. }) => {
                if let Some(p) = self.pending.as_mut() {
                    // The gateway answers: it is the room that is slow (a failover).
                    p.since = Instant::now();
                    let msg = ClientMsg::Command { id: p.id, payload: p.payload.clone() };
                    tokio::time::sleep(Duration::from_millis(200)).await;
                    self.count_resend();
                    self.send(&msg).await;
                }
            }
            Event::Message(ServerMsg::GoAway { reconnect_after_ms, .. }) => {
                tokio::time::sleep(Duration::from_millis(u64::from(reconnect_after_ms))).await;
                self.lose_connection();
            }
            Event::Message(ServerMsg::RoomClosed { .. }) => self.stats.match_ended = true,
            Event::Gap { .. } => self.stats.gaps += 1,
            Event::Duplicate { .. } => self.stats.duplicates += 1,
            Event::Closed { code, reason } if resumable(code, &reason) => self.lose_connection(),
            Event::Closed { code, reason } => return Err(Error::Closed { code, reason }),
            Event::Message(_) => {}
        }
        Ok(())
    }

    async fn send(&mut self, msg: &ClientMsg) {
        if let Some(conn) = self.conn.as_mut()
            && conn.send(msg).await.is_err()
        {
            self.lose_connection();
        }
    }

    /// The socket is gone: keep where it was, and try the next gateway first.
    fn lose_connection(&mut self) {
        if let Some(conn) = self.conn.take() {
            self.cursor = conn.cursor();
            self.synced = false;
            self.gateway = (self.gateway + 1) % self.gateways.len();
        }
    }

    /// Connect (rotating gateways, backing off), join with the cursor, resend the
    /// unacknowledged command.
    async fn reconnect(&mut self, until: Instant, observe: &mut (dyn FnMut(Note<'_>) + Send)) -> Result<()> {
        let mut attempt = 0;
        loop {
            let url = self.gateways[self.gateway].clone();
            let joined = tokio::time::timeout(JOIN_PATIENCE, self.try_join(&url)).await.unwrap_or(Err(Error::Timeout("Joined")));
            match joined {
                Ok(()) => {
                    if self.stats.player.is_some() {
                        self.stats.reconnects += 1;
                    }
                    self.stats.player = self.conn.as_ref().map(Connection::player);
                    observe(Note::Resumed { gateway: &url });
                    return Ok(());
                }
                Err(Error::Server { code, message }) if code != ErrorCode::RoomUnavailable => return Err(Error::Server { code, message }),
                Err(e) if attempt + 1 >= MAX_FAILED_ATTEMPTS || Instant::now() >= until => return Err(e),
                Err(_) => {
                    self.gateway = (self.gateway + 1) % self.gateways.len();
                    let wait = crate::session::backoff(attempt, Duration::from_millis(50), Duration::from_secs(2));
                    tokio::time::sleep(wait.min(until.saturating_duration_since(Instant::now()))).await;
                    attempt += 1;
                }
            }
        }
    }

    async fn try_join(&mut self, url: &str) -> Result<()> {
        let mut conn = Connection::connect(url, &self.token).await?;
        conn.resume_from(self.cursor);
        conn.join(self.room).await?;
        if let Some(p) = self.pending.as_mut() {
            conn.send(&ClientMsg::Command { id: p.id, payload: p.payload.clone() }).await?;
            p.since = Instant::now();
            self.count_resend();
        }
        self.conn = Some(conn);
        Ok(())
    }

    fn count_resend(&mut self) {
        self.stats.resent += 1;
        let id = self.pending.as_ref().map(|p| p.id);
        if let Some(s) = self.stats.submissions.iter_mut().find(|s| Some(s.id) == id) {
            s.sends += 1;
        }
    }
}

/// Whether a close code says "reconnect and resume" (§8.2): a draining or failed gateway,
/// a slow or idle socket, a transport failure; not a kick, a replacement or a client bug.
fn resumable(code: u16, reason: &str) -> bool {
    matches!(code, close::GOING_AWAY | close::INTERNAL | close::SLOW_CONSUMER | close::IDLE_TIMEOUT | 1005 | 1006)
        || (code == close::NORMAL && reason == "transport")
}

/// Join `room` through `gateways` with `token` and play until the match closes or
/// `duration` passes, reconnecting through the other gateways when a socket is lost.
pub async fn play(gateways: Vec<String>, token: String, room: RoomId, duration: Duration) -> Result<FrontierStats> {
    let mut player = FrontierPlayer::new(gateways, token, room);
    player.play(duration, &mut |_| {}).await?;
    player.disconnect().await;
    Ok(player.stats)
}
