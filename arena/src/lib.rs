//! The space arena: Orrery's reference game, pure and deterministic.
//!
//! Ships in a bounded arena rotate, thrust (in kicks, with a cooldown), drift with drag
//! up to a maximum speed, and fire bullets (with a cooldown) that damage other ships.
//! A ship at 0 health is destroyed; hits and kills score. Health and score pickups
//! spawn on a seeded schedule; black holes pull ships and bullets (gravity `G/d²`,
//! clamped) and destroy what reaches their core. A match goes lobby → countdown →
//! running → over (one ship left, or the time limit) → closable, and the remaining
//! ships float for a while in between.
//!
//! No I/O, no clocks, no global randomness: a ChaCha8 generator seeded from
//! `RoomSettings::seed` lives in the state; same seed and inputs give byte-identical
//! state. All motion is fixed-point ([`fixed`]), shared with clients
//! ([`kinematics`]), which is what makes the dead-reckoned deltas of [`wire`] small.
//!
//! # Configuration
//!
//! [`ArenaConfig`] (built from `RoomSettings` by [`ArenaConfig::for_settings`]) holds
//! every rule: `min_players` (3; 2 in mode `"arena-duel"`, for tests and demos),
//! countdown, disconnect grace (`grace_ticks`, default 10 s: a disconnected player's
//! ship waits that long for a reconnect, then is removed and counted out), time limit,
//! float after the match, pickups, black holes, and the [`Physics`] clients receive.
//! See [`config`] for the defaults.
//!
//! # Map
//!
//! - [`config`]: modes and tunables; [`fixed`]: fixed-point math; [`rng`]: the generator.
//! - [`world`]: the shared state; [`kinematics`]: the motion of one tick.
//! - [`input`]: [`Intent`] and its encoding; [`events`]: what is reported.
//! - [`state`]: the server's room; [`rules`]: seats, combat, pickups, phases, ranking.
//! - [`wire`]: keyframes, deltas and the client's [`ArenaView`].
//! - [`game`], [`factory`], [`snapshot`]: the `Game` / `GameFactory` implementation.
//! - [`interest`]: what each player of a large room sees (mode `arena-large`).
//! - [`bots`]: scripted bots for tests, demos and benchmarks.

pub mod bots;
pub mod config;
pub mod events;
pub mod factory;
pub mod fixed;
pub mod game;
pub mod input;
pub mod interest;
pub mod kinematics;
pub mod rng;
pub mod rules;
mod seats;
pub mod snapshot;
pub mod state;
pub mod wire;
pub mod world;

pub use config::{ArenaConfig, LARGE_SEATS, MODE_ARENA, MODE_BLITZ, MODE_DUEL, MODE_LARGE, MODE_PRACTICE, Physics};
pub use factory::ArenaFactory;
pub use game::ArenaGame;
pub use input::{ArenaCommand, Intent, decode_command, decode_intent, encode_command, encode_intent};
pub use wire::{ArenaView, DecodeError, ShipView};
