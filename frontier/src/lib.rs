//! Frontier: a small turn-based 4X with fog of war, Orrery's second game, pure and
//! deterministic (no I/O, no clock: the worker tells it the time; a seeded generator).
//!
//! Two to four players each start in a corner of a 12 × 12 map of plains, forests, hills
//! and water with a capital, a soldier and a scout; four neutral cities lie between them.
//! Each turn every player gives orders (move a unit, attack by moving onto an enemy, take
//! a city by entering it, choose what a city builds); the turn resolves when every player
//! still playing has submitted, or at its deadline. A seat without units or cities is out;
//! the last seat in, or the best after the turn limit, wins. A player away past the grace
//! has a bot play their seat until they come back. Each player sees only what its units
//! and cities see, and remembers the terrain it has explored.
//!
//! # Map
//!
//! - [`config`]: modes; [`rng`]: the generator; [`map`]: terrain and geometry.
//! - [`state`]: the room; [`seats`]: joins, departures, bots taking over, the start.
//! - [`orders`]: commands and their checks; [`rules`]: what is due; [`resolve`]: a turn;
//!   [`ranking`]: standings; [`bots`]: the bot, which plays from a seat's own view.
//! - [`events`]: happenings, who may know them, the durable events; [`replay`].
//! - [`wire`]: per-viewer keyframes and deltas, and the client's [`FrontierView`].
//! - [`game`], [`factory`], [`snapshot`]: the `Game` / `GameFactory` implementation.

pub mod bots;
pub mod config;
pub mod events;
pub mod factory;
pub mod game;
pub mod map;
pub mod orders;
pub mod ranking;
pub mod replay;
pub mod resolve;
pub mod rng;
pub mod rules;
pub mod seats;
pub mod snapshot;
pub mod state;
pub mod wire;

pub use config::{FrontierConfig, MODE_BLITZ, MODE_FRONTIER};
pub use factory::FrontierFactory;
pub use game::FrontierGame;
pub use orders::{Action, FrontierCommand, decode_command, encode_command};
pub use wire::FrontierView;
