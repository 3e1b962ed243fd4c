//! A view's bullets, numbered by the view.
//!
//! The room numbers its bullets in firing order over the whole field; a client that sees
//! only its view cannot predict those numbers (ships out of view fire too), so each view
//! numbers its bullets itself, the way the client's prediction does: a shot of a ship that
//! was in the view and stays in it takes the view's `next_bullet_id`, in slot order, so the
//! delta costs nothing for it. Every other bullet that enters the view (fired by a ship
//! that is entering too, or flying in) is sent in full anyway and takes the smallest id
//! below `next_bullet_id` that no bullet of the view holds or held a tick ago (a one-byte
//! varint, mostly), which leaves `next_bullet_id` where the prediction expects it and can
//! never meet a later shot's id. Only when there is none (a view whose ships have not fired
//! yet) does it count down from `u32::MAX`.
//!
//! The view remembers the room's id of each of its bullets (`globals`, in the view's
//! order), to follow it from tick to tick.

use super::ids::{IdIndex, find as find_id};
use crate::fixed::Vec2;
use crate::kinematics::fires_this_tick;
use crate::seats::Seats;
use crate::wire::delta::MatchedBullets;
use crate::world::{Bullet, Ship, World};

/// A view's bullets as of one tick: the room's id of each, in order.
#[derive(Clone, Debug, Default)]
pub(super) struct BulletIds {
    pub globals: Vec<u32>,
    /// The id a bullet entering the view gets when no small one is free (counting down).
    pub next_entering: u32,
}

impl BulletIds {
    /// The ids of a view that starts now: its bullets keep the room's ids.
    pub fn starting(view: &World) -> Self {
        Self { globals: view.bullets.iter().map(|b| b.id).collect(), next_entering: u32::MAX }
    }
}

/// The room's bullets before the step flown one tick, by id (`StepOutput::Flown`), which
/// a view's prediction flies its bullets as.
#[derive(Clone, Copy)]
pub(super) struct Flight<'a> {
    pub flown: &'a [Bullet],
    pub index: &'a IdIndex,
    /// Per bullet of the world being filtered (by index): the index in `flown` of the same
    /// bullet when it is exactly as flown (the rules left it alone), else [`NOT_AS_FLOWN`].
    pub as_flown: &'a [u32],
}

/// See [`Flight::as_flown`].
pub(super) const NOT_AS_FLOWN: u32 = u32::MAX;

/// Writes [`Flight::as_flown`] for `world`'s bullets into `out`.
pub(super) fn as_flown(world: &World, flown: &[Bullet], index: &IdIndex, out: &mut Vec<u32>) {
    out.clear();
    out.extend(world.bullets.iter().map(|b| match find_id(Some(index), flown, b.id, |f| f.id) {
        Some(f) if flown[f] == *b => f as u32,
        _ => NOT_AS_FLOWN,
    }));
}

/// Buffers [`filter_bullets`] reuses between calls.
#[derive(Clone, Debug, Default)]
pub(super) struct BulletScratch {
    /// How the last view's prediction of its held bullets matches them (see
    /// [`Self::matched`]): removed (prediction indices) and changed (view index, `flown` index).
    removed: Vec<u32>,
    /// Per removed bullet: its id, and how many kept bullets came before it.
    removed_ids: Vec<(u32, u32)>,
    changed: Vec<(u32, u32)>,
    /// The held bullets the prediction's flight leaves, and those the view keeps; `None`
    /// when not written for the last view (no flight, or a case the delta matches itself).
    matched: Option<(usize, usize)>,
    /// Per bullet of the room (by index): the call that last put it in a view.
    marks: Vec<u32>,
    call: u32,
    taken: Vec<bool>,
    entered: Vec<u32>,
}

impl BulletScratch {
    /// How the prediction of the last view filtered with a [`Flight`] matches the bullets
    /// it held and keeps (`contents`: that flight's `flown`); `None` when not known.
    /// `view`: the view's bullets as filtered. A removed bullet whose id the view's next
    /// bullet then had would have been matched with it: the delta matches such lists itself.
    pub fn matched<'a>(&'a self, contents: &'a [Bullet], view: &[Bullet]) -> Option<MatchedBullets<'a>> {
        let collides = || self.removed_ids.iter().any(|&(id, before)| view.get(before as usize).is_some_and(|b| b.id == id));
        self.matched.filter(|_| !collides()).map(|(predicted, kept)| MatchedBullets {
            predicted,
            kept,
            removed: &self.removed,
            changed: &self.changed,
            contents,
        })
    }

    /// Forgets the last view's match.
    pub fn forget(&mut self) {
        self.matched = None;
    }
}

/// A view one tick earlier, with its bullets' room ids.
pub(super) struct Seen<'a> {
    pub world: &'a World,
    /// The occupied slots of `world`.
    pub seats: Seats,
    pub ids: &'a BulletIds,
}

/// Writes into `out` and `ids` the bullets of `world` in the view whose ships are
/// `view_ships` (already filtered; with their occupied slots) and that was `seen` one tick earlier; returns the view's
/// `next_bullet_id`. `fired_from` is the room's `next_bullet_id` before the step (bullets
/// from it on were fired by the step); `near` the indices of the bullets that may be within
/// the enter radius (`None`: any); `index` the bullets of `world` by id, when built; `sees` whether a position is in the view, given whether
/// what is there was in it. With `flight`, it also matches the view's prediction of the
/// bullets it held against those it keeps ([`BulletScratch::matched`]), as the delta
/// would: the prediction holds a bullet when the room's flight left it, then as flown,
/// which is as kept here when the rules left it alone (most are); so the delta neither
/// flies nor compares them.
#[allow(clippy::too_many_arguments)] // the world, the view before and after, and buffers
pub(super) fn filter_bullets(
    world: &World,
    fired_from: u32,
    near: Option<&[u32]>,
    index: Option<&IdIndex>,
    flight: Option<Flight<'_>>,
    seen: &Seen<'_>,
    (view_ships, view_seats): (&[Option<Ship>], Seats),
    sees: impl Fn(Vec2, bool) -> bool,
    within: Circle,
    out: &mut Vec<Bullet>,
    ids: &mut BulletIds,
    scratch: &mut BulletScratch,
) -> u32 {
    out.clear();
    ids.globals.clear();
    ids.next_entering = seen.ids.next_entering;
    let BulletScratch { removed, removed_ids, changed, matched, marks, call, taken, entered } = scratch;
    removed.clear();
    removed_ids.clear();
    changed.clear();
    // The prediction's items so far, and the view's kept bullets when each was removed.
    let mut predicted = 0usize;
    let mut matchable = flight.is_some();
    *matched = None;
    // A new mark for this call (a fresh table when the counter wraps or the room grew).
    *call = call.wrapping_add(1);
    if *call == 0 || marks.len() < world.bullets.len() {
        marks.clear();
        marks.resize(world.bullets.len(), 0);
        *call = 1;
    }
    let call = *call;
    let find = |id: u32| find_id(index, &world.bullets, id, |b| b.id);
    let (held, held_globals) = (seen.world.bullets.as_slice(), seen.ids.globals.as_slice());
    out.reserve(held.len());
    ids.globals.reserve(held.len());
    let table = index.and_then(IdIndex::table);
    // Still in view: in the view's order, with the view's ids.
    let mut at = 0;
    while at < held.len().min(held_globals.len()) {
        // Most bullets: in the room, still in view, and (matching) exactly as flown.
        if let Some(table) = table {
            let as_flown = flight.filter(|_| matchable).map(|f| f.as_flown);
            let common = Common { held: &held[at..], globals: &held_globals[at..], room: &world.bullets, table, as_flown, within };
            let taken = common.keep(marks, call, out, &mut ids.globals);
            if as_flown.is_some() {
                predicted += taken;
            }
            at += taken;
            if at >= held.len().min(held_globals.len()) {
                break;
            }
        }
        let (old, global) = (&held[at], held_globals[at]);
        at += 1;
        let found = find(global);
        let kept = found.filter(|&i| sees(world.bullets[i].pos, true));
        if let Some(i) = kept {
            out.push(Bullet { id: old.id, ..world.bullets[i].clone() });
            ids.globals.push(global);
            marks[i] = call;
        }
        let Some(flight) = flight.filter(|_| matchable) else {
            continue;
        };
        // The prediction flies it as the room did: it holds it when the room's flight left
        // it, and then exactly as kept here when the rules left it alone.
        let as_flown = found.map_or(NOT_AS_FLOWN, |i| flight.as_flown[i]);
        let flown_at = || find_id(Some(flight.index), flight.flown, global, |f| f.id);
        match (as_flown, kept) {
            (NOT_AS_FLOWN, Some(_)) => match flown_at() {
                Some(at) => changed.push(((out.len() - 1) as u32, at as u32)),
                // Kept but not predicted: let the delta match the lists.
                None => matchable = false,
            },
            (_, Some(_)) => {}
            (NOT_AS_FLOWN, None) if flown_at().is_none() => continue,
            // Predicted, not kept: removed (unless the next kept item has its id).
            (_, None) => {
                removed.push(predicted as u32);
                removed_ids.push((old.id, out.len() as u32));
            }
        }
        predicted += 1;
    }
    *matched = matchable.then_some((predicted, out.len()));
    // Shots the view's prediction fires: ships in the view before and after, in slot order.
    let fired = world.next_bullet_id.wrapping_sub(fired_from);
    let fresh_from = world.bullets.partition_point(|b| b.id.wrapping_sub(fired_from) >= fired);
    let fresh = &world.bullets[fresh_from..];
    let mut next = seen.world.next_bullet_id;
    for slot in Seats(seen.seats.0 & view_seats.0).slots() {
        let (Some(Some(before)), Some(Some(after))) = (seen.world.ships.get(slot), view_ships.get(slot)) else {
            continue;
        };
        if !before.same_seat(after) || !fires_this_tick(before, after.fire, seen.world.phase) {
            continue;
        }
        let id = next;
        next = next.wrapping_add(1);
        // The rules may have spent it at once; it may have left the view at the muzzle.
        if let Some(at) = fresh.iter().position(|b| usize::from(b.owner) == slot)
            && sees(fresh[at].pos, true)
        {
            out.push(Bullet { id, ..fresh[at].clone() });
            ids.globals.push(fresh[at].id);
            marks[fresh_from + at] = call;
        }
    }
    // Entering: within the enter radius and not in the view yet, in the room's order.
    let entering = |&i: &u32| marks[i as usize] != call && sees(world.bullets[i as usize].pos, false);
    entered.clear();
    match near {
        Some(near) => entered.extend(near.iter().copied().filter(entering)),
        None => entered.extend((0..world.bullets.len() as u32).filter(entering)),
    }
    if entered.is_empty() {
        return next;
    }
    entered.sort_unstable();
    // The view's ids in use now or a tick ago are not free.
    let held = out.iter().chain(&seen.world.bullets).map(|b| b.id);
    let mut free = FreeIds::new(held, out.len() + seen.world.bullets.len(), entered.len(), next, taken);
    for &i in entered.iter() {
        let bullet = &world.bullets[i as usize];
        let id = free.next().unwrap_or_else(|| {
            let id = ids.next_entering;
            ids.next_entering = id.wrapping_sub(1);
            id
        });
        out.push(Bullet { id, ..bullet.clone() });
        ids.globals.push(bullet.id);
    }
    next
}

/// Where a view keeps what it held: within `r2` (the leave radius, squared) of `centre`
/// (as `sees(pos, true)`).
#[derive(Clone, Copy)]
pub(super) struct Circle {
    pub centre: Vec2,
    pub r2: i64,
}

/// The common case of the bullets a view held, in a loop of its own (few live values, so
/// nothing spills): each in the room (`table`: its ids, see `IdIndex::table`), still within
/// the circle and, when matching (`as_flown`), exactly as flown.
struct Common<'a> {
    held: &'a [Bullet],
    globals: &'a [u32],
    room: &'a [Bullet],
    table: (u32, &'a [u32]),
    as_flown: Option<&'a [u32]>,
    within: Circle,
}

impl Common<'_> {
    /// Keeps the held bullets from the first on while each is the common case (pushes it
    /// with its view id and its room id, marks it); returns how many it kept.
    #[inline(never)]
    fn keep(&self, marks: &mut [u32], call: u32, out: &mut Vec<Bullet>, globals: &mut Vec<u32>) -> usize {
        // Lists of one length, so that one check of an index serves them all.
        let n = self.room.len().min(marks.len()).min(self.as_flown.map_or(usize::MAX, <[u32]>::len));
        let (room, marks) = (&self.room[..n], &mut marks[..n]);
        match self.as_flown {
            // Not matching: every bullet counts as flown here.
            None => self.keep_in(room, |_| true, marks, call, out, globals),
            Some(as_flown) => {
                let as_flown = &as_flown[..n];
                self.keep_in(room, |i| as_flown[i] != NOT_AS_FLOWN, marks, call, out, globals)
            }
        }
    }

    /// [`Self::keep`] over lists of one length `room.len()`; `flown(i)`: whether room
    /// bullet `i` counts as flown.
    #[inline(always)]
    fn keep_in(
        &self,
        room: &[Bullet],
        flown: impl Fn(usize) -> bool,
        marks: &mut [u32],
        call: u32,
        out: &mut Vec<Bullet>,
        globals: &mut Vec<u32>,
    ) -> usize {
        let (first, at) = self.table;
        let n = room.len().min(marks.len());
        let Circle { centre, r2 } = self.within;
        let mut kept = 0;
        for (old, &global) in self.held.iter().zip(self.globals) {
            let Some(&i) = at.get(global.wrapping_sub(first) as usize) else {
                break;
            };
            let i = i as usize;
            if i >= n {
                break;
            }
            let bullet = &room[i];
            if bullet.pos.distance_squared(centre) > r2 || !flown(i) {
                break;
            }
            marks[i] = call;
            out.push(Bullet { id: old.id, ..bullet.clone() });
            globals.push(global);
            kept += 1;
        }
        kept
    }
}

/// The ids below `below` that none of the `held` ids `taken` is, smallest first, for up to
/// `wanted` of them: among the first `held + wanted` ids at least `wanted` are free, so only
/// those are marked (a table of flags, no sort).
struct FreeIds<'a> {
    taken: &'a [bool],
    candidate: usize,
}

impl<'a> FreeIds<'a> {
    fn new(taken: impl Iterator<Item = u32>, held: usize, wanted: usize, below: u32, flags: &'a mut Vec<bool>) -> Self {
        let span = (held + wanted).min(below as usize);
        flags.clear();
        flags.resize(span, false);
        // `for_each`, not `for`: a chain of two lists folds into two plain loops.
        taken.for_each(|id| {
            if let Some(flag) = flags.get_mut(id as usize) {
                *flag = true;
            }
        });
        Self { taken: flags, candidate: 0 }
    }
}

impl Iterator for FreeIds<'_> {
    type Item = u32;

    fn next(&mut self) -> Option<u32> {
        let at = self.taken.get(self.candidate..)?.iter().position(|&taken| !taken)?;
        let id = self.candidate + at;
        self.candidate = id + 1;
        Some(id as u32)
    }
}

#[cfg(test)]
mod tests {
    use super::FreeIds;

    fn free(taken: &[u32], wanted: usize, below: u32) -> Vec<u32> {
        let mut flags = Vec::new();
        FreeIds::new(taken.iter().copied(), taken.len(), wanted, below, &mut flags).take(wanted).collect()
    }

    /// The first `wanted` ids below `below` that `taken` does not hold, the slow way.
    fn expected(taken: &[u32], wanted: usize, below: u32) -> Vec<u32> {
        (0..below).filter(|id| !taken.contains(id)).take(wanted).collect()
    }

    #[test]
    fn free_ids_skip_what_is_taken_and_stop_below_the_bound() {
        let taken = [9, 0, 3, 1, 3, 7, 40];
        assert_eq!(free(&taken, 5, 9), [2, 4, 5, 6, 8]);
        assert_eq!(free(&taken, 3, 3), [2]);
        assert_eq!(free(&[], 1, 0), Vec::<u32>::new());
        for wanted in 0..6 {
            for below in [0, 1, 2, 5, 8, 10, 12, 50] {
                assert_eq!(free(&taken, wanted, below), expected(&taken, wanted, below), "{wanted} below {below}");
                assert_eq!(free(&[0, 1, 2, 3, 4, 5], wanted, below), expected(&[0, 1, 2, 3, 4, 5], wanted, below));
            }
        }
    }
}
