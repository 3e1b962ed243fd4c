//! The final ranking: ships still in the game first, then the others by how late they
//! were destroyed or counted out; ties by score, then kills, then seat.

use crate::state::{Room, Standing};
use orrery_common::game::PlayerResult;
use std::cmp::Reverse;

impl Room {
    /// Ranks everyone who started the match, with their latest score.
    pub fn ranking(&self) -> Vec<PlayerResult> {
        let mut lines: Vec<Standing> = self
            .standings
            .iter()
            .map(|s| {
                let mut line = s.clone();
                if let Some(ship) = self.world.ships.get(usize::from(s.slot)).and_then(Option::as_ref)
                    && ship.player == s.player
                {
                    line.score = ship.score;
                    line.kills = ship.kills;
                }
                line
            })
            .collect();
        lines.sort_by_key(|s| (Reverse(s.out_at.unwrap_or(u64::MAX)), Reverse(s.score), Reverse(s.kills), s.slot));
        lines
            .into_iter()
            .enumerate()
            .map(|(i, s)| PlayerResult {
                player: s.player,
                rank: u16::try_from(i + 1).unwrap_or(u16::MAX),
                score: i64::from(s.score),
                kills: u32::from(s.kills),
            })
            .collect()
    }
}
