//! The arena's wire encoding: keyframes (the whole [`World`](crate::world::World)) and
//! deltas (one tick's change), and the client's [`ArenaView`] that applies them;
//! [`canonical`] is the view's canonical text, shared with the TypeScript SDK.
//!
//! # Dead reckoning
//!
//! Client and server share the fixed-point kinematics ([`crate::kinematics`]): from the
//! previous world and the ships' intents both compute the same *prediction* of the next
//! one (motion, drag, gravity, walls, thrust kicks, shots fired, bullet flight and
//! expiry, cooldowns, the phase clock). A delta therefore carries, in order:
//!
//! 1. *before* the prediction: seats taken or freed, and changed intents;
//! 2. *after* it: residuals, i.e. every field where the server's world differs from the
//!    prediction (hits, deaths, health and score, pickups spawned or taken, phase
//!    changes, bullets that hit something).
//!
//! Bullets therefore cost nothing in flight and nothing at spawn (the shot is predicted
//! from the fire intent); only a bullet that hits a ship costs a byte or two. An
//! unchanged tick is one byte. See [`delta`] for the byte layout.
//!
//! A client in another language reproduces [`crate::kinematics`] and
//! [`crate::fixed`] (integer arithmetic only, plus a sine table defined there).
//!
//! A large room ([`crate::interest`]) sends each player a board shared by all and its own
//! view, both in this encoding: see [`split`].

pub mod canonical;
mod codec;
pub mod delta;
pub mod keyframe;
pub mod split;
mod view;

pub use canonical::{canonical_json, fnv1a64};
pub use codec::DecodeError;
pub use view::{ArenaView, ShipView};
