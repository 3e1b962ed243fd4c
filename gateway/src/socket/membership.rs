//! The socket's room: join (checks, the hub's fan-out, the owner's seat and keyframe,
//! presence), leave, resync, and telling a socket its room closed when it asks a room
//! that is gone.

use super::Session;
use crate::owner_client::{Keyframe, OwnerError};
use crate::room_records::RoomStatus;
use orrery_common::RoomId;
use orrery_common::protocol::client::{ErrorCode, Resume, ServerMsg};
use orrery_common::protocol::encode;
use orrery_common::protocol::internal::{LeaveReason, PlayerEvent};
use tokio::time::Instant;
use tracing::field::Empty;
use tracing::{Instrument, Span, debug, info_span, warn};

impl Session {
    /// The `join` span: the root of one trace that the room's owner continues (its
    /// context travels in the control request's NATS headers).
    pub(super) async fn join(&mut self, room: RoomId, resume: Option<Resume>) {
        let span = info_span!("join", %room, player = %self.identity.player, resume = resume.is_some(), outcome = Empty);
        self.connect.add_to(&span);
        self.join_traced(room, resume).instrument(span).await
    }

    async fn join_traced(&mut self, room: RoomId, resume: Option<Resume>) {
        let started = Instant::now();
        if !self.may_enter(room).await {
            return;
        }
        // A spectator that joins stops watching, the same room too.
        if let Some(old) = self.room.take_if(|old| *old != room || self.watching) {
            self.leave(old, LeaveReason::Left).await;
        }
        let player = self.identity.player;
        if let Err(e) = self.app.hub.attach(room, self.id, self.role(), self.tx.clone()).await {
            warn!(%room, error = %e, "cannot subscribe to the room");
            return self.error(ErrorCode::Internal, crate::error::INTERNAL_MESSAGE).await;
        }
        self.room = Some(room);
        match self.app.owner.join(room, player, self.identity.name.clone(), self.nonce).await {
            Ok(Keyframe { tick_hz, last_input, frame }) => {
                if let Err(e) = self.app.presence.seated(player, room).await {
                    warn!(error = %e, "presence not recorded");
                }
                self.send(&ServerMsg::Joined { room, tick_hz, last_input }).await;
                self.app.hub.deliver_keyframe(room, self.id, frame);
                self.replace_older_sockets(room).await;
                self.app.metrics.joins.inc();
                if resume.is_some() {
                    self.app.metrics.resumes.inc();
                    self.app.metrics.resume_duration.observe(started.elapsed().as_secs_f64());
                }
                self.app.metrics.join_duration.observe(started.elapsed().as_secs_f64());
                Span::current().record("outcome", "joined");
            }
            Err(e) => {
                let outcome = match e {
                    OwnerError::Refused { .. } | OwnerError::SpectatorsFull { .. } => "refused",
                    OwnerError::NoAnswer | OwnerError::Unexpected { .. } => "unavailable",
                };
                Span::current().record("outcome", outcome);
                self.app.hub.detach(room, self.id);
                self.room = None;
                self.fail(&e).await;
            }
        }
    }

    /// Whether this socket's player may enter `room` (to play or to watch): the player may
    /// (not kicked; invited to a private room, placed in a matchmade one) and the room is
    /// open. The client is told why not.
    pub(super) async fn may_enter(&self, room: RoomId) -> bool {
        if let Err(e) = self.app.room_records.may_join(room, self.identity.player).await {
            self.fail(&e).await;
            return false;
        }
        match self.app.room_records.status(room).await {
            Ok(RoomStatus::Open(_)) => true,
            Ok(RoomStatus::Closed | RoomStatus::Unknown) => {
                self.error(ErrorCode::RoomNotFound, &format!("room {room} does not exist or is closed")).await;
                false
            }
            Err(e) => {
                self.fail(&e).await;
                false
            }
        }
    }

    /// Tell every gateway this socket now holds the player's seat in `room`: an older
    /// socket of the player in that room closes with 4007 (`docs/protocol.md` §7.5).
    async fn replace_older_sockets(&mut self, room: RoomId) {
        self.joined_at_ms = orrery_common::time::now_ms();
        let event = encode(&PlayerEvent::Joined { room, socket: self.nonce, at_ms: self.joined_at_ms });
        if let Err(e) = self.app.nats.publish(self.app.names.player_events(self.identity.player), event.into()).await {
            warn!(%room, error = %e, "join not announced to the player's other sockets");
        }
    }

    /// Fetch a keyframe for this socket. A room that closed gets `RoomClosed` again
    /// instead (the first one may have been missed, or ignored): without an answer a client
    /// asking for a keyframe would ask forever.
    pub(super) async fn resync(&mut self, room: RoomId) {
        if self.answer_if_closed(room).await {
            return;
        }
        self.app.metrics.resyncs.inc();
        if !self.app.hub.resync(room, self.id, self.role()).await {
            // Nobody answered: a failover (the new owner's first frame is a keyframe), or a
            // room that closed without this gateway hearing `rooms.closed`.
            self.answer_if_found_closed(room).await;
        }
    }

    /// When the hub no longer holds this socket's `room`, the room closed (the hub told the
    /// socket then): say `RoomClosed` again and forget the room. True when it did.
    pub(super) async fn answer_if_closed(&mut self, room: RoomId) -> bool {
        if self.app.hub.is_attached(room, self.id) {
            return false;
        }
        self.room = None;
        self.send(&ServerMsg::RoomClosed { room }).await;
        true
    }

    /// The room's owner did not answer: if PostgreSQL says the room is closed, tell every
    /// socket of the room here (this one included) and forget it. True when it did.
    pub(super) async fn answer_if_found_closed(&mut self, room: RoomId) -> bool {
        let Ok(RoomStatus::Closed | RoomStatus::Unknown) = self.app.room_records.status(room).await else { return false };
        let told = self.app.hub.close_room(room);
        debug!(%room, sockets = told, "room found closed after an unanswered request");
        self.room = None;
        if told == 0 {
            self.send(&ServerMsg::RoomClosed { room }).await;
        }
        true
    }

    pub(super) async fn leave(&mut self, room: RoomId, reason: LeaveReason) {
        if !self.app.hub.is_attached(room, self.id) {
            // The room closed (or never seated us): nobody to tell.
            return;
        }
        let span = info_span!("leave", %room, player = %self.identity.player, reason = ?reason);
        self.connect.add_to(&span);
        self.app.hub.detach(room, self.id);
        if std::mem::take(&mut self.watching) {
            let _ = self.app.owner.unwatch(room, self.identity.player, self.nonce).instrument(span).await;
            return;
        }
        let _ = self.app.owner.leave(room, self.identity.player, reason, self.nonce).instrument(span).await;
    }

    pub(super) async fn cleanup(&mut self) {
        if self.queued {
            let _ = self.app.matchmaker.cancel(self.identity.player).await;
        }
        if let Some(room) = self.room.take() {
            let seated = !self.watching;
            self.leave(room, LeaveReason::Disconnected).await;
            if seated {
                let _ = self.app.presence.offline(self.identity.player).await;
            }
        }
    }
}
