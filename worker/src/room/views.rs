//! The one place the worker encodes a room's state for clients (invariant I8).
//!
//! A shared game ([`Views::Shared`]) is encoded once for everybody and its frames carry
//! [`Parts::Shared`]: no other work, no allocation beyond the payload; a spectator gets
//! that same frame. A per-viewer game ([`Views::PerViewer`]) is encoded as the part every
//! viewer may see plus one part per [`Viewer`]: every seated player, and the spectators
//! while anyone watches, in a tick's frame; the asking viewer alone in a join, watch or
//! resync reply. Every frame the room publishes or replies with (ticks, the first
//! keyframe of an epoch, joins, watches, resyncs) comes from [`encode`].

use orrery_common::game::{Game, Viewer, Views};
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
    /// Everybody seated, and the spectators when `watched`: a tick's frame, published to
    /// every gateway.
    Seated { watched: bool },
    /// One viewer: the reply to its join, watch or resync.
    One(Viewer),
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
    let part = |viewer: Viewer| {
        let mut bytes = Vec::new();
        match encoding {
            Encoding::Keyframe => game.encode_keyframe_view(viewer, &mut bytes),
            Encoding::Delta => game.encode_delta_view(viewer, &mut bytes),
        }
        ViewPart { viewer, bytes }
    };
    let parts = match viewers {
        Viewers::Seated { watched } => {
            let spectators = watched.then_some(Viewer::Spectator);
            game.seated().into_iter().map(Viewer::Player).chain(spectators).map(part).collect()
        }
        Viewers::One(viewer) => vec![part(viewer)],
    };
    (payload, Parts::PerViewer(parts))
}
