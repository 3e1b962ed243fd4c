//! Snapshots: a format byte and the postcard encoding of the whole [`Room`] (generator,
//! pending inputs, graces, standings, what clients were last sent). Restoring one
//! continues the room exactly.

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
    room.world.validate().map_err(|e| RestoreError(e.to_string()))?;
    room.sent.validate().map_err(|e| RestoreError(e.to_string()))?;
    Ok(room)
}
