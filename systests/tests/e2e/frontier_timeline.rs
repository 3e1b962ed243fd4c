//! A Frontier match's durable record, for the tests that check what players were sent
//! against it: the room's settings, its timeline (`match_events`, each event with the
//! (epoch, tick) of the run that wrote it, which is also the frame that carried it) and its
//! last durable snapshot; the state at any frame position, replayed from the first state.

use orrery_common::game::{Game, GameEvent, RoomSettings};
use orrery_common::{Epoch, HistoryPos, RoomId, Tick};
use orrery_frontier::FrontierGame;
use orrery_frontier::events::{Happening, What};
use orrery_frontier::state::Seat;
use orrery_frontier::wire::LogEntry;

/// A bot played its match to the end and decoded every frame, none twice.
pub fn assert_played_to_the_end(s: &orrery_client::frontier::FrontierStats) {
    assert!(s.match_ended, "the match ends: {s:?}");
    assert_eq!((s.decode_errors, s.duplicates), (0, 0), "{s:?}");
}

pub struct Timeline {
    pub settings: RoomSettings,
    /// Every event in order, with the position of the frame of its run.
    pub events: Vec<(HistoryPos, GameEvent)>,
    pub happenings: Vec<Happening>,
    /// The game of the room's last durable snapshot.
    pub last: FrontierGame,
}

impl Timeline {
    pub async fn load(pg: &sqlx::PgPool, room: RoomId) -> Timeline {
        let id = room.get() as i64;
        let (settings,): (serde_json::Value,) =
            sqlx::query_as("SELECT settings FROM rooms WHERE id = $1").bind(id).fetch_one(pg).await.unwrap();
        let settings: RoomSettings = serde_json::from_value(settings).unwrap();
        let rows: Vec<(i64, i64, String, serde_json::Value)> =
            sqlx::query_as("SELECT epoch, tick, kind, payload FROM match_events WHERE room = $1 ORDER BY seq")
                .bind(id)
                .fetch_all(pg)
                .await
                .unwrap();
        let events: Vec<(HistoryPos, GameEvent)> = rows
            .into_iter()
            .map(|(epoch, tick, kind, detail)| {
                (HistoryPos::new(Epoch(epoch as u64), Tick(tick as u64)), GameEvent { kind, player: None, detail })
            })
            .collect();
        let happenings = events.iter().map(|(_, e)| Happening::from_event(e).unwrap()).collect();
        let (state,): (Vec<u8>,) = sqlx::query_as("SELECT state FROM room_snapshots WHERE room = $1").bind(id).fetch_one(pg).await.unwrap();
        let snapshot = orrery_worker::snapshot::RoomSnapshot::decode(&state).unwrap();
        let last = FrontierGame::restore(&settings, &snapshot.game).unwrap();
        Timeline { settings, events, happenings, last }
    }

    /// The state after the first `n` events (a run boundary: a whole frame's events).
    pub fn replay_first(&self, n: usize) -> FrontierGame {
        let first = FrontierGame::new(&self.settings).snapshot();
        let events: Vec<GameEvent> = self.events[..n].iter().map(|(_, e)| e.clone()).collect();
        orrery_frontier::replay::replay(&self.settings, &first, &events).unwrap()
    }

    /// The state as of the frame at `pos`, `from` a state already replayed to
    /// `(events, game)`: the events after it up to `pos`, replayed on it.
    pub fn replay_on(&self, from: (usize, FrontierGame), pos: HistoryPos) -> (usize, FrontierGame) {
        let (done, game) = from;
        let upto = self.events.iter().take_while(|(p, _)| *p <= pos).count().max(done);
        let events: Vec<GameEvent> = self.events[done..upto].iter().map(|(_, e)| e.clone()).collect();
        (upto, orrery_frontier::replay::replay(&self.settings, &game.snapshot(), &events).unwrap())
    }

    /// The events of the frame at `pos`, as `seat` may know them (its log's new entries).
    pub fn seen_at(&self, pos: HistoryPos, seat: Seat) -> Vec<LogEntry> {
        self.events
            .iter()
            .zip(&self.happenings)
            .filter(|((p, _), h)| *p == pos && h.seen_by(Some(seat)))
            .map(|(_, h)| LogEntry { turn: h.turn, what: h.what.clone() })
            .collect()
    }

    /// The whole timeline replays to the last durable state (the test of every match).
    pub fn assert_replays_to_the_final_state(&self) {
        let replayed = self.replay_first(self.events.len());
        assert_eq!(replayed.state(), self.last.state(), "the timeline replays to the final state");
    }

    /// The index of the first event matching `what`, from `from` on.
    pub fn find(&self, from: usize, what: impl Fn(&What) -> bool) -> Option<usize> {
        (from..self.happenings.len()).find(|&i| what(&self.happenings[i].what))
    }

    /// The turns resolved, in order.
    pub fn resolved(&self) -> Vec<u32> {
        self.happenings.iter().filter_map(|h| if let What::Resolved { turn } = h.what { Some(turn) } else { None }).collect()
    }

    /// `seat`'s `Orders` records of `turn` (what it had given when the turn resolved).
    pub fn orders_of(&self, seat: Seat, turn: u32) -> Vec<(bool, Vec<orrery_frontier::state::Order>)> {
        self.happenings
            .iter()
            .filter(|h| h.turn == turn)
            .filter_map(|h| match &h.what {
                What::Orders { seat: s, submitted, orders } if *s == seat => Some((*submitted, orders.clone())),
                _ => None,
            })
            .collect()
    }
}
