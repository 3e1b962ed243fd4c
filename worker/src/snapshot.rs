//! What a room's snapshot holds, and the hot (Redis) copy of it.
//!
//! A snapshot is everything needed to continue a room exactly: the game's own
//! snapshot, the tick, each player's last applied input sequence (invariant I5), and
//! the match events not yet written durably — so a room restored from a hot snapshot
//! still writes every event exactly once. Hot writes are a compare-and-set that accepts
//! only a higher (epoch, tick) and only from the lease holder (invariant I2).
//!
//! Stored snapshots (hot and durable) are versioned ([`RoomSnapshot::encode`]): an
//! envelope names the engine's layout ([`LAYOUT`]) and the game's own layout version
//! ([`RoomSnapshot::game_version`], `GameFactory::snapshot_version`). A snapshot of an
//! older layout is read and upgraded (the bytes written before the envelope existed are
//! layout 1); one of a newer layout is refused with [`SnapshotError::Newer`], never
//! misread. A game that changes its snapshot layout raises its version and upgrades older
//! snapshots in `GameFactory::upgrade_snapshot` (`claim.rs` calls it on restore).

use orrery_common::game::{Audience, GameEvent};
use orrery_common::names::Names;
use orrery_common::protocol::client::CommandOutcome;
use orrery_common::{ClientMsgId, Epoch, HistoryPos, InputSeq, PlayerId, RoomId, Tick};
use redis::aio::ConnectionManager;
use serde::{Deserialize, Serialize};

/// The engine's snapshot layout this worker writes, and the newest it reads. Layout 1 is
/// the unversioned one (no envelope, events without an audience, no game version).
pub const LAYOUT: u16 = 2;

/// What a versioned snapshot starts with: ten bytes that cannot begin a layout-1 snapshot
/// (its first field is a varint, and ten continuation bytes overflow a `u64`), then `OS`.
const MAGIC: [u8; 12] = [0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, b'O', b'S'];

/// A stored snapshot could not be read.
#[derive(Debug, thiserror::Error)]
pub enum SnapshotError {
    #[error("the snapshot was written in layout {found}, newer than this worker knows ({known}): run a newer worker")]
    Newer { found: u16, known: u16 },
    #[error("the snapshot cannot be decoded: {0}")]
    Decode(#[from] postcard::Error),
}

/// A room, frozen between two ticks.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RoomSnapshot {
    pub tick: Tick,
    /// The version of the game's snapshot layout `game` is in (`GameFactory::snapshot_version`).
    pub game_version: u16,
    pub game: Vec<u8>,
    pub last_input: Vec<(PlayerId, InputSeq)>,
    /// Sequence number the next match event will get.
    pub next_event_seq: u64,
    /// Events since the last durable write.
    pub pending_events: Vec<PendingEvent>,
    /// Each player's recent command ids and their outcomes, so a resent command is
    /// acknowledged again, not applied again — also after a failover.
    pub commands: Vec<(PlayerId, Vec<(ClientMsgId, CommandOutcome)>)>,
}

impl RoomSnapshot {
    /// The stored bytes: the envelope ([`MAGIC`], [`LAYOUT`]) and the snapshot.
    pub fn encode(&self) -> Vec<u8> {
        postcard::to_extend(&(LAYOUT, self), MAGIC.to_vec()).expect("encoding into a Vec cannot fail")
    }

    /// Read stored bytes of any layout up to [`LAYOUT`].
    pub fn decode(bytes: &[u8]) -> Result<Self, SnapshotError> {
        let Some(body) = bytes.strip_prefix(&MAGIC[..]) else {
            return Ok(postcard::from_bytes::<legacy::RoomSnapshotV1>(bytes)?.upgrade());
        };
        let (layout, rest) = postcard::take_from_bytes::<u16>(body)?;
        if layout > LAYOUT {
            return Err(SnapshotError::Newer { found: layout, known: LAYOUT });
        }
        Ok(postcard::from_bytes(rest)?)
    }
}

/// A match event waiting for its durable write; `seq` is fixed when it happens.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PendingEvent {
    pub seq: u64,
    pub tick: Tick,
    pub kind: String,
    pub player: Option<PlayerId>,
    pub detail_json: String,
    /// Who may read it (`Game::event_audience`).
    pub audience: Audience,
}

impl PendingEvent {
    pub fn new(seq: u64, tick: Tick, ev: GameEvent, audience: Audience) -> Self {
        Self { seq, tick, kind: ev.kind, player: ev.player, detail_json: ev.detail.to_string(), audience }
    }
}

/// Layout 1: what workers wrote before snapshots were versioned.
mod legacy {
    use super::*;

    #[derive(Deserialize)]
    pub(super) struct RoomSnapshotV1 {
        tick: Tick,
        game: Vec<u8>,
        last_input: Vec<(PlayerId, InputSeq)>,
        next_event_seq: u64,
        pending_events: Vec<PendingEventV1>,
        commands: Vec<(PlayerId, Vec<(ClientMsgId, CommandOutcome)>)>,
    }

    #[derive(Deserialize)]
    struct PendingEventV1 {
        seq: u64,
        tick: Tick,
        kind: String,
        player: Option<PlayerId>,
        detail_json: String,
    }

    impl RoomSnapshotV1 {
        /// Layout 2: every event was for everybody; the game's layout is its version 0.
        pub(super) fn upgrade(self) -> RoomSnapshot {
            let pending_events = self
                .pending_events
                .into_iter()
                .map(|e| PendingEvent {
                    seq: e.seq,
                    tick: e.tick,
                    kind: e.kind,
                    player: e.player,
                    detail_json: e.detail_json,
                    audience: Audience::Everyone,
                })
                .collect();
            RoomSnapshot {
                tick: self.tick,
                game_version: 0,
                game: self.game,
                last_input: self.last_input,
                next_event_seq: self.next_event_seq,
                pending_events,
                commands: self.commands,
            }
        }
    }
}

/// KEYS: snapshot hash, lease, leases given back. ARGV: token, epoch, tick, state, lease ttl ms.
/// Answers 1 written, 2 nothing newer (the same owner already wrote a later tick), 0
/// refused: another holder, or a newer epoch has written. The same (epoch, tick) again
/// is written over: joins, leaves and commands change a room between two ticks, so the
/// holder's later write at the same tick is the newer state (a drain right after a
/// periodic snapshot must hand off the join that came in between).
/// Only the lease holder writes. A lease that vanished (Redis lost its data) is taken
/// again: the caller checked its local deadline first, so it is not a paused owner
/// whose lease expired, and PostgreSQL's epoch still fences its durable writes. A lease its
/// room gave back is not taken again (a write that reaches Redis after the release is
/// refused, as a renewal is: `lease.rs`).
const HOT_CAS: &str = r"
local holder = redis.call('GET', KEYS[2])
if holder == false then
  if redis.call('ZSCORE', KEYS[3], ARGV[1]) then return 0 end
  redis.call('SET', KEYS[2], ARGV[1], 'PX', ARGV[5])
elseif holder ~= ARGV[1] then
  return 0
end
local cur = redis.call('HMGET', KEYS[1], 'epoch', 'tick')
if cur[1] then
  local ce, ct = tonumber(cur[1]), tonumber(cur[2])
  local e, t = tonumber(ARGV[2]), tonumber(ARGV[3])
  if ce > e then return 0 end
  if ce == e and ct > t then return 2 end
end
redis.call('HSET', KEYS[1], 'epoch', ARGV[2], 'tick', ARGV[3], 'state', ARGV[4])
return 1
";

/// One hot snapshot to write: `state` of `room` at `at`, by the holder of `token`.
#[derive(Clone, Debug)]
pub struct HotWrite {
    pub room: RoomId,
    pub token: String,
    pub at: HistoryPos,
    pub state: Vec<u8>,
}

/// Hot snapshots in Redis.
#[derive(Clone)]
pub struct HotSnapshots {
    redis: ConnectionManager,
    names: Names,
    lease_ttl: std::time::Duration,
    cas: redis::Script,
}

impl HotSnapshots {
    pub fn new(redis: ConnectionManager, names: Names, lease_ttl: std::time::Duration) -> Self {
        Self { redis, names, lease_ttl, cas: redis::Script::new(HOT_CAS) }
    }

    /// Write if we hold the lease and `at` is not lower than what is stored.
    /// `Ok(false)` means refused: ownership is lost. The same position again is
    /// written over (the room may have changed between ticks).
    pub async fn write(&self, room: RoomId, token: &str, at: HistoryPos, state: &[u8]) -> Result<bool, redis::RedisError> {
        let write = HotWrite { room, token: token.to_owned(), at, state: state.to_vec() };
        Ok(self.write_many(std::slice::from_ref(&write)).await?.first().copied().unwrap_or(false))
    }

    /// Many writes (as [`HotSnapshots::write`] each) in one round trip: one pipeline of
    /// `EVALSHA`s; the script is loaded again once if Redis lost it (a restart). Answers in
    /// the order of `writes`.
    pub async fn write_many(&self, writes: &[HotWrite]) -> Result<Vec<bool>, redis::RedisError> {
        let mut conn = self.redis.clone();
        let mut pipe = redis::pipe();
        for w in writes {
            pipe.cmd("EVALSHA")
                .arg(self.cas.get_hash())
                .arg(3)
                .arg(self.names.hot_snapshot(w.room))
                .arg(self.names.lease(w.room))
                .arg(self.names.leases_given_back())
                .arg(&w.token)
                .arg(w.at.epoch.get())
                .arg(w.at.tick.get())
                .arg(&w.state)
                .arg(self.lease_ttl.as_millis() as u64);
        }
        let answers: Vec<i64> = match pipe.query_async(&mut conn).await {
            Err(e) if e.kind() == redis::ErrorKind::Server(redis::ServerErrorKind::NoScript) => {
                self.cas.load_async(&mut conn).await?;
                pipe.query_async(&mut conn).await?
            }
            other => other?,
        };
        Ok(answers.into_iter().map(|ok| ok != 0).collect())
    }

    /// The Redis connection (shared, reconnecting), for clean-ups.
    pub fn connection(&self) -> ConnectionManager {
        self.redis.clone()
    }

    /// Remove the hot snapshot of a closed room.
    pub async fn delete(&self, room: RoomId) -> Result<(), redis::RedisError> {
        let mut conn = self.redis.clone();
        redis::cmd("DEL").arg(self.names.hot_snapshot(room)).query_async(&mut conn).await
    }

    /// The stored hot snapshot.
    pub async fn read(&self, room: RoomId) -> Result<Option<(HistoryPos, Vec<u8>)>, redis::RedisError> {
        let mut conn = self.redis.clone();
        let (e, t, s): (Option<u64>, Option<u64>, Option<Vec<u8>>) =
            redis::cmd("HMGET").arg(self.names.hot_snapshot(room)).arg("epoch").arg("tick").arg("state").query_async(&mut conn).await?;
        Ok(match (e, t, s) {
            (Some(e), Some(t), Some(s)) => Some((HistoryPos::new(Epoch(e), Tick(t)), s)),
            _ => None,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> RoomSnapshot {
        let ada = PlayerId::random();
        RoomSnapshot {
            tick: Tick(9),
            game_version: 3,
            game: vec![1, 2, 3],
            last_input: vec![(ada, InputSeq(4))],
            next_event_seq: 2,
            pending_events: vec![PendingEvent::new(
                1,
                Tick(9),
                GameEvent { kind: "k".into(), player: Some(ada), detail: serde_json::Value::Null },
                Audience::Players(vec![ada]),
            )],
            commands: vec![(ada, vec![(ClientMsgId(1), CommandOutcome::Accepted)])],
        }
    }

    #[test]
    fn a_snapshot_round_trips_in_its_envelope() {
        let s = sample();
        let bytes = s.encode();
        assert!(bytes.starts_with(&MAGIC));
        assert_eq!(RoomSnapshot::decode(&bytes).unwrap(), s);
    }

    #[test]
    fn a_snapshot_of_a_newer_layout_is_refused_clearly() {
        let bytes = postcard::to_extend(&(LAYOUT + 1, sample()), MAGIC.to_vec()).unwrap();
        let err = RoomSnapshot::decode(&bytes).unwrap_err();
        assert!(matches!(err, SnapshotError::Newer { found, known } if found == LAYOUT + 1 && known == LAYOUT), "{err}");
        assert!(err.to_string().contains("newer"), "{err}");
    }

    /// Written by the worker before snapshots were versioned (a `turns` room with one
    /// player, one pending event and one remembered command).
    #[test]
    fn a_snapshot_written_before_the_envelope_is_restored() {
        let bytes = include_bytes!("../tests/fixtures/room-snapshot-legacy.bin");
        let s = RoomSnapshot::decode(bytes).unwrap();
        assert_eq!((s.tick, s.next_event_seq, s.game_version), (Tick(3), 5, 0));
        assert_eq!(s.pending_events.len(), 1);
        assert_eq!(s.pending_events[0].audience, Audience::Everyone);
        assert_eq!(s.pending_events[0].detail_json, r#"{"x":1}"#);
        assert_eq!(s.commands[0].1, vec![(ClientMsgId(9), CommandOutcome::Accepted)]);
        assert!(orrery_testgame::turns::TurnsGame::from_snapshot(&s.game).is_ok(), "the game's bytes are intact");
        // Written again, it is in the current layout.
        assert_eq!(RoomSnapshot::decode(&s.encode()).unwrap(), s);
    }
}
