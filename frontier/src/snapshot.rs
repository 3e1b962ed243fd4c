//! Snapshots: a format byte and the postcard encoding of the whole [`State`].
//!
//! Formats (the first byte):
//! - **2** (now): the state as it is.
//! - **1**: the state before the keyframe log existed: the same fields without the last,
//!   `log`. Restoring one migrates it with an empty log (`tests/snapshot.rs` restores a
//!   snapshot written in format 1, `tests/data/snapshot-v1.bin`).
//!
//! A rules change that alters the layout bumps [`SNAPSHOT_FORMAT`] and adds its migration
//! here, so that a match started before a deploy continues after it. Restoring refuses
//! bytes the rules would trip on (seat counts, positions off the map, owners that are no
//! seat).

use crate::state::State;
use orrery_common::game::RestoreError;

/// The first byte of every snapshot written now.
pub const SNAPSHOT_FORMAT: u8 = 2;

pub fn encode(state: &State) -> Vec<u8> {
    let mut out = vec![SNAPSHOT_FORMAT];
    out.extend_from_slice(&postcard::to_allocvec(state).expect("a State always serialises"));
    out
}

pub fn decode(bytes: &[u8]) -> Result<State, RestoreError> {
    let (&format, body) = bytes.split_first().ok_or_else(|| RestoreError("empty snapshot".into()))?;
    let state = match format {
        SNAPSHOT_FORMAT => whole(body)?,
        1 => {
            // Format 1 ends where `log` would start: an empty log is one byte, 0.
            let mut migrated = body.to_vec();
            migrated.push(0);
            whole(&migrated)?
        }
        other => return Err(RestoreError(format!("unknown snapshot format {other}"))),
    };
    validate(&state).map_err(RestoreError)?;
    Ok(state)
}

fn whole(body: &[u8]) -> Result<State, RestoreError> {
    match postcard::take_from_bytes::<State>(body) {
        Ok((state, [])) => Ok(state),
        Ok(_) => Err(RestoreError("bytes after the snapshot".into())),
        Err(e) => Err(RestoreError(e.to_string())),
    }
}

fn validate(state: &State) -> Result<(), String> {
    let c = &state.config;
    if !(crate::config::MIN_SEATS..=crate::config::MAX_SEATS).contains(&c.seats) || state.seats.len() > usize::from(c.seats) {
        return Err("seat counts disagree".into());
    }
    if c.width < 8
        || c.height < 8
        || state.map.width != c.width
        || state.map.height != c.height
        || state.map.tiles.len() != usize::from(c.width) * usize::from(c.height)
    {
        return Err("the map is not the configuration's".into());
    }
    let seats = state.seats.len();
    if state.seats.iter().any(|s| s.explored.len() != state.map.len()) {
        return Err("a seat's explored tiles are not the map's".into());
    }
    let bad_owner = |o: u8| usize::from(o) >= seats;
    if state.units.iter().any(|u| !state.map.contains(u.pos) || bad_owner(u.owner) || u.hp == 0)
        || state.cities.iter().any(|c| !state.map.contains(c.pos) || c.owner.is_some_and(bad_owner))
        || state.winner.is_some_and(bad_owner)
    {
        return Err("a unit or city is off the map or owned by no seat".into());
    }
    Ok(())
}
