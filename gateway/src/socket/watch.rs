//! Watching a room without a seat (`ClientMsg::Watch`): the checks a join makes (the room
//! is open, the player may enter it), the hub's fan-out as a spectator, and the owner's
//! spectator keyframe, or its refusal when the room has as many spectators as it takes.
//! A spectator socket gets no presence and replaces no other socket; its inputs and
//! commands are refused (`ErrorCode::Spectating`, in `dispatch.rs`); it stops watching
//! with `Leave` or when it closes (`membership.rs` sends the owner `Unwatch` then).

use super::Session;
use crate::hub::Role;
use orrery_common::RoomId;
use orrery_common::protocol::client::{ErrorCode, ServerMsg};
use orrery_common::protocol::internal::LeaveReason;
use tracing::warn;

impl Session {
    /// This socket's role in its room.
    pub(super) fn role(&self) -> Role {
        let player = self.identity.player;
        if self.watching { Role::Spectator { player, socket: self.nonce } } else { Role::Player(player) }
    }

    /// Watch `room`, leaving (or no longer watching) the room this socket is in.
    pub(super) async fn watch(&mut self, room: RoomId) {
        if !self.may_enter(room).await {
            return;
        }
        if self.watching && self.room == Some(room) {
            return self.resync(room).await;
        }
        if let Some(old) = self.room.take() {
            self.leave(old, LeaveReason::Left).await;
        }
        self.watching = true;
        // A spectator holds no seat: no later join of the player replaces it.
        self.joined_at_ms = 0;
        if let Err(e) = self.app.hub.attach(room, self.id, self.role(), self.tx.clone()).await {
            warn!(%room, error = %e, "cannot subscribe to the room");
            self.watching = false;
            return self.error(ErrorCode::Internal, crate::error::INTERNAL_MESSAGE).await;
        }
        self.room = Some(room);
        match self.app.owner.watch(room, self.identity.player, self.nonce).await {
            Ok(keyframe) => {
                self.send(&ServerMsg::Watching { room, tick_hz: keyframe.tick_hz }).await;
                self.app.hub.deliver_keyframe(room, self.id, keyframe.frame);
            }
            Err(e) => {
                self.app.hub.detach(room, self.id);
                self.room = None;
                self.watching = false;
                self.fail(&e).await;
            }
        }
    }

    /// Refuse what a spectator may not send; true when this socket is one.
    pub(super) async fn refuse_if_watching(&self) -> bool {
        if self.watching {
            self.error(ErrorCode::Spectating, "a spectator sends no inputs or commands: join the room to play").await;
        }
        self.watching
    }
}
