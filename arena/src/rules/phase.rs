//! The match's life: lobby → countdown (once `min_players` are seated; shortened when
//! every seat is taken; back to lobby if players leave) → running → over (one ship or
//! none left, or the time limit) → closable (after the float). An empty lobby also
//! becomes closable after `idle_lobby_ticks`, one with players that never reaches the
//! minimum after `unfilled_lobby_ticks`.

use crate::events::{ArenaEvent, OverReason};
use crate::fixed::Vec2;
use crate::state::{Room, Standing};
use orrery_common::game::Phase;

impl Room {
    pub fn update_phase(&mut self) {
        let seated = self.world.seated_count();
        let config = &self.config;
        match self.world.phase {
            Phase::Lobby => {
                if seated >= usize::from(config.min_players) {
                    self.world.phase = Phase::Countdown;
                    self.world.phase_ticks_left = config.countdown_ticks;
                    self.shorten_countdown_when_full(seated);
                } else if seated == 0 {
                    self.unfilled_ticks = 0;
                    self.idle_ticks = self.idle_ticks.saturating_add(1);
                    if self.idle_ticks >= config.idle_lobby_ticks {
                        self.world.phase = Phase::Closable;
                    }
                } else {
                    // Players who wait for a match that never fills are better off queueing
                    // again: the room closes (nobody is ranked: no match was played).
                    self.idle_ticks = 0;
                    self.unfilled_ticks = self.unfilled_ticks.saturating_add(1);
                    if self.unfilled_ticks >= config.unfilled_lobby_ticks {
                        self.world.phase = Phase::Closable;
                    }
                }
            }
            Phase::Countdown => {
                if seated < usize::from(config.min_players) {
                    self.world.phase = Phase::Lobby;
                    self.world.phase_ticks_left = 0;
                    self.idle_ticks = 0;
                    self.unfilled_ticks = 0;
                } else {
                    self.shorten_countdown_when_full(seated);
                    if self.world.phase_ticks_left == 0 {
                        self.start_match();
                    }
                }
            }
            Phase::Running => {
                let alive = self.world.alive_count();
                if alive == 0 {
                    self.finish_match(OverReason::NoneAlive);
                } else if alive == 1 {
                    self.finish_match(OverReason::LastAlive);
                } else if self.world.phase_ticks_left == 0 {
                    self.finish_match(OverReason::TimeLimit);
                }
            }
            Phase::Over => {
                if self.world.phase_ticks_left == 0 {
                    self.world.phase = Phase::Closable;
                }
            }
            Phase::Closable => {}
        }
    }

    fn shorten_countdown_when_full(&mut self, seated: usize) {
        if seated >= usize::from(self.config.max_players) {
            let full = self.config.full_room_countdown_ticks;
            self.world.phase_ticks_left = self.world.phase_ticks_left.min(full);
        }
    }

    fn start_match(&mut self) {
        self.world.phase = Phase::Running;
        self.world.phase_ticks_left = self.config.time_limit_ticks;
        let max_health = self.config.physics.max_health;
        self.standings.clear();
        for (slot, ship) in self.world.ships.iter_mut().enumerate() {
            let Some(ship) = ship.as_mut() else { continue };
            ship.alive = true;
            ship.health = max_health;
            ship.vel = Vec2::ZERO;
            ship.thrust_cooldown = 0;
            ship.fire_cooldown = 0;
            self.standings.push(Standing { player: ship.player, slot: slot as u8, score: 0, kills: 0, out_at: None });
        }
        self.schedule_next_pickup();
    }

    fn finish_match(&mut self, reason: OverReason) {
        self.world.phase = Phase::Over;
        self.world.phase_ticks_left = self.config.float_after_over_ticks;
        let ranking = self.ranking();
        self.results = Some(ranking.clone());
        self.pending_events.push(ArenaEvent::MatchOver { reason, ranking });
    }
}
