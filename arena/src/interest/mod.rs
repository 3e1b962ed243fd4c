//! Interest management for [`MODE_LARGE`](crate::config::MODE_LARGE): each player is sent
//! only what is near its own ship (invariant I8 in `docs/ARCHITECTURE.md`).
//!
//! A room in that mode declares `Views::PerViewer`. Its frames have two parts:
//!
//! - the **shared part**, the *board*: the match header and every seat's identity, score,
//!   kills and whether it is alive and connected, but no position, velocity, aim, health,
//!   bullet or pickup ([`board`]). Every player may see it. Scores and kills of others reach
//!   it a few seats a second ([`refresh_board`]), so that it does not grow with the room.
//! - each player's **own part**: its *view*, the world restricted to the ships, bullets and
//!   pickups within its view of its own ship ([`filter`]), plus the header, physics and
//!   black holes.
//!
//! Both are [`World`](crate::world::World)s and travel with the arena's usual encoding
//! (keyframes, and deltas against the same part one tick earlier, see
//! [`crate::wire::split`]): something entering a view is a seat or list item added in
//! full, something leaving it a seat freed or an item removed, and nothing is sent about
//! it while it stays out. Each view numbers its own bullets (`bullets.rs`): the room's ids
//! count shots fired anywhere, which a client of one view cannot predict.
//!
//! Per step, the room flies its bullets once and sorts them into a grid
//! (`grid.rs`, which also sorts the ships by x and the seats by player) and indexes them
//! and their flight by id (`ids.rs`); each view then looks only at the cells and ships near
//! its ship and looks its bullets and their flight up instead of computing it again. Each
//! view builds its next state in a buffer of its own and predicts its delta over its
//! previous state, so a tick copies and allocates about what the view holds.
//!
//! The delta of a view is written from what the filter learnt on its way: the slots the
//! view holds (`Seats`: the delta, the prediction and the filter visit only those, never
//! the room's 64), and how the prediction of the bullets it held matches those it keeps.
//! The room flew them already and the rules only remove bullets, so a held bullet the
//! room's flight left is predicted exactly as the room holds it: the filter records which
//! the prediction removes (and which it would mispredict, should a rule ever change a
//! bullet), and the delta neither flies nor compares them (`wire::delta::MatchedBullets`);
//! only the shots the prediction fires and the bullets entering the view cost it. Whatever
//! that match cannot state exactly falls back to flying and comparing; debug builds encode
//! every such delta both ways and assert the same bytes.
//!
//! Ships likewise (`rules::MovedShips`): the step notes which ships were, before its
//! motion, what clients hold but for their intents, and which of those the rules then left
//! as moved. A view that held such a ship and holds it still predicts exactly the room's
//! ship, so its delta neither moves nor compares it (it only fires its shot).
//!
//! **Hysteresis.** An entity enters a view within [`Interest::enter`] of the viewer's ship
//! and leaves it only beyond [`Interest::leave`], so one moving along the edge does not
//! flicker. Which entities a view holds is remembered between ticks ([`ViewFrames`]); it is
//! not in the snapshot, so after a restore (a fail-over) views start again from the enter
//! radius, and every client receives a keyframe of the new epoch anyway.

mod board;
mod bullets;
mod filter;
mod frames;
mod grid;
mod ids;
mod players;

pub use board::{BOARD_REFRESHES_PER_SECOND, board, refresh_board};
pub use filter::filter;
pub use frames::ViewFrames;

use crate::config::MODE_LARGE;
use crate::fixed::SUBUNITS_PER_UNIT;

/// View radii around a player's ship, in sub-units.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Interest {
    /// An entity this close (or closer) enters the view.
    pub enter: i32,
    /// An entity in the view leaves it only when farther than this.
    pub leave: i32,
}

/// The enter radius of [`MODE_LARGE`], in units.
pub const LARGE_VIEW_RADIUS: i32 = 600;
/// How much farther than the enter radius an entity must go to leave a view, in units.
pub const LARGE_VIEW_HYSTERESIS: i32 = 100;

impl Interest {
    /// The interest management a room of `mode` uses; `None` for modes where everybody
    /// sees everything.
    pub fn for_mode(mode: &str) -> Option<Interest> {
        (mode == MODE_LARGE).then_some(Interest {
            enter: LARGE_VIEW_RADIUS * SUBUNITS_PER_UNIT,
            leave: (LARGE_VIEW_RADIUS + LARGE_VIEW_HYSTERESIS) * SUBUNITS_PER_UNIT,
        })
    }

    /// Whether something at squared distance `d2` is in a view, given whether it was.
    pub fn sees(&self, d2: i64, was_seen: bool) -> bool {
        let r = i64::from(if was_seen { self.leave } else { self.enter });
        d2 <= r * r
    }

    /// [`Self::sees`], asking whether it was seen only when the answer depends on it.
    pub fn sees_lazily(&self, d2: i64, was_seen: impl FnOnce() -> bool) -> bool {
        let (near, far) = (i64::from(self.enter.min(self.leave)), i64::from(self.reach()));
        d2 <= near * near || (d2 <= far * far && self.sees(d2, was_seen()))
    }

    /// The farthest anything in a view can be.
    pub fn reach(&self) -> i32 {
        self.enter.max(self.leave)
    }
}
