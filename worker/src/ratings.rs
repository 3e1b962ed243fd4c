//! Skill ratings after a ranked match: Elo (the `skillratings` crate) over every pair of
//! players, a better rank winning the pair and an equal rank drawing it. Each pair moves a
//! rating by at most `K / (n - 1)`, so a whole match moves a rating by at most `K` whatever
//! the room's size. Ratings are whole numbers (`player_ratings.rating`), 1000 to start,
//! on the scale the matchmaker's rating window uses.

use orrery_common::PlayerId;
use skillratings::Outcomes;
use skillratings::elo::{EloConfig, EloRating, elo};

/// The most a rating moves in one match.
pub const K: f64 = 32.0;

/// The rating of a player without one.
pub const INITIAL: i32 = 1000;

/// New ratings for `(player, rank, rating)` of one match (rank 1 is the winner), in the
/// same order. A match of fewer than two players changes nothing.
pub fn rate(players: &[(PlayerId, u16, i32)]) -> Vec<(PlayerId, i32)> {
    if players.len() < 2 {
        return players.iter().map(|&(p, _, r)| (p, r)).collect();
    }
    let config = EloConfig { k: K / (players.len() - 1) as f64 };
    players
        .iter()
        .map(|&(p, rank, rating)| {
            let me = EloRating { rating: f64::from(rating) };
            let delta: f64 = players
                .iter()
                .filter(|other| other.0 != p)
                .map(|&(_, other_rank, other_rating)| {
                    let outcome = match rank.cmp(&other_rank) {
                        std::cmp::Ordering::Less => Outcomes::WIN,
                        std::cmp::Ordering::Greater => Outcomes::LOSS,
                        std::cmp::Ordering::Equal => Outcomes::DRAW,
                    };
                    elo(&me, &EloRating { rating: f64::from(other_rating) }, &outcome, &config).0.rating - me.rating
                })
                .sum();
            (p, (me.rating + delta).round() as i32)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn players(ranks_and_ratings: &[(u16, i32)]) -> Vec<(PlayerId, u16, i32)> {
        ranks_and_ratings.iter().map(|&(rank, rating)| (PlayerId::random(), rank, rating)).collect()
    }

    #[test]
    fn the_winner_rises_and_the_last_falls_by_at_most_k() {
        let ps = players(&[(1, 1000), (2, 1000), (3, 1000)]);
        let new: Vec<i32> = rate(&ps).into_iter().map(|(_, r)| r).collect();
        assert_eq!(new, [1016, 1000, 984]);
    }

    #[test]
    fn beating_a_stronger_player_is_worth_more() {
        let weak_wins = rate(&players(&[(1, 900), (2, 1100)]));
        let strong_wins = rate(&players(&[(1, 1100), (2, 900)]));
        assert!(weak_wins[0].1 - 900 > strong_wins[0].1 - 1100);
        assert!(weak_wins[0].1 - 900 <= K as i32);
    }

    #[test]
    fn equal_ranks_draw_and_a_lone_player_keeps_their_rating() {
        let ps = players(&[(1, 1000), (1, 1000)]);
        assert!(rate(&ps).iter().all(|&(_, r)| r == 1000));
        let alone = players(&[(1, 1234)]);
        assert_eq!(rate(&alone)[0].1, 1234);
    }
}
