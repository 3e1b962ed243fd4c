//! A match driven as the worker drives a sleeping room: the clock told before every call,
//! a run after every call and whenever `wake_at` comes; every player's and a spectator's
//! frames applied to their own `FrontierView`, and checked against the truth after each
//! run: nothing outside a viewer's sight, and its deltas add up to its keyframe.
#![allow(dead_code)]

use orrery_common::PlayerId;
use orrery_common::game::{Game, GameEvent, Phase, RoomSettings, Viewer, WallMs};
use orrery_frontier::events::Happening;
use orrery_frontier::wire::{FrontierView, VISIBLE};
use orrery_frontier::{Action, FrontierCommand, FrontierGame, encode_command};

pub const START: u64 = 1_700_000_000_000;

pub fn settings(seats: u8, seed: u64) -> RoomSettings {
    RoomSettings { mode: orrery_frontier::MODE_BLITZ.into(), max_players: seats, tick_hz: 30, seed }
}

pub fn player(i: usize) -> PlayerId {
    PlayerId(uuid::Uuid::from_u128(0xf000 + i as u128))
}

pub struct Match {
    pub settings: RoomSettings,
    pub game: FrontierGame,
    pub first: Vec<u8>,
    pub now: u64,
    pub players: Vec<PlayerId>,
    pub events: Vec<GameEvent>,
    /// Each player's view (`None` while not joined), then the spectator's.
    pub views: Vec<Option<FrontierView>>,
    pub spectator: FrontierView,
}

impl Match {
    pub fn new(seats: u8, seed: u64) -> Self {
        let settings = settings(seats, seed);
        let game = FrontierGame::new(&settings);
        let first = game.snapshot();
        let mut spectator_bytes = Vec::new();
        game.encode_keyframe(&mut spectator_bytes);
        let spectator = FrontierView::from_keyframe(&spectator_bytes).unwrap();
        Self {
            settings,
            game,
            first,
            now: START,
            players: (0..usize::from(seats)).map(player).collect(),
            events: Vec::new(),
            views: vec![None; usize::from(seats)],
            spectator,
        }
    }

    pub fn keyframe(&self, viewer: Viewer) -> Vec<u8> {
        let mut out = Vec::new();
        self.game.encode_keyframe(&mut out);
        self.game.encode_keyframe_view(viewer, &mut out);
        out
    }

    /// Run the room now, apply the frame to every view and check them.
    pub fn run(&mut self) {
        self.game.set_clock(WallMs(self.now));
        let mut events = Vec::new();
        self.game.step(&mut events);
        self.events.extend(events);
        for (i, view) in self.views.iter_mut().enumerate() {
            if let Some(view) = view {
                let mut out = Vec::new();
                self.game.encode_delta(&mut out);
                self.game.encode_delta_view(Viewer::Player(self.players[i]), &mut out);
                view.apply_delta(&out).unwrap();
            }
        }
        let mut out = Vec::new();
        self.game.encode_delta(&mut out);
        let shared = out.len();
        self.game.encode_delta_view(Viewer::Spectator, &mut out);
        assert_eq!(out.len(), shared, "a spectator has no part of its own");
        self.spectator.apply_delta(&out).unwrap();
        self.check();
    }

    pub fn join(&mut self, i: usize) -> bool {
        self.game.set_clock(WallMs(self.now));
        let ok = self.game.join(self.players[i], &format!("p{i}")).is_ok();
        if ok {
            self.views[i] = Some(FrontierView::from_keyframe(&self.keyframe(Viewer::Player(self.players[i]))).unwrap());
        }
        self.run();
        ok
    }

    pub fn disconnect(&mut self, i: usize) {
        self.game.set_clock(WallMs(self.now));
        self.game.disconnect(self.players[i]);
        self.run();
    }

    pub fn leave(&mut self, i: usize) {
        self.game.set_clock(WallMs(self.now));
        self.game.leave(self.players[i]);
        self.run();
    }

    pub fn command(&mut self, i: usize, action: Action) -> Result<(), String> {
        self.game.set_clock(WallMs(self.now));
        let bytes = encode_command(&FrontierCommand { turn: self.game.state().turn, action });
        let outcome = self.game.command(self.players[i], &bytes).map_err(|e| e.0);
        self.run();
        outcome
    }

    /// Player `i` submits what the bot would order from its view.
    pub fn submit_as_bot(&mut self, i: usize) -> Result<(), String> {
        let Some(mine) = self.views[i].as_ref().and_then(|v| v.mine.clone()) else { return Err("not joined".into()) };
        let p = &self.views[i].as_ref().unwrap().public;
        let orders = orrery_frontier::bots::orders(&mine, p.width, p.height);
        self.command(i, Action::Submit(orders))
    }

    /// Move the clock to the room's next wake-up (or by `max_ms`) and run it.
    pub fn wait(&mut self, max_ms: u64) {
        let at = self.game.wake_at().map_or(self.now + max_ms, |w| w.0.min(self.now + max_ms));
        self.now = self.now.max(at);
        self.run();
    }

    pub fn phase(&self) -> Phase {
        self.game.phase()
    }

    /// Every view against the truth.
    pub fn check(&self) {
        let state = self.game.state();
        let happenings: Vec<Happening> = self.events.iter().map(|e| Happening::from_event(e).unwrap()).collect();
        assert_eq!(self.spectator.mine, None);
        assert_eq!(self.spectator.public, orrery_frontier::wire::public(state));
        for (i, view) in self.views.iter().enumerate() {
            let Some(view) = view else { continue };
            let Some(seat) = state.seat_of(self.players[i]) else { continue };
            let mine = view.mine.as_ref().expect("a seated player has its part");
            assert_eq!(mine.seat, seat);
            let visible = state.visible(seat);
            let explored = &state.seats[usize::from(seat)].explored;
            for (t, tile) in mine.tiles.iter().enumerate() {
                assert_eq!(*tile != 0, explored[t], "tile {t}: known iff explored (seat {seat})");
                assert_eq!(tile & VISIBLE != 0, visible[t], "tile {t}: marked seen iff seen");
            }
            for u in &mine.units {
                assert!(u.owner == seat || visible[state.map.index(u.pos)], "seat {seat} is shown a unit it cannot see: {u:?}");
                assert!(state.units.contains(u), "a unit that is not so: {u:?}");
            }
            for c in &mine.cities {
                assert!(c.owner == Some(seat) || visible[state.map.index(c.pos)], "seat {seat} is shown a city it cannot see");
                assert!(c.production.is_none() || c.owner == Some(seat), "another's production");
            }
            for entry in &mine.log {
                assert!(
                    happenings.iter().any(|h| h.turn == entry.turn && h.what == entry.what && h.seen_by(Some(seat))),
                    "seat {seat} was told of something it may not know: {entry:?}"
                );
            }
            let fresh = FrontierView::from_keyframe(&self.keyframe(Viewer::Player(self.players[i]))).unwrap();
            let fresh_mine = fresh.mine.as_ref().unwrap();
            assert_eq!(view.public, fresh.public, "deltas add up to the keyframe (scoreboard)");
            assert_eq!(
                (&mine.tiles, &mine.units, &mine.cities, &mine.orders),
                (&fresh_mine.tiles, &fresh_mine.units, &fresh_mine.cities, &fresh_mine.orders)
            );
        }
    }
}
