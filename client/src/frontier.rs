//! A Frontier player through the gateways: it keeps its own `FrontierView` from the frames
//! it is sent and, each turn, submits what the game's bot orders from that view (the same
//! fog as any player).
//!
//! It plays through a [`Session`], which survives the connection as protocol §7.3 says a
//! client must: when the socket is lost (a gateway killed, a network error, a `GoAway`,
//! or a command unanswered for [`FrontierPlayer::ack_patience`]: a hung gateway) the
//! session joins through the next gateway with the position of the last frame applied
//! (its keyframe then holds everything up to there, and only later frames follow) and
//! resends the command not acknowledged yet, with the same id, so the room applies it at
//! most once. This player adds only the game: after a reconnect it orders only from the
//! new keyframe's view, and it keeps one command in flight at a time (a turn's orders).

use crate::commands::Answered;
use crate::session::{Session, SessionConfig, SessionEvent};
use crate::{Error, Result};
use orrery_common::game::Phase;
use orrery_common::protocol::client::{CommandOutcome, Frame, FrameKind, ServerMsg};
use orrery_common::{ClientMsgId, HistoryPos, PlayerId, RoomId};
use orrery_frontier::state::Order;
use orrery_frontier::{Action, FrontierCommand, FrontierView, encode_command};
use std::time::Duration;
use tokio::time::Instant;

/// How long an acknowledgement may take before the socket is taken for lost (the
/// session's default: a gateway that works answers within 2 s, §4.3).
const ACK_PATIENCE: Duration = Duration::from_secs(3);

/// One turn's orders as this player submitted them, and the answer it got.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Submission {
    pub turn: u32,
    pub id: ClientMsgId,
    pub orders: Vec<Order>,
    /// How many times it was sent (more than once after `RoomUnavailable` or a lost
    /// socket), as the session counted when the answer came.
    pub sends: u32,
    /// The answers reported: the session reports a command's first answer only, so one
    /// once answered.
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
    /// Sends of answered commands beyond their first (after `RoomUnavailable` or a reconnect).
    pub resent: u32,
    /// Answers to commands already answered: the session reports a command's first answer
    /// only, so a second answer to the same id shows up here and nowhere else.
    pub late_acks: u64,
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

/// A seat in one room, played through any of several gateways.
pub struct FrontierPlayer {
    config: SessionConfig,
    /// Started by the first `play`.
    session: Option<Session>,
    /// Whether the view is from this connection (its keyframe came): never order from a
    /// view the socket lost, whose turn may be over.
    synced: bool,
    submitted_turn: u32,
    /// When the current turn was first seen, for `think`.
    turn_seen: (u32, Instant),
    /// How long to wait after a turn starts before ordering (a person thinks; a bot that
    /// answers at once ends a blitz match in seconds).
    pub think: Duration,
    /// How long an acknowledgement may take before the socket is given up for lost (read
    /// when the session starts, at the first `play`).
    pub ack_patience: Duration,
    pub stats: FrontierStats,
}

impl FrontierPlayer {
    /// A player of `room` with `token`, through `gateways` (WebSocket URLs, the first tried first).
    pub fn new(gateways: Vec<String>, token: String, room: RoomId) -> Self {
        assert!(!gateways.is_empty(), "a player needs a gateway");
        let mut config = SessionConfig::new(gateways, token, room);
        // A turn lasts seconds: retry soon, and through more gateways before giving up.
        config.backoff_max = Duration::from_secs(2);
        config.breaker_failures = 12;
        Self {
            config,
            session: None,
            synced: false,
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
        if self.session.is_none() {
            let mut config = self.config.clone();
            config.ack_patience = self.ack_patience;
            let session = tokio::time::timeout_at(until, Session::start(config)).await.map_err(|_| Error::Timeout("Joined"))??;
            self.stats.player = session.player();
            observe(Note::Resumed { gateway: session.gateway() });
            self.session = Some(session);
        }
        while !self.stats.match_ended {
            let idle = self.session.as_ref().is_some_and(|s| s.unanswered() == 0);
            if idle && self.stats.view.as_ref().is_some_and(&mut *stop) {
                return Ok(());
            }
            let order_at = self.order_at();
            if order_at.is_some_and(|at| at <= Instant::now()) {
                self.submit(observe).await;
                continue;
            }
            let session = self.session.as_mut().expect("started above");
            // Waking up to order drops a reconnect under way, which only starts again:
            // `order_at` is none while the session has no socket, so this is at most once.
            let woke = tokio::select! {
                _ = tokio::time::sleep_until(until) => return Ok(()),
                _ = async { match order_at { Some(at) => tokio::time::sleep_until(at).await, None => std::future::pending().await } } => None,
                e = session.next_event() => Some(e),
            };
            if let Some(event) = woke {
                self.handle(event?, observe).await;
            }
        }
        Ok(())
    }

    /// Close the socket as a player closing the page does (the room's grace starts); the
    /// next `play` comes back through the next gateway with where this one was.
    pub async fn disconnect(&mut self) {
        if let Some(session) = self.session.as_mut() {
            session.disconnect().await;
            self.synced = false;
        }
    }

    /// The position of the last frame applied.
    pub fn cursor(&self) -> Option<HistoryPos> {
        self.session.as_ref().and_then(Session::cursor)
    }

    /// When this turn's orders are due, if they are.
    fn order_at(&mut self) -> Option<Instant> {
        // One command in flight, and none sent into a socket that is not there.
        self.session.as_ref().filter(|s| s.is_connected() && s.unanswered() == 0)?;
        let view = self.stats.view.as_ref().filter(|_| self.synced)?;
        let mine = view.mine.as_ref()?;
        let done = view.public.seats.get(usize::from(mine.seat)).is_none_or(|s| s.submitted || !s.alive);
        if view.public.phase != Phase::Running || done || self.submitted_turn >= view.public.turn {
            return None;
        }
        if self.turn_seen.0 != view.public.turn {
            self.turn_seen = (view.public.turn, Instant::now());
        }
        Some(self.turn_seen.1 + self.think)
    }

    async fn submit(&mut self, observe: &mut (dyn FnMut(Note<'_>) + Send)) {
        let (Some(view), Some(session)) = (&self.stats.view, self.session.as_mut()) else { return };
        let Some(mine) = &view.mine else { return };
        let turn = view.public.turn;
        let orders = orrery_frontier::bots::orders(mine, view.public.width, view.public.height);
        let payload = encode_command(&FrontierCommand { turn, action: Action::Submit(orders.clone()) });
        let id = session.next_command_id();
        observe(Note::Sending { turn, id });
        self.submitted_turn = turn;
        self.stats.turns_submitted += 1;
        self.stats.submissions.push(Submission { turn, id, orders, sends: 1, outcomes: Vec::new() });
        let sent = session.command(payload).await;
        debug_assert_eq!(sent, id, "the id announced is the one sent");
    }

    async fn handle(&mut self, event: SessionEvent, observe: &mut (dyn FnMut(Note<'_>) + Send)) {
        match event {
            SessionEvent::Frame(frame) => {
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
                    if let Some(session) = self.session.as_mut() {
                        session.resync().await;
                    }
                } else if self.stats.view.as_ref().is_some_and(|v| v.public.phase == Phase::Closable) {
                    self.stats.match_ended = true;
                }
            }
            SessionEvent::Resumed { gateway, .. } => {
                // The view is the lost socket's until the new keyframe comes.
                self.synced = false;
                self.stats.reconnects += 1;
                self.stats.player = self.session.as_ref().and_then(Session::player);
                observe(Note::Resumed { gateway: &gateway });
            }
            SessionEvent::CommandAck(Answered { id, outcome, sends }) => {
                self.stats.resent += sends.saturating_sub(1);
                if let Some(s) = self.stats.submissions.iter_mut().find(|s| s.id == id) {
                    s.sends = sends;
                    s.outcomes.push(outcome.clone());
                }
                match outcome {
                    CommandOutcome::Accepted => self.stats.accepted += 1,
                    CommandOutcome::Rejected { reason } => self.stats.rejected.push(reason),
                }
            }
            SessionEvent::Message(ServerMsg::RoomClosed { .. }) => self.stats.match_ended = true,
            SessionEvent::Gap => self.stats.gaps += 1,
            SessionEvent::Message(_) => {}
        }
        self.stats.duplicates = self.session.as_ref().map_or(0, Session::duplicates);
        self.stats.late_acks = self.session.as_ref().map_or(0, Session::late_acks);
    }
}

/// Join `room` through `gateways` with `token` and play until the match closes or
/// `duration` passes, reconnecting through the other gateways when a socket is lost.
pub async fn play(gateways: Vec<String>, token: String, room: RoomId, duration: Duration) -> Result<FrontierStats> {
    let mut player = FrontierPlayer::new(gateways, token, room);
    player.play(duration, &mut |_| {}).await?;
    player.disconnect().await;
    Ok(player.stats)
}
