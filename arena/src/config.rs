//! The arena's tunables: [`ArenaConfig`] (server rules) and [`Physics`] (the kinematic
//! constants, which clients receive in every keyframe), their defaults for a tick rate,
//! and the game modes.
//!
//! # Modes
//!
//! | `RoomSettings::mode` | rules |
//! |---|---|
//! | `"arena"` (and any unknown mode) | a countdown starts with [`ArenaConfig::min_players`] = 3 seated |
//! | `"arena-duel"` ([`MODE_DUEL`]) | the same with `min_players` = 2: for tests, demos and 1-v-1 |
//! | `"arena-blitz"` ([`MODE_BLITZ`]) | `min_players` = 2, 1 s countdown, 15 s time limit, 2 s float: whole matches in seconds (tests, demos) |
//! | `"arena-practice"` ([`MODE_PRACTICE`]) | `min_players` = 2, no damage, no black holes, 4 h time limit: nobody dies, so a match lasts while two players stay (practice, load tests) |
//! | `"arena-large"` ([`MODE_LARGE`]) | [`LARGE_SEATS`] = 64 seats whatever `max_players` says, on a field scaled so that ships are as dense as in a 5-player arena (pickups and black holes scaled too: 51 and 26 at 64 seats); each player sees only what is near its ship ([`crate::interest`]) |
//!
//! # Defaults (all times are converted to ticks of `RoomSettings::tick_hz`)
//!
//! countdown 3 s (1 s once all `max_players` seats are taken), disconnect grace 10 s,
//! time limit 3 min, ships float 10 s after the match is over, an empty lobby becomes
//! closable after 2 min, a lobby with players that never reaches its minimum after 90 s
//! (20 s in `arena-blitz`). Arena 1600 × 1000 units, ship speed ≤ 300 units/s, thrust kick
//! every 0.3 s, a shot every 0.2 s, bullets 360 units/s for 3 s, 10 damage of 100 health,
//! two black holes.

use crate::fixed::SUBUNITS_PER_UNIT;
use orrery_common::game::RoomSettings;
use serde::{Deserialize, Serialize};

/// The default mode.
pub const MODE_ARENA: &str = "arena";
/// The two-player mode for tests and demos.
pub const MODE_DUEL: &str = "arena-duel";
/// Short matches for tests and demos.
pub const MODE_BLITZ: &str = "arena-blitz";
/// Matches where nobody can die (practice, load tests).
pub const MODE_PRACTICE: &str = "arena-practice";
/// Many ships on a large field, each player seeing only what is near it.
pub const MODE_LARGE: &str = "arena-large";
/// Seats in an [`MODE_LARGE`] room.
pub const LARGE_SEATS: u8 = 64;
/// Most seats a room can have (slots are indexed by a `u8`, masks are 64 bits).
pub const MAX_SLOTS: u8 = 64;
/// The seats of the room the default field is sized for: [`MODE_LARGE`] scales its area by
/// `LARGE_SEATS / DENSITY_SEATS`.
const DENSITY_SEATS: u8 = 5;

/// Kinematic constants: everything a client needs to replay the motion of ships and
/// bullets from the quantised state. Lengths in sub-units, speeds per tick.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Physics {
    /// Simulation steps per second (for converting ticks to time).
    pub tick_hz: u16,
    /// Arena width; positions are in `0..=width`.
    pub width: i32,
    /// Arena height; positions are in `0..=height`.
    pub height: i32,
    pub ship_radius: i32,
    /// Largest ship speed, sub-units per tick.
    pub ship_max_speed: i32,
    /// Velocity added by one thrust kick.
    pub thrust_impulse: i32,
    /// Velocity lost per tick, in 1/1024 (plus one sub-unit, so ships come to rest).
    pub drag_q10: i32,
    /// Angle units turned per tick per unit of quantised turn (`turn` is −127..=127).
    pub turn_step: i32,
    /// Ticks between two thrust kicks.
    pub thrust_cooldown: u16,
    /// Ticks between two shots.
    pub fire_cooldown: u16,
    pub bullet_speed: i32,
    /// Largest bullet speed (black holes accelerate bullets).
    pub bullet_max_speed: i32,
    pub bullet_lifetime: u16,
    pub bullet_radius: i32,
    pub max_health: u16,
    /// Gravity constant `G` in sub-units³/tick²: acceleration is `G / d²`.
    pub gravity: i64,
    /// Distances below this count as this (the clamp against infinite pull).
    pub gravity_min_distance: i32,
    /// Largest acceleration a black hole gives, sub-units per tick².
    pub gravity_max_accel: i32,
    pub pickup_radius: i32,
}

/// Everything the server's rules need. Fields are public: build one with
/// [`ArenaConfig::for_settings`] and adjust.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ArenaConfig {
    /// Seated players needed for the countdown to start.
    pub min_players: u8,
    /// Seats (from `RoomSettings::max_players`, at most [`MAX_SLOTS`]).
    pub max_players: u8,
    pub countdown_ticks: u32,
    /// The countdown once every seat is taken (it is shortened to this).
    pub full_room_countdown_ticks: u32,
    /// How long a disconnected player's ship waits for them before it is removed and
    /// counted out.
    pub grace_ticks: u32,
    /// The match ends after this long even with several ships alive.
    pub time_limit_ticks: u32,
    /// How long ships keep floating after the match is over, before `Phase::Closable`.
    pub float_after_over_ticks: u32,
    /// An empty lobby becomes closable after this long.
    pub idle_lobby_ticks: u32,
    /// A lobby with players that never reaches `min_players` becomes closable after this
    /// long (its players are told the room closed and queue again).
    pub unfilled_lobby_ticks: u32,
    pub black_holes: u8,
    /// Radius of a black hole's core: ships and bullets reaching it are destroyed.
    pub black_hole_core_radius: i32,
    /// Smallest distance between a spawn point and a black hole's centre.
    pub spawn_clearance: i32,
    pub bullet_damage: u16,
    pub hit_score: i32,
    pub kill_score: i32,
    /// Ticks between pickup spawns: uniform in this inclusive range.
    pub pickup_interval_ticks: (u32, u32),
    pub max_pickups: u8,
    pub health_pickup_restore: u16,
    pub score_pickup_value: i32,
    /// Chance in percent that a pickup is a health pack (else a score pickup).
    pub health_pickup_percent: u8,
    pub physics: Physics,
}

fn units(u: f64) -> i32 {
    (u * f64::from(SUBUNITS_PER_UNIT)).round() as i32
}

impl ArenaConfig {
    /// The defaults for `tick_hz` steps per second and `max_players` seats.
    pub fn new(tick_hz: u16, max_players: u8) -> Self {
        let hz = f64::from(tick_hz.max(1));
        let ticks = |seconds: f64| (seconds * hz).round() as u32;
        let per_tick = |units_per_s: f64| units(units_per_s / hz);
        let per_tick2 = |units_per_s2: f64| units(units_per_s2 / (hz * hz));
        let sub = f64::from(SUBUNITS_PER_UNIT);
        // a = G / d²: 9e5 units³/s² pulls with 90 units/s² at 100 units.
        let gravity = (9.0e5 * sub * sub * sub / (hz * hz)).round() as i64;
        Self {
            min_players: 3,
            max_players: max_players.clamp(1, MAX_SLOTS),
            countdown_ticks: ticks(3.0),
            full_room_countdown_ticks: ticks(1.0),
            grace_ticks: ticks(10.0),
            time_limit_ticks: ticks(180.0),
            float_after_over_ticks: ticks(10.0),
            idle_lobby_ticks: ticks(120.0),
            unfilled_lobby_ticks: ticks(90.0),
            black_holes: 2,
            black_hole_core_radius: units(28.0),
            spawn_clearance: units(250.0),
            bullet_damage: 10,
            hit_score: 10,
            kill_score: 100,
            pickup_interval_ticks: (ticks(3.0), ticks(6.0)),
            max_pickups: 4,
            health_pickup_restore: 30,
            score_pickup_value: 50,
            health_pickup_percent: 60,
            physics: Physics {
                tick_hz: tick_hz.max(1),
                width: units(1600.0),
                height: units(1000.0),
                ship_radius: units(16.0),
                ship_max_speed: per_tick(300.0),
                thrust_impulse: per_tick(70.0),
                drag_q10: ((0.5 / hz) * 1024.0).round() as i32,
                turn_step: ((32768.0 / hz) / 127.0).round().max(1.0) as i32,
                thrust_cooldown: ticks(0.3).max(1) as u16,
                fire_cooldown: ticks(0.2).max(1) as u16,
                bullet_speed: per_tick(360.0),
                bullet_max_speed: per_tick(600.0),
                bullet_lifetime: ticks(3.0).max(1) as u16,
                bullet_radius: units(3.0),
                max_health: 100,
                gravity,
                gravity_min_distance: units(40.0),
                gravity_max_accel: per_tick2(900.0),
                pickup_radius: units(12.0),
            },
        }
    }

    /// The configuration a room created with `settings` uses (see the module docs for
    /// the modes).
    pub fn for_settings(settings: &RoomSettings) -> Self {
        let mut config = Self::new(settings.tick_hz, settings.max_players);
        if settings.mode == MODE_DUEL {
            config.min_players = 2;
        }
        if settings.mode == MODE_BLITZ {
            let ticks = |seconds: f64| (seconds * f64::from(settings.tick_hz.max(1))).round() as u32;
            config.min_players = 2;
            config.countdown_ticks = ticks(1.0);
            config.full_room_countdown_ticks = ticks(1.0);
            config.time_limit_ticks = ticks(15.0);
            config.float_after_over_ticks = ticks(2.0);
            config.unfilled_lobby_ticks = ticks(20.0);
        }
        if settings.mode == MODE_PRACTICE {
            let ticks = |seconds: f64| (seconds * f64::from(settings.tick_hz.max(1))).round() as u32;
            config.min_players = 2;
            config.bullet_damage = 0;
            config.black_holes = 0;
            config.time_limit_ticks = ticks(4.0 * 3600.0);
        }
        if settings.mode == MODE_LARGE {
            config.scale_for_seats(LARGE_SEATS);
        }
        config.min_players = config.min_players.clamp(1, config.max_players);
        config
    }

    /// The rules of [`MODE_LARGE`] with `seats` seats (the mode itself has [`LARGE_SEATS`]):
    /// for measuring rooms of other sizes at the same density.
    pub fn large(tick_hz: u16, seats: u8) -> Self {
        let mut config = Self::new(tick_hz, seats);
        config.scale_for_seats(seats);
        config
    }

    /// `seats` seats on a field whose area grows with them from the default's (sized for
    /// [`DENSITY_SEATS`]), with pickups and black holes in proportion. Only on a default
    /// configuration (it scales what it finds).
    fn scale_for_seats(&mut self, seats: u8) {
        let area = f64::from(seats) / f64::from(DENSITY_SEATS);
        let side = area.sqrt();
        self.max_players = seats.clamp(1, MAX_SLOTS);
        self.physics.width = (f64::from(self.physics.width) * side).round() as i32;
        self.physics.height = (f64::from(self.physics.height) * side).round() as i32;
        self.max_pickups = (f64::from(self.max_pickups) * area).round().min(255.0) as u8;
        let (lo, hi) = self.pickup_interval_ticks;
        self.pickup_interval_ticks = (((f64::from(lo) / area).round() as u32).max(1), ((f64::from(hi) / area).round() as u32).max(1));
        // In proportion like the pickups (26 at 64 seats): a field with fewer hazards per
        // area keeps more ships alive, and its views are denser. `World::validate` allows
        // 32 ([`crate::world::MAX_BLACK_HOLES`]), which 64 seats fit (a test keeps it so).
        self.black_holes = (f64::from(self.black_holes) * area).round() as u8;
    }
}

impl Default for ArenaConfig {
    fn default() -> Self {
        Self::for_settings(&RoomSettings::default())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_at_30_hz() {
        let c = ArenaConfig::default();
        assert_eq!(c.min_players, 3);
        assert_eq!(c.countdown_ticks, 90);
        assert_eq!(c.grace_ticks, 300);
        assert_eq!(c.physics.ship_max_speed, 2560);
        assert_eq!(c.physics.fire_cooldown, 6);
        assert!(c.physics.turn_step > 0);
    }

    #[test]
    fn duel_mode_needs_two() {
        let s = RoomSettings { mode: MODE_DUEL.into(), ..RoomSettings::default() };
        assert_eq!(ArenaConfig::for_settings(&s).min_players, 2);
        let tiny = RoomSettings { max_players: 1, ..RoomSettings::default() };
        assert_eq!(ArenaConfig::for_settings(&tiny).min_players, 1);
    }

    #[test]
    fn practice_mode_cannot_kill() {
        let c = ArenaConfig::for_settings(&RoomSettings { mode: MODE_PRACTICE.into(), ..RoomSettings::default() });
        assert_eq!((c.min_players, c.bullet_damage, c.black_holes), (2, 0, 0));
        assert_eq!(c.time_limit_ticks, 4 * 3600 * 30);
    }

    #[test]
    fn large_mode_keeps_the_density_of_five_ships() {
        let c = ArenaConfig::for_settings(&RoomSettings { mode: MODE_LARGE.into(), ..RoomSettings::default() });
        let small = ArenaConfig::default();
        assert_eq!(c.max_players, 64);
        let density = |c: &ArenaConfig, ships: u8| f64::from(ships) / (f64::from(c.physics.width) * f64::from(c.physics.height));
        let ratio = density(&c, 64) / density(&small, 5);
        assert!((ratio - 1.0).abs() < 0.01, "{ratio}");
        assert_eq!((c.max_pickups, c.black_holes), (51, 26));
    }

    #[test]
    fn large_rooms_of_every_size_have_holes_in_proportion_that_clients_accept() {
        for seats in 1..=MAX_SLOTS {
            let c = ArenaConfig::large(30, seats);
            let expected = (2.0 * f64::from(seats) / f64::from(DENSITY_SEATS)).round() as usize;
            assert_eq!(usize::from(c.black_holes), expected, "{seats} seats");
            assert!(usize::from(c.black_holes) <= crate::world::MAX_BLACK_HOLES, "{seats} seats");
        }
        assert_eq!([16, 32].map(|seats| ArenaConfig::large(30, seats).black_holes), [6, 13]);
    }

    #[test]
    fn times_follow_the_tick_rate() {
        assert_eq!(ArenaConfig::new(60, 5).countdown_ticks, 180);
        assert_eq!(ArenaConfig::new(60, 5).physics.ship_max_speed, 1280);
    }
}
