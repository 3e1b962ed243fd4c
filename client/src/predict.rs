//! Client-side prediction for the space arena: the player's own ship moves at once, the
//! other ships are shown a little in the past, and corrections never jump.
//!
//! - **Prediction and reconciliation**: client and server share the arena's fixed-point
//!   kinematics, so replaying the inputs the server has not acknowledged on top of each
//!   authoritative frame gives exactly where the server will be once it applies them.
//! - **Smooth convergence**: the displayed ship is not moved to the prediction;
//!   its velocity is the predicted velocity plus a share of the error, so a correction
//!   shows as a short glide. Only an error beyond [`SNAP_DISTANCE`] (a respawn, a
//!   teleport) jumps.
//! - **Interpolation**: other ships are drawn between the two authoritative frames around
//!   "now minus a delay", from a short buffer of frames.
//!
//! The client is expected to send one input per tick (intents persist on the server
//! until the next input, so one per tick is also what keeps prediction exact).

use orrery_arena::ArenaView;
use orrery_arena::Intent;
use orrery_arena::input::quantise_turn;
use orrery_arena::world::{Ship, World};
use orrery_common::{InputSeq, PlayerId};
use std::collections::VecDeque;

/// An error larger than this (units) is a discontinuity: snap instead of gliding.
pub const SNAP_DISTANCE: f32 = 200.0;
/// Share of the remaining error corrected per second of display time.
pub const CONVERGENCE_PER_SECOND: f32 = 8.0;
/// Authoritative frames kept for interpolation.
const HISTORY: usize = 8;

/// Prediction state for one player.
#[derive(Debug)]
pub struct Predictor {
    me: PlayerId,
    pending: VecDeque<(InputSeq, Intent)>,
    predicted: Option<World>,
    display: Option<((f32, f32), (f32, f32))>,
    history: VecDeque<World>,
}

impl Predictor {
    pub fn new(me: PlayerId) -> Self {
        Self { me, pending: VecDeque::new(), predicted: None, display: None, history: VecDeque::new() }
    }

    /// An input was sent: the prediction moves one tick with it at once.
    pub fn on_input(&mut self, seq: InputSeq, intent: Intent) {
        self.pending.push_back((seq, intent));
        if let Some(world) = self.predicted.as_mut() {
            step_with(world, self.me, &intent);
        }
    }

    /// An authoritative frame (the view after applying it) with this player's ack: drop
    /// what it acknowledged and replay the rest on top of it.
    pub fn on_server(&mut self, view: &ArenaView, ack: Option<InputSeq>) {
        if let Some(ack) = ack {
            while self.pending.front().is_some_and(|(seq, _)| *seq <= ack) {
                self.pending.pop_front();
            }
        }
        let mut world = view.world().clone();
        for (_, intent) in &self.pending {
            step_with(&mut world, self.me, intent);
        }
        self.predicted = Some(world);
        self.history.push_back(view.world().clone());
        while self.history.len() > HISTORY {
            self.history.pop_front();
        }
    }

    /// Inputs not yet acknowledged (replayed on every frame).
    pub fn pending(&self) -> usize {
        self.pending.len()
    }

    /// The player's own ship as predicted.
    pub fn predicted_ship(&self) -> Option<&Ship> {
        let world = self.predicted.as_ref()?;
        world.ships.get(usize::from(world.slot_of(self.me)?))?.as_ref()
    }

    /// Advance the displayed position of the player's own ship by `dt` seconds toward the
    /// prediction, by velocity, and return it (units). Called once the frame for "now" has
    /// been applied, it returns where to draw the ship at "now + dt".
    pub fn display_step(&mut self, dt: f32) -> Option<(f32, f32)> {
        let ship = self.predicted_ship()?;
        let target = ship.pos.to_units();
        let hz = f32::from(self.predicted.as_ref()?.physics.tick_hz);
        let (vx, vy) = ship.vel.to_units();
        let target_vel = (vx * hz, vy * hz);
        let (pos, _) = match self.display {
            Some((pos, vel)) if distance(pos, target) <= SNAP_DISTANCE => (pos, vel),
            _ => {
                self.display = Some((target, target_vel));
                return Some(target);
            }
        };
        // Glide: the predicted motion plus a share of the error, never a jump.
        let gain = (CONVERGENCE_PER_SECOND * dt).min(1.0);
        let vel = (target_vel.0 + (target.0 - pos.0) * gain / dt.max(1e-6), target_vel.1 + (target.1 - pos.1) * gain / dt.max(1e-6));
        let next = (pos.0 + target_vel.0 * dt + (target.0 - pos.0) * gain, pos.1 + target_vel.1 * dt + (target.1 - pos.1) * gain);
        self.display = Some((next, vel));
        Some(next)
    }

    /// Where another player's ship is drawn `delay_ticks` behind the newest frame: linear
    /// interpolation between the two buffered frames around that moment.
    pub fn interpolated(&self, player: PlayerId, delay_ticks: f64) -> Option<(f32, f32)> {
        let newest = self.history.back()?;
        let at = newest.tick as f64 - delay_ticks;
        let pos = |w: &World| w.ships.get(usize::from(w.slot_of(player)?))?.as_ref().map(|s| s.pos.to_units());
        let after = self.history.iter().find(|w| w.tick as f64 >= at)?;
        let before = self.history.iter().rev().find(|w| (w.tick as f64) <= at).unwrap_or(after);
        let (a, b) = (pos(before)?, pos(after)?);
        let span = (after.tick - before.tick) as f64;
        let t = if span == 0.0 { 0.0 } else { ((at - before.tick as f64) / span) as f32 };
        Some((a.0 + (b.0 - a.0) * t, a.1 + (b.1 - a.1) * t))
    }
}

/// One tick of the shared kinematics with this player's intent applied first, as the
/// server applies a pending input at the start of its next tick.
fn step_with(world: &mut World, me: PlayerId, intent: &Intent) {
    if let Some(slot) = world.slot_of(me)
        && let Some(Some(ship)) = world.ships.get_mut(usize::from(slot))
        && ship.alive
    {
        ship.turn = quantise_turn(intent.turn);
        ship.thrust = intent.thrust;
        ship.fire = intent.fire;
    }
    world.advance();
}

fn distance(a: (f32, f32), b: (f32, f32)) -> f32 {
    (a.0 - b.0).hypot(a.1 - b.1)
}

#[cfg(test)]
mod tests {
    use super::*;
    use orrery_arena::{ArenaGame, encode_intent};
    use orrery_common::game::{Game, Phase, RoomSettings};
    use std::collections::BTreeMap;

    fn running_game(me: PlayerId, other: PlayerId) -> ArenaGame {
        let mut game = ArenaGame::new(&RoomSettings { mode: "arena-duel".into(), ..RoomSettings::default() });
        game.join(me, "me").unwrap();
        game.join(other, "other").unwrap();
        let mut events = Vec::new();
        while game.phase() != Phase::Running {
            game.step(&mut events);
        }
        game
    }

    fn motion(ship: &Ship) -> (i32, i32, i32, i32, u16) {
        (ship.pos.x, ship.pos.y, ship.vel.x, ship.vel.y, ship.angle)
    }

    #[test]
    fn the_prediction_lands_exactly_where_the_server_goes() {
        let (me, other) = (PlayerId::random(), PlayerId::random());
        let mut server = running_game(me, other);
        let mut p = Predictor::new(me);
        p.on_server(&server.view(), None);
        let mut in_flight: VecDeque<(u32, InputSeq, Intent)> = VecDeque::new();
        let mut expected: BTreeMap<u64, (i32, i32, i32, i32, u16)> = BTreeMap::new();
        let (mut ack, mut checked, mut events) = (None, 0, Vec::new());
        for t in 0..150u32 {
            let seq = InputSeq(t + 1);
            let intent = Intent { turn: ((t / 10) % 3) as f32 - 1.0, thrust: t % 7 < 3, fire: false };
            p.on_input(seq, intent);
            in_flight.push_back((t + 2, seq, intent)); // two ticks on the way to the server
            while in_flight.front().is_some_and(|(due, ..)| *due <= t) {
                let (_, seq, intent) = in_flight.pop_front().unwrap();
                server.apply_input(me, &encode_intent(&intent)).unwrap();
                ack = Some(seq);
            }
            server.step(&mut events);
            let view = server.view();
            let actual = motion(view.ship_of(me).unwrap().ship);
            if let Some(predicted) = expected.remove(&view.tick()) {
                assert_eq!(predicted, actual, "tick {}: the prediction made earlier is exact", view.tick());
                checked += 1;
            }
            p.on_server(&view, ack);
            // Before the first ack the client cannot know how long inputs take to arrive;
            // from then on every prediction must be exact.
            if ack.is_some() {
                expected.insert(view.tick() + p.pending() as u64, motion(p.predicted_ship().unwrap()));
            }
        }
        assert!(checked > 140, "checked {checked} predictions");
    }

    #[test]
    fn a_correction_glides_instead_of_jumping_and_a_discontinuity_snaps() {
        let (me, other) = (PlayerId::random(), PlayerId::random());
        let mut server = running_game(me, other);
        let mut p = Predictor::new(me);
        p.on_server(&server.view(), None);
        let start = p.display_step(1.0 / 60.0).unwrap();
        // The server moves the ship in a way this client did not predict (another client's
        // inputs, say): thrust for a while.
        let mut events = Vec::new();
        for _ in 0..15 {
            server.apply_input(me, &encode_intent(&Intent { turn: 0.0, thrust: true, fire: false })).unwrap();
            server.step(&mut events);
        }
        p.on_server(&server.view(), None);
        let target = p.predicted_ship().unwrap().pos.to_units();
        let error = distance(start, target);
        assert!(error > 5.0 && error < SNAP_DISTANCE, "a real but small disagreement: {error}");
        // Frames keep coming (the ship keeps thrusting); the display is stepped once a tick.
        let max_step = 300.0 / 30.0;
        let mut shown = start;
        for _ in 0..45 {
            let next = p.display_step(1.0 / 30.0).unwrap();
            assert!(distance(shown, next) <= max_step + error * 0.3, "a step of the glide is never a jump");
            shown = next;
            server.apply_input(me, &encode_intent(&Intent { turn: 0.0, thrust: true, fire: false })).unwrap();
            server.step(&mut events);
            p.on_server(&server.view(), None);
        }
        // A display step renders the moment of the next frame: compare it with that frame.
        let shown = p.display_step(1.0 / 30.0).unwrap();
        server.apply_input(me, &encode_intent(&Intent { turn: 0.0, thrust: true, fire: false })).unwrap();
        server.step(&mut events);
        p.on_server(&server.view(), None);
        let left = distance(shown, p.predicted_ship().unwrap().pos.to_units());
        assert!(left < 1.0, "converged within 1.5 s: {left}");

        // A discontinuity beyond the snap distance is shown at once.
        let far = World { ..server.view().world().clone() };
        let mut far = far;
        let slot = usize::from(far.slot_of(me).unwrap());
        far.ships[slot].as_mut().unwrap().pos.x += (SNAP_DISTANCE as i32 + 50) * orrery_arena::fixed::SUBUNITS_PER_UNIT;
        p.on_server(&ArenaView::from_world(far), None);
        let snapped = p.display_step(1.0 / 60.0).unwrap();
        assert_eq!(snapped, p.predicted_ship().unwrap().pos.to_units());
    }

    #[test]
    fn other_ships_are_interpolated_between_buffered_frames() {
        let (me, other) = (PlayerId::random(), PlayerId::random());
        let mut server = running_game(me, other);
        let mut p = Predictor::new(me);
        let mut events = Vec::new();
        let mut seen = Vec::new();
        for _ in 0..4 {
            server.apply_input(other, &encode_intent(&Intent { turn: 0.3, thrust: true, fire: false })).unwrap();
            server.step(&mut events);
            let view = server.view();
            seen.push(view.ship_of(other).unwrap().position());
            p.on_server(&view, None);
        }
        assert_eq!(p.interpolated(other, 1.0).unwrap(), seen[2], "one tick back is the previous frame");
        let half = p.interpolated(other, 1.5).unwrap();
        let mid = ((seen[1].0 + seen[2].0) / 2.0, (seen[1].1 + seen[2].1) / 2.0);
        assert!(distance(half, mid) < 1e-3, "halfway between two frames: {half:?} vs {mid:?}");
    }
}
