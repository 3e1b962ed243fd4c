//! The shapes of matchmaking requests and answers, and the decoding of the placement
//! script's reply.

use super::{Placement, StepOutcome};
use orrery_common::{PlayerId, RoomId};
use serde::{Deserialize, Serialize};

/// A request to be matched (body of `POST /v1/matchmaking`, or `ClientMsg::Queue`).
#[derive(Clone, Debug, Deserialize, Serialize, PartialEq, Eq)]
pub struct QueueRequest {
    pub mode: String,
    #[serde(default = "any_region")]
    pub region: String,
    /// The other members of the party (the requester is always a member); refused while
    /// being decoded past [`MAX_PARTY`] ids.
    #[serde(default, deserialize_with = "crate::validate::at_most::<_, _, MAX_PARTY>")]
    pub party: Vec<PlayerId>,
}

/// The most players a party may have in any mode (rooms have at most 16 seats).
pub const MAX_PARTY: usize = 16;

fn any_region() -> String {
    "any".into()
}

impl QueueRequest {
    /// The requester first, then the other members, without duplicates.
    pub fn members(&self, leader: PlayerId) -> Vec<PlayerId> {
        let mut out = vec![leader];
        for p in &self.party {
            if !out.contains(p) {
                out.push(*p);
            }
        }
        out
    }
}

/// What queuing did.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum QueueOutcome {
    /// Waiting under `ticket` (the leader's player id).
    Queued { ticket: String },
    /// Already in a live match: go back to it.
    InRoom { room: RoomId },
}

/// Where a player stands (`GET /v1/matchmaking`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum QueueStatus {
    Idle,
    Queued { ticket: String, waited_ms: u64 },
    Placed { room: RoomId },
}

/// Decode `{pool, rooms wanted, (room, new, "p1,p2,..")*}`.
pub fn parse_step(raw: &[redis::Value]) -> Result<StepOutcome, String> {
    fn int(v: &redis::Value) -> Result<u64, String> {
        match v {
            redis::Value::Int(i) => u64::try_from(*i).map_err(|_| format!("negative {i}")),
            redis::Value::BulkString(b) => std::str::from_utf8(b).ok().and_then(|s| s.parse().ok()).ok_or_else(|| format!("{v:?}")),
            other => Err(format!("{other:?}")),
        }
    }
    fn text(v: &redis::Value) -> Result<String, String> {
        match v {
            redis::Value::BulkString(b) => String::from_utf8(b.clone()).map_err(|e| e.to_string()),
            redis::Value::SimpleString(s) => Ok(s.clone()),
            other => Err(format!("{other:?}")),
        }
    }
    if raw.len() < 2 || !(raw.len() - 2).is_multiple_of(3) {
        return Err(format!("{} values", raw.len()));
    }
    let mut out = StepOutcome { pool_left: int(&raw[0])?, wanted: int(&raw[1])?, placements: Vec::new() };
    for chunk in raw[2..].chunks(3) {
        let room = RoomId(int(&chunk[0])?);
        let new = int(&chunk[1])? == 1;
        let players = text(&chunk[2])?
            .split(',')
            .filter(|s| !s.is_empty())
            .map(|s| s.parse::<PlayerId>().map_err(|e| e.to_string()))
            .collect::<Result<Vec<_>, _>>()?;
        out.placements.push(Placement { room, created: new, players });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn members_put_the_leader_first_once() {
        let (a, b) = (PlayerId::random(), PlayerId::random());
        let req = QueueRequest { mode: "arena".into(), region: "eu".into(), party: vec![b, a, b] };
        assert_eq!(req.members(a), vec![a, b]);
    }

    #[test]
    fn step_replies_decode() {
        let p = PlayerId::random();
        let raw = vec![
            redis::Value::Int(7),
            redis::Value::Int(0),
            redis::Value::BulkString(b"12".to_vec()),
            redis::Value::Int(1),
            redis::Value::BulkString(p.to_string().into_bytes()),
        ];
        let out = parse_step(&raw).unwrap();
        assert_eq!(out.pool_left, 7);
        assert_eq!(out.placements, vec![Placement { room: RoomId(12), created: true, players: vec![p] }]);
        assert!(parse_step(&raw[..4]).is_err());
    }
}
