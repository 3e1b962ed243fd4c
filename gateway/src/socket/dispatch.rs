//! Routing: each client message and player event to what handles it. Joins, leaves and
//! resyncs are [`super::membership`]'s, watching [`super::watch`]'s; inputs are published to the room here, commands
//! go to its owner, matchmaking requests to the matchmaker.

use super::Session;
use crate::error::SessionEnd;
use crate::matchmaking::QueueOutcome;
use orrery_common::protocol::client::{ClientMsg, ErrorCode, ServerMsg};
use orrery_common::protocol::encode;
use orrery_common::protocol::internal::{LeaveReason, PlayerEvent};
use orrery_common::time::now_ms;
use orrery_common::{ClientMsgId, InputSeq, RoomId, SocketId};
use std::time::Duration;
use tokio::time::Instant;
use tracing::{debug, warn};

/// Presence (`player:<id>`) is refreshed on pings at most this often while connected.
const PRESENCE_REFRESH: Duration = Duration::from_secs(60);

impl Session {
    /// Handle one client message; `Some` when it ends the socket.
    pub(super) async fn handle(&mut self, msg: ClientMsg) -> Option<SessionEnd> {
        match msg {
            ClientMsg::Join { room, resume } => self.join(room, resume).await,
            ClientMsg::Input { seq, payload } => self.input(seq, payload).await,
            ClientMsg::Command { id, payload } => self.command(id, payload).await,
            ClientMsg::Resync => match self.room {
                Some(room) => self.resync(room).await,
                None => self.error(ErrorCode::NotInRoom, "join a room first").await,
            },
            ClientMsg::Watch { room } => self.watch(room).await,
            ClientMsg::Leave => {
                if let Some(room) = self.room.take() {
                    let seated = !self.watching;
                    self.leave(room, LeaveReason::Left).await;
                    if seated {
                        let _ = self.app.presence.left(self.identity.player).await;
                    }
                }
                return Some(SessionEnd::Normal);
            }
            ClientMsg::Ping { client_time_us } => {
                let tick = self.room.and_then(|r| self.app.hub.latest_tick(r));
                self.send(&ServerMsg::Pong { client_time_us, server_time_ms: now_ms(), tick }).await;
                if self.touched.elapsed() >= PRESENCE_REFRESH {
                    self.touched = Instant::now();
                    let _ = self.app.presence.touch(self.identity.player).await;
                }
            }
            ClientMsg::Queue { mode, region, party } => {
                let req = crate::matchmaking::QueueRequest { mode, region, party };
                match self.app.matchmaker.enqueue(self.identity.player, &req).await {
                    Ok(QueueOutcome::Queued { ticket }) => {
                        self.queued = true;
                        self.send(&ServerMsg::Queued { ticket }).await;
                    }
                    Ok(QueueOutcome::InRoom { room }) => self.matched(room).await,
                    Err(e) => self.fail(&e).await,
                }
            }
            ClientMsg::LeaveQueue => {
                self.queued = false;
                match self.app.matchmaker.cancel(self.identity.player).await {
                    Ok(_) => self.send(&ServerMsg::QueueLeft).await,
                    Err(e) => self.fail(&e).await,
                }
            }
            ClientMsg::JoinByCode { code } => match self.app.room_records.by_code(&code, self.identity.player).await {
                Ok(room) => self.join(room, None).await,
                Err(e) => self.fail(&e).await,
            },
        }
        None
    }

    /// Placed by the matchmaker (or sent back to a live match): join the room, unless
    /// this socket is already in it.
    async fn matched(&mut self, room: RoomId) {
        self.queued = false;
        self.send(&ServerMsg::Matched { room }).await;
        if self.room != Some(room) {
            self.join(room, None).await;
        }
    }

    /// Handle a player event (placed by the matchmaker, kicked); `Some` when it ends the socket.
    pub(super) async fn player_event(&mut self, event: PlayerEvent) -> Option<SessionEnd> {
        match event {
            PlayerEvent::Placed { room } => self.matched(room).await,
            // A kick reaches only a socket in the room it names: the player's sockets in
            // other rooms, or in none, are not the room creator's to close.
            PlayerEvent::Kicked { room } if self.room == Some(room) => {
                // A kicked player may not watch either: a spectator stops watching.
                if self.watching {
                    self.leave(room, LeaveReason::Kicked).await;
                }
                self.app.hub.detach(room, self.id);
                self.room = None;
                self.send(&ServerMsg::Kicked { room }).await;
                return Some(SessionEnd::Kicked);
            }
            PlayerEvent::Joined { room, socket, at_ms } => return self.replaced_by(room, socket, at_ms),
            PlayerEvent::Kicked { room } => debug!(%room, "kick from a room this socket is not in ignored"),
        }
        None
    }

    /// Another socket of this player joined `room` at `at_ms`: if this one joined it
    /// before, it is replaced (ties go to the larger socket id). The room already seats the
    /// newer socket, so this one leaves without telling it. An older join's event arriving
    /// late changes nothing.
    fn replaced_by(&mut self, room: RoomId, socket: SocketId, at_ms: u64) -> Option<SessionEnd> {
        let newer = (at_ms, socket.0) > (self.joined_at_ms, self.nonce.0);
        if self.room != Some(room) || socket == self.nonce || self.joined_at_ms == 0 || !newer {
            return None;
        }
        self.app.hub.detach(room, self.id);
        self.room = None;
        Some(SessionEnd::Replaced)
    }

    /// Publish an input to the room, stamped with the player id of the socket's token.
    async fn input(&mut self, seq: InputSeq, payload: Vec<u8>) {
        let Some(room) = self.room else {
            return self.error(ErrorCode::NotInRoom, "join a room first").await;
        };
        if self.refuse_if_watching().await {
            return;
        }
        let envelope = orrery_common::protocol::internal::InputEnvelope { player: self.identity.player, seq, payload };
        if let Err(e) = self.app.nats.publish(self.app.names.room_input(room), encode(&envelope).into()).await {
            warn!(%room, error = %e, "input not published");
        }
    }

    /// Forward a command to the room's owner and acknowledge it on this socket.
    async fn command(&mut self, id: ClientMsgId, payload: Vec<u8>) {
        let Some(room) = self.room else {
            return self.error(ErrorCode::NotInRoom, "join a room first").await;
        };
        if self.refuse_if_watching().await {
            return;
        }
        // A command in a closed room would otherwise be told to resend, forever.
        if self.answer_if_closed(room).await {
            return;
        }
        match self.app.owner.command(room, self.identity.player, id, payload).await {
            Ok(outcome) => self.send(&ServerMsg::CommandAck { id, outcome }).await,
            Err(_) if self.answer_if_found_closed(room).await => {}
            // No answer: the client resends; the room applies it at most once.
            Err(e) => {
                debug!(%room, error = %e, "command not answered");
                self.error(ErrorCode::RoomUnavailable, "the room did not answer; resend the command").await
            }
        }
    }
}
