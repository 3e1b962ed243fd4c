//! Snapshots: a format byte and the postcard encoding of the whole [`Room`] (generator,
//! pending inputs, graces, standings, what clients were last sent). Restoring one
//! continues the room exactly. Restoring refuses bytes that no room wrote where the rules
//! would trip on them (found by the `arena_snapshot` fuzz target, `fuzz/`): seat counts
//! that disagree, physics that are not the configuration's, a bullet owned by no seat,
//! and a world that `World::validate` refuses.

use crate::state::Room;
use orrery_common::game::RestoreError;

/// The first byte of every snapshot.
pub const SNAPSHOT_FORMAT: u8 = 1;

pub fn encode(room: &Room) -> Vec<u8> {
    let mut out = vec![SNAPSHOT_FORMAT];
    out.extend_from_slice(&postcard::to_allocvec(room).expect("a Room always serialises"));
    out
}

pub fn decode(bytes: &[u8]) -> Result<Room, RestoreError> {
    let (&format, body) = bytes.split_first().ok_or_else(|| RestoreError("empty snapshot".into()))?;
    if format != SNAPSHOT_FORMAT {
        return Err(RestoreError(format!("unknown snapshot format {format}")));
    }
    let (room, rest) = postcard::take_from_bytes::<Room>(body).map_err(|e| RestoreError(e.to_string()))?;
    if !rest.is_empty() {
        return Err(RestoreError("bytes after the snapshot".into()));
    }
    let seats = usize::from(room.config.max_players);
    if room.seats.len() != seats || room.world.ships.len() != seats || room.sent.ships.len() != seats {
        return Err(RestoreError("seat counts disagree".into()));
    }
    // The rules read the configuration's physics (spawn points, health), the motion the
    // world's: a room only ever has one, set when it is created.
    if room.world.physics != room.config.physics || room.sent.physics != room.config.physics {
        return Err(RestoreError("the world's physics are not the room's".into()));
    }
    // The rules index the seats by a bullet's owner (who scores a hit).
    if room.world.bullets.iter().chain(&room.sent.bullets).any(|b| usize::from(b.owner) >= seats) {
        return Err(RestoreError("a bullet's owner is not a seat of the room".into()));
    }
    room.world.validate().map_err(|e| RestoreError(e.to_string()))?;
    room.sent.validate().map_err(|e| RestoreError(e.to_string()))?;
    Ok(room)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ArenaGame;
    use crate::bots::{BotStyle, ScriptedBots};
    use orrery_common::game::{Game, RoomSettings};

    /// A duel of two bots, `ticks` into its lobby and match.
    fn played(ticks: u64) -> ArenaGame {
        let settings = RoomSettings { mode: crate::MODE_DUEL.into(), max_players: 2, tick_hz: 30, seed: 5 };
        let mut game = ArenaGame::new(&settings);
        let mut bots = ScriptedBots::new(2, 5, BotStyle::Steady);
        bots.join_all(&mut game);
        let mut events = Vec::new();
        for _ in 0..ticks {
            bots.act(&mut game);
            game.step(&mut events);
        }
        game
    }

    #[test]
    fn a_snapshot_restores_to_the_same_room() {
        let game = played(200);
        let restored = ArenaGame::restore(&game.snapshot()).unwrap();
        assert_eq!(restored.snapshot(), game.snapshot());
    }

    /// Found by the `arena_snapshot` fuzz target: a configuration whose arena is wider
    /// than the world's spawned a pickup outside the world (invariant I7 broken on the
    /// next step, and every client refusing the room's frames).
    #[test]
    fn a_snapshot_whose_physics_disagree_is_refused() {
        let room = decode(&played(40).snapshot()).unwrap();
        let mut wider = room.clone();
        wider.config.physics.width += 1 << 16;
        let mut sent_apart = room.clone();
        sent_apart.sent.physics.max_health += 1;
        for bad in [wider, sent_apart] {
            let err = decode(&encode(&bad)).unwrap_err();
            assert!(err.0.contains("physics"), "{err}");
        }
    }

    /// Found by the `arena_snapshot` fuzz target: a bullet owned by slot 90 of a room of
    /// two seats panicked (index out of bounds) when it hit a ship.
    #[test]
    fn a_snapshot_with_a_bullet_of_no_seat_is_refused() {
        let room = decode(&played(200).snapshot()).unwrap();
        assert!(!room.world.bullets.is_empty(), "the bots fire");
        let seats = room.world.ships.len() as u8;
        let mut in_world = room.clone();
        in_world.world.bullets[0].owner = seats;
        let mut in_sent = room.clone();
        in_sent.sent.bullets.push(crate::world::Bullet { owner: 90, ..room.world.bullets[0].clone() });
        for bad in [in_world, in_sent] {
            let err = decode(&encode(&bad)).unwrap_err();
            assert!(err.0.contains("owner"), "{err}");
        }
    }
}
