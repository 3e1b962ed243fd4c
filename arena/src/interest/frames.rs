//! [`ViewFrames`]: a large room's board and every player's view as of the last step, and
//! the deltas that step produced, so that the `Game` encoders (which take `&self`) only copy
//! bytes.

use super::bullets::{BulletIds, Flight, Seen, as_flown};
use super::filter::{FilterScratch, Near, filter_near};
use super::grid::Grid;
use super::ids::{IdIndex, find};
use super::players::PlayerMap;
use super::{Interest, board, filter, refresh_board};
use crate::config::Physics;
use crate::kinematics::HoleCells;
use crate::rules::{ForViews, MovedShips};
use crate::seats::Seats;
use crate::wire::delta::{self, Known, MatchedBullets};
use crate::wire::split;
use crate::world::{BlackHole, Bullet, World};
use orrery_common::PlayerId;

/// One part (the board, or one player's view): the world as of the last step, the room's
/// ids of its bullets, and the delta that step produced; and where its next world is built.
/// That buffer is the part's own: from one tick to the next a view holds mostly the same
/// ships, so copying them reuses their allocations (a buffer shared by all views would
/// reallocate a name for every ship that one view holds and the one before did not). The
/// delta's prediction is computed over the part's world, which is not needed after it.
#[derive(Clone, Debug)]
struct Part {
    world: World,
    /// The occupied slots of `world`, and of `next` when it is filtered into (`advance`
    /// leaves the prediction there, seated as `world`).
    seats: Seats,
    ids: BulletIds,
    delta: Vec<u8>,
    next: World,
    next_ids: BulletIds,
}

impl Part {
    fn new(world: World) -> Self {
        let seats = Seats::of(&world.ships);
        Self { ids: BulletIds::starting(&world), next: world.clone(), next_ids: BulletIds::default(), world, seats, delta: vec![0] }
    }

    /// Makes `self.next` (with its bullets' room ids `self.next_ids`) this part's world,
    /// with the delta from the current one; the prediction's bullets fly as in `flown` (the
    /// room's bullets flown one tick, by id, indexed by `flown_index`), and its ships look
    /// only at the holes `cells` give when they are the cells of this part's holes.
    /// `next_seats`: the occupied slots of `self.next`; `matched`: how the prediction of
    /// this part's bullets matches them, when the filter knows; `moved`: the slots of
    /// ships the room's step left as moved (`rules::MovedShips`), which this part's
    /// prediction then need not move if it held them and holds them still, and the slots
    /// whose seat the step kept (no seat change where this part held the ship and holds it
    /// still); `statics_same`:
    /// the physics and black holes of `self.next` are those of `self.world`.
    #[allow(clippy::too_many_arguments)] // what the filter and the step learnt, and the flight
    fn advance(
        &mut self,
        next_seats: Seats,
        matched: Option<MatchedBullets<'_>>,
        (moved, seats_kept): (Seats, Seats),
        statics_same: bool,
        flown: &[Bullet],
        flown_index: &IdIndex,
        cells: Option<&HoleCells>,
    ) {
        self.delta.clear();
        let globals = &self.ids.globals;
        let fly = || {
            move |bullets: &mut Vec<Bullet>| {
                let mut global = globals.iter();
                bullets.retain_mut(|b| {
                    let id = global.next().and_then(|&g| find(Some(flown_index), flown, g, |f| f.id));
                    id.map(|i| *b = Bullet { id: b.id, ..flown[i].clone() }).is_some()
                });
            }
        };
        debug_assert!(
            !statics_same || (self.world.physics == self.next.physics && self.world.black_holes == self.next.black_holes),
            "statics said the same"
        );
        // The cells are built for the room's statics, which are the next world's.
        let cells = cells.filter(|cells| statics_same || cells.built_for(&self.world.black_holes, &self.world.physics));
        // Debug builds check the described prediction against the flown one, byte for byte.
        let moved = Seats(moved.0 & self.seats.0 & next_seats.0);
        let same_seats = Seats(seats_kept.0 & self.seats.0 & next_seats.0);
        #[cfg(debug_assertions)]
        let expected = (matched.is_some() || moved != Seats::default() || same_seats != Seats::default()).then(|| {
            let (mut base, mut expected) = (self.world.clone(), Vec::new());
            let known = Known { fly: Some(&mut fly()), cells, ..Known::default() };
            delta::encode_over(&mut base, &self.next, known, &mut expected);
            expected
        });
        let known = Known {
            fly: Some(&mut fly()),
            cells,
            seats: Some((self.seats, next_seats)),
            bullets: matched,
            moved,
            same_seats,
            statics_same,
        };
        delta::encode_over(&mut self.world, &self.next, known, &mut self.delta);
        #[cfg(debug_assertions)]
        if let Some(expected) = expected {
            assert_eq!(self.delta, expected, "the described prediction's delta (moved ships {moved:?})");
        }
        self.seats = next_seats;
        std::mem::swap(&mut self.world, &mut self.next);
        std::mem::swap(&mut self.ids, &mut self.next_ids);
    }
}

/// The parts of a large room's frames.
#[derive(Clone, Debug)]
pub struct ViewFrames {
    interest: Interest,
    board: Part,
    /// Seated players' views.
    views: PlayerMap<Part>,
    /// The view of somebody without a ship (a spectator, a kicked player): the header only.
    nobody: Part,
    /// The bullets and pickups of the world being filtered, by cell (and its bullets by id).
    grid: Grid,
    /// The bullets of the world before the step, flown one tick (by id; the step writes
    /// them): every view's prediction looks its bullets up here instead of flying them again.
    flown: Vec<Bullet>,
    flown_index: IdIndex,
    /// Per bullet of the world after the step: its index in `flown` when the rules left it
    /// as flown (see `Flight::as_flown`).
    flown_at: Vec<u32>,
    /// The room's black holes by cell, for the views' predictions of their ships.
    cells: Option<HoleCells>,
    /// The ships the step left as moved (it writes them).
    moved: MovedShips,
    /// The room's physics and black holes as of the last step, and for how many steps in a
    /// row they have been the same (then a view's worlds and buffers hold them already).
    statics: (Physics, Vec<BlackHole>),
    statics_steps: u32,
    /// The room's `next_bullet_id` before the step.
    fired_from: u32,
    filter_scratch: FilterScratch,
}

impl ViewFrames {
    /// The parts of a room whose clients hold `sent` (a new room, or one just restored:
    /// views start from the enter radius).
    pub fn new(interest: Interest, sent: &World) -> Self {
        let mut board_world = sent.clone();
        board(sent, &mut board_world);
        let mut nobody = sent.clone();
        filter(sent, None, &interest, None, &mut nobody);
        Self {
            interest,
            board: Part::new(board_world),
            views: PlayerMap::default(),
            nobody: Part::new(nobody),
            grid: Grid::new(interest.enter / 2),
            flown: Vec::new(),
            flown_index: IdIndex::default(),
            flown_at: Vec::new(),
            cells: None,
            moved: MovedShips::default(),
            statics: (sent.physics.clone(), sent.black_holes.clone()),
            statics_steps: 0,
            fired_from: sent.next_bullet_id,
            filter_scratch: FilterScratch::default(),
        }
    }

    /// Before a step: every player seated in `world` gets a view of `sent` if it has none yet
    /// (what a keyframe sent to it before this step held), for the step's delta to start from.
    pub fn before_step(&mut self, sent: &World, world: &World) {
        self.fired_from = sent.next_bullet_id;
        for (_, ship) in world.seated() {
            if !self.views.contains_key(&ship.player) {
                let view = self.fresh_view(sent, Some(ship.player));
                self.views.insert(ship.player, Part::new(view));
            }
        }
    }

    /// After a step: the board and every seated player's view of `sent` (the world as of
    /// the step) and their deltas; the views of players no longer seated are dropped.
    pub fn after_step(&mut self, sent: &World) {
        let Self {
            interest,
            board: board_part,
            views,
            nobody,
            grid,
            flown,
            flown_index,
            flown_at,
            cells,
            moved,
            statics,
            statics_steps,
            fired_from,
            filter_scratch,
        } = self;
        if sent.physics == statics.0 && sent.black_holes == statics.1 {
            *statics_steps = statics_steps.saturating_add(1);
        } else {
            statics.0.clone_from(&sent.physics);
            statics.1.clone_from(&sent.black_holes);
            *statics_steps = 0;
        }
        grid.rebuild(sent);
        flown_index.rebuild(flown.iter().map(|b| b.id));
        as_flown(sent, flown, flown_index, flown_at);
        if !cells.as_ref().is_some_and(|cells| cells.built_for(&sent.black_holes, &sent.physics)) {
            *cells = Some(HoleCells::new(&sent.black_holes, &sent.physics));
        }
        let cells = cells.as_ref();
        views.retain(|player, _| grid.slot_of(*player).is_some());
        refresh_board(sent, &board_part.world, &mut board_part.next);
        board_part.next_ids = BulletIds::default();
        board_part.advance(Seats::of(&board_part.next.ships), None, (Seats::default(), Seats::default()), false, flown, flown_index, cells);
        filter(sent, None, interest, None, &mut nobody.next);
        nobody.next_ids = BulletIds::default();
        nobody.advance(Seats::default(), None, (Seats::default(), Seats::default()), false, flown, flown_index, cells);
        for (player, part) in views.iter_mut() {
            let Part { world, seats, ids, next, next_ids, .. } = part;
            let seen = Some(Seen { world, seats: *seats, ids });
            // Two steps alike: `next` (the prediction of one step ago) holds them too.
            let statics_held = *statics_steps >= 2;
            let near = Near { grid: Some(grid), flight: Some(Flight { flown, index: flown_index, as_flown: flown_at }), statics_held };
            let next_seats = filter_near(sent, *fired_from, near, Some(*player), interest, seen, next, *seats, next_ids, filter_scratch);
            let matched = filter_scratch.matched(flown, &part.next.bullets);
            part.advance(next_seats, matched, (moved.slots, moved.seats_kept), *statics_steps >= 1, flown, flown_index, cells);
        }
    }

    /// Where the step writes the bullets it flew and the ships it left as moved, and the
    /// hole cells it may use (see `StepOutput::Flown`).
    pub fn for_step(&mut self) -> ForViews<'_> {
        (self.moved.slots, self.moved.seats_kept) = (Seats::default(), Seats::default());
        ForViews { flown: &mut self.flown, moved: &mut self.moved, cells: self.cells.as_ref() }
    }

    /// The shared part of a keyframe.
    pub fn encode_keyframe(&self, out: &mut Vec<u8>) {
        split::encode_shared_keyframe(&self.board.world, out);
    }

    /// The shared part of the last step's delta.
    pub fn encode_delta(&self, out: &mut Vec<u8>) {
        split::encode_shared_delta(&self.board.delta, out);
    }

    /// `viewer`'s part of a keyframe of `sent` (the world as of the last step).
    pub fn encode_keyframe_view(&self, sent: &World, viewer: Option<PlayerId>, out: &mut Vec<u8>) {
        match viewer.and_then(|p| self.views.get(&p)) {
            Some(part) => crate::wire::keyframe::encode(&part.world, out),
            None => crate::wire::keyframe::encode(&self.fresh_view(sent, viewer), out),
        }
    }

    /// `viewer`'s part of the last step's delta.
    pub fn encode_delta_view(&self, viewer: Option<PlayerId>, out: &mut Vec<u8>) {
        let part = viewer.and_then(|p| self.views.get(&p)).unwrap_or(&self.nobody);
        out.extend_from_slice(&part.delta);
    }

    /// The view of `viewer` that has no history.
    fn fresh_view(&self, sent: &World, viewer: Option<PlayerId>) -> World {
        let mut view = sent.clone();
        filter(sent, viewer, &self.interest, None, &mut view);
        view
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::{ArenaConfig, MODE_LARGE};
    use crate::fixed::{SUBUNITS_PER_UNIT, Vec2};
    use crate::world::Ship;
    use orrery_common::game::Phase;

    fn player(n: u128) -> PlayerId {
        PlayerId(uuid::Uuid::from_u128(n))
    }

    /// Two ships in each other's view, bullets around the first, nothing pulling.
    fn room() -> World {
        let physics = ArenaConfig::large(30, 4).physics;
        let (cx, cy) = (physics.width / 2, physics.height / 2);
        let mut world = World::new(physics, 4, Vec::new());
        world.phase = Phase::Running;
        world.phase_ticks_left = 10_000;
        for (slot, dx) in [(0usize, 0), (1, 200 * SUBUNITS_PER_UNIT)] {
            let mut ship = Ship::seated(player(slot as u128 + 1), format!("s{slot}"), 0xFF);
            (ship.alive, ship.health, ship.fire) = (true, 100, true);
            ship.pos = Vec2::new(cx + dx, cy);
            world.ships[slot] = Some(ship);
        }
        for id in 0..8 {
            let pos = Vec2::new(cx + (id as i32 - 4) * 40 * SUBUNITS_PER_UNIT, cy + 300 * SUBUNITS_PER_UNIT);
            world.bullets.push(Bullet { id, owner: 1, pos, vel: Vec2::new(0, -SUBUNITS_PER_UNIT), ttl: 500 });
        }
        world.next_bullet_id = 8;
        world
    }

    /// The room's step as the frames see it: the motion (recording what it flew), then
    /// `rules`, then every part's delta. Each view's delta, applied to what its client
    /// held, must give the view (debug builds also check it against the flown prediction).
    fn step(world: &mut World, frames: &mut ViewFrames, rules: impl FnOnce(&mut World)) {
        frames.before_step(world, world);
        let held: Vec<(PlayerId, World)> = frames.views.iter().map(|(p, part)| (*p, part.world.clone())).collect();
        let fired_from = world.next_bullet_id;
        world.advance();
        let fired = world.next_bullet_id.wrapping_sub(fired_from);
        let flown = frames.for_step().flown;
        flown.clear();
        flown.extend(world.bullets.iter().filter(|b| b.id.wrapping_sub(fired_from) >= fired).cloned());
        flown.sort_unstable_by_key(|b| b.id);
        rules(world);
        frames.after_step(world);
        for (p, mut client) in held {
            let part = &frames.views[&p];
            delta::apply(&mut client, &part.delta).unwrap();
            assert_eq!(client, part.world, "{p:?}'s client");
        }
    }

    #[test]
    fn views_predict_their_bullets_through_hits_changes_and_exits() {
        let interest = Interest::for_mode(MODE_LARGE).unwrap();
        let mut world = room();
        let mut frames = ViewFrames::new(interest, &world);
        step(&mut world, &mut frames, |_| {});
        step(&mut world, &mut frames, |_| {});
        let held = |frames: &ViewFrames| frames.views[&player(1)].world.bullets.len();
        assert!(held(&frames) >= 8, "the view holds the bullets and its shots");
        // A rule that changes a bullet without removing it (none does today): mispredicted.
        step(&mut world, &mut frames, |w| w.bullets[2].vel.x += 7);
        assert!(frames.views[&player(1)].delta.len() > 1);
        // A hit: a held bullet is spent.
        step(&mut world, &mut frames, |w| {
            w.bullets.remove(3);
        });
        // One thrown out of every view, one changed, one spent, in the same tick.
        step(&mut world, &mut frames, |w| {
            w.bullets[0].pos.y -= 2000 * SUBUNITS_PER_UNIT;
            w.bullets[1].ttl -= 1;
            w.bullets.remove(4);
        });
        let before = held(&frames);
        for _ in 0..5 {
            step(&mut world, &mut frames, |_| {});
        }
        assert!(held(&frames) > before, "shots keep coming");
        // The viewer's ship respawns far away: every bullet leaves its view at once.
        step(&mut world, &mut frames, |w| w.ships[0].as_mut().unwrap().pos = Vec2::new(1000, 1000));
        assert!(frames.views[&player(1)].world.bullets.is_empty());
    }
}
