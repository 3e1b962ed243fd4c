//! The one place the worker encodes a room's state for clients (invariant I8).
//!
//! A shared game ([`Views::Shared`]) is encoded once for everybody and its frames carry
//! [`Parts::Shared`]: no other work, no allocation beyond the payload. A per-viewer game
//! ([`Views::PerViewer`]) is encoded as the part every viewer may see plus one part per
//! viewer: every seated player in a tick's frame, the asking player alone in a join or
//! resync reply. Every frame the room publishes or replies with (ticks, the first keyframe
//! of an epoch, joins, resyncs) comes from [`encode`].

use orrery_common::PlayerId;
use orrery_common::game::{Game, Views};
use orrery_common::protocol::internal::{Parts, ViewPart};

/// A keyframe or a delta.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Encoding {
    Keyframe,
    Delta,
}

/// Whom a frame is for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Viewers {
    /// Everybody seated: a tick's frame, published to every gateway.
    Seated,
    /// One player: the reply to its join or resync.
    One(PlayerId),
}

/// The payload (the shared part) and the parts of a frame of `game`, whose frames are
/// encoded as `views` says.
pub(super) fn encode(game: &dyn Game, views: Views, encoding: Encoding, viewers: Viewers) -> (Vec<u8>, Parts) {
    let mut payload = Vec::new();
    match encoding {
        Encoding::Keyframe => game.encode_keyframe(&mut payload),
        Encoding::Delta => game.encode_delta(&mut payload),
    }
    if views == Views::Shared {
        return (payload, Parts::Shared);
    }
    let part = |player: PlayerId| {
        let mut bytes = Vec::new();
        match encoding {
            Encoding::Keyframe => game.encode_keyframe_view(player, &mut bytes),
            Encoding::Delta => game.encode_delta_view(player, &mut bytes),
        }
        ViewPart { player, bytes }
    };
    let parts = match viewers {
        Viewers::Seated => game.seated().into_iter().map(part).collect(),
        Viewers::One(player) => vec![part(player)],
    };
    (payload, Parts::PerViewer(parts))
}
