//! Deltas: one tick's change, as residuals against the shared prediction
//! (see the [module docs](super) for the idea).
//!
//! # Layout
//!
//! ```text
//! delta    := sections:u8 [roster] [intents] [match] [ships] [bullets] [pickups] [statics]
//!             (a section is present when its bit is set: 1, 2, 4, 8, 16, 32, 64)
//! --- applied before the prediction ---
//! roster   := seats:varint n:varint { slot:varint (0 | 1 uuid:16B name_len:varint name colour:varint) }*n
//! intents  := slot_mask:varint { flags:u8 (1 thrust, 2 fire, 4 turn follows) [turn:i8] } per set slot
//! --- the prediction: World::advance ---
//! match    := mask:u8 [phase:u8] [ticks_left:zz] [tick:zz] [next_bullet_id:zz]
//! ships    := slot_mask:varint { fields:varint residual:zz per set numeric field } per set slot
//!             fields: 1 x, 2 y, 4 vx, 8 vy, 16 angle, 32 health, 64 score, 128 kills,
//!                     256 thrust cooldown, 512 fire cooldown, 1024 alive flips, 2048 connected flips
//! bullets  := list(bullet),  pickups := list(pickup)
//! list     := removed:varint { index gap:varint }   (indices into the predicted list)
//!             changed:varint { index gap:varint fields:u8 residual:zz.. }  (into what is left)
//!             added:varint { full item }            (appended)
//! statics  := len:varint postcard(Physics, Vec<BlackHole>)
//! ```
//!
//! `zz` is a zigzag varint of *actual − predicted*. Applying a delta is atomic: on any
//! error the view is left as it was.

use super::DecodeError;
use super::codec::{Reader, put_varint, put_zigzag};
use crate::config::{MAX_SLOTS, Physics};
use crate::fixed::Vec2;
use crate::kinematics::HoleCells;
use crate::seats::Seats;
use crate::world::{BlackHole, Bullet, MAX_NAME_BYTES, Pickup, PickupKind, Ship, World};
use orrery_common::PlayerId;
use orrery_common::game::Phase;

// The section bits of a delta's first byte (public: the client fixtures build deltas from them).
pub const ROSTER: u8 = 1;
pub const INTENTS: u8 = 2;
pub const MATCH: u8 = 4;
pub const SHIPS: u8 = 8;
pub const BULLETS: u8 = 16;
pub const PICKUPS: u8 = 32;
pub const STATICS: u8 = 64;

/// Appends the delta that turns `base` into `world`; `scratch` holds the prediction
/// (reused between calls to save allocations).
pub fn encode(base: &World, world: &World, scratch: &mut World, out: &mut Vec<u8>) {
    scratch.copy_from(base);
    encode_over(scratch, world, Known::default(), out);
}

/// Flies a prediction's bullets one tick (see [`World::advance_with`]).
pub(crate) type BulletFlight<'a> = &'a mut dyn FnMut(&mut Vec<Bullet>);

/// What the caller of [`encode_over`] already knows, to spare it work. None of it changes
/// a byte of the delta.
#[derive(Default)]
pub(crate) struct Known<'a> {
    /// Flies the prediction's bullets (see [`World::advance_with`]): the flight computed
    /// once for all of a room's views.
    pub fly: Option<BulletFlight<'a>>,
    /// Where ships look for black holes (built for `base`'s holes and physics).
    pub cells: Option<&'a HoleCells>,
    /// The occupied slots of `base` and of `world` (`Seats::of` each), which a view's
    /// filter knows without scanning 64 seats.
    pub seats: Option<(Seats, Seats)>,
    /// How the prediction's bullets (those `base` holds, as its flight leaves them) match
    /// `world`'s, when the caller already knows (a view's filter does): they are then
    /// neither flown nor compared here, and `fly` is not used.
    pub bullets: Option<MatchedBullets<'a>>,
    /// Slots held by both `base` and `world` whose ship in `world` is known to be exactly
    /// what the prediction makes of `base`'s (`rules::MovedShips`): the prediction neither
    /// moves nor compares them (it only fires their shots).
    pub moved: Seats,
    /// Slots held by both `base` and `world` whose seat (player, name, colour) is known not
    /// to have changed: the roster does not compare them.
    pub same_seats: Seats,
    /// `base` and `world` have the same physics and black holes (no statics section).
    pub statics_same: bool,
}

/// The first items of a prediction's bullet list matched against the first items of the
/// actual list, as [`encode_list`] would match them (see `interest/bullets.rs`, which
/// writes it): the first `predicted` predicted items are the bullets the prediction's
/// flight leaves of `base`'s, and the first `kept` actual items are those of them still
/// there, in the same order, each equal to its prediction but those in `changed`.
#[derive(Clone, Copy, Debug)]
pub(crate) struct MatchedBullets<'a> {
    pub predicted: usize,
    pub kept: usize,
    /// The indices (into the prediction, increasing) of those not kept.
    pub removed: &'a [u32],
    /// The kept items (by index into the actual list, increasing) that differ from their
    /// prediction, and where the predicted fields (all but the id) are in `contents`.
    pub changed: &'a [(u32, u32)],
    pub contents: &'a [Bullet],
}

/// [`encode`] for a caller that no longer needs `base`: the prediction is computed in it
/// (it is left holding the prediction, not `world`), which saves copying it; `known` spares
/// it what the caller already knows.
pub(crate) fn encode_over(base: &mut World, world: &World, known: Known<'_>, out: &mut Vec<u8>) {
    let sections_at = out.len();
    out.push(0);
    let pred = base;
    debug_assert!(
        known.same_seats.slots().all(|slot| !seat_changed(pred.ships[slot].as_ref(), world.ships[slot].as_ref())),
        "seats known the same"
    );
    let (base_seats, seated) = known.seats.unwrap_or_else(|| (Seats::of(&pred.ships), Seats::of(&world.ships)));
    debug_assert_eq!((base_seats, seated), (Seats::of(&pred.ships), Seats::of(&world.ships)), "seats known wrongly");
    let mut sections = 0;
    if encode_roster(pred, world, Seats(base_seats.union(seated).0 & !known.same_seats.0), out) {
        sections |= ROSTER;
    }
    // From here on a slot holds a ship in the prediction exactly when it does in `world`.
    if encode_intents(pred, world, seated, out) {
        sections |= INTENTS;
    }
    let moved = (known.moved != Seats::default()).then_some((known.moved, world.ships.as_slice()));
    debug_assert_eq!(known.moved.0 & !seated.0, 0, "moved ships are seated");
    match (known.bullets, known.fly) {
        // The prediction's flight is described: it fires only (its shots follow the items).
        (Some(_), _) => pred.advance_with(|bullets, _, _| bullets.clear(), known.cells, Some(seated), moved),
        (None, Some(fly)) => pred.advance_with(|bullets, _, _| fly(bullets), known.cells, Some(seated), moved),
        (None, None) => pred.advance(),
    }
    if encode_match(pred, world, out) {
        sections |= MATCH;
    }
    // The moved ships are as predicted: no residual.
    if encode_ships(pred, world, Seats(seated.0 & !known.moved.0), out) {
        sections |= SHIPS;
    }
    // Described, the prediction's list holds only the shots it fired: they follow.
    let start =
        known.bullets.map(|m| Start { predicted: m.predicted, kept: m.kept, removed: m.removed, changed: m.changed, contents: m.contents });
    if encode_list(start, &pred.bullets, &world.bullets, out) {
        sections |= BULLETS;
    }
    if encode_list(None, &pred.pickups, &world.pickups, out) {
        sections |= PICKUPS;
    }
    debug_assert!(!known.statics_same || (pred.physics == world.physics && pred.black_holes == world.black_holes), "statics same");
    if !known.statics_same && (pred.physics != world.physics || pred.black_holes != world.black_holes) {
        let statics = postcard::to_allocvec(&(&world.physics, &world.black_holes)).expect("statics serialise");
        put_varint(out, statics.len() as u64);
        out.extend_from_slice(&statics);
        sections |= STATICS;
    }
    out[sections_at] = sections;
}

/// Applies a delta to `world` (atomically; the result is validated).
pub fn apply(world: &mut World, bytes: &[u8]) -> Result<(), DecodeError> {
    let mut next = world.clone();
    apply_in_place(&mut next, bytes)?;
    next.validate()?;
    *world = next;
    Ok(())
}

fn apply_in_place(world: &mut World, bytes: &[u8]) -> Result<(), DecodeError> {
    let mut r = Reader::new(bytes);
    let sections = r.u8()?;
    if sections & 0x80 != 0 {
        return Err(DecodeError::Invalid("section mask"));
    }
    if sections & ROSTER != 0 {
        apply_roster(world, &mut r)?;
    }
    if sections & INTENTS != 0 {
        apply_intents(world, &mut r)?;
    }
    world.advance();
    if sections & MATCH != 0 {
        apply_match(world, &mut r)?;
    }
    if sections & SHIPS != 0 {
        apply_ships(world, &mut r)?;
    }
    if sections & BULLETS != 0 {
        apply_list(&mut world.bullets, &mut r)?;
    }
    if sections & PICKUPS != 0 {
        apply_list(&mut world.pickups, &mut r)?;
    }
    if sections & STATICS != 0 {
        let len = r.count(1 << 16, "statics length")?;
        let (physics, holes): (Physics, Vec<BlackHole>) =
            postcard::from_bytes(r.take(len)?).map_err(|_| DecodeError::Invalid("statics"))?;
        world.physics = physics;
        world.black_holes = holes;
    }
    r.finish()
}

// --- roster ---------------------------------------------------------------------------

fn seat_changed(before: Option<&Ship>, after: Option<&Ship>) -> bool {
    match (before, after) {
        (None, None) => false,
        (Some(a), Some(b)) => !a.same_seat(b),
        _ => true,
    }
}

/// After it, `pred`'s seats are `world`'s: a slot holds a ship in both or in neither.
/// `either`: the slots that hold a ship in `pred` or in `world` (only they can change),
/// but those known to hold the same seat in both.
fn encode_roster(pred: &mut World, world: &World, either: Seats, out: &mut Vec<u8>) -> bool {
    let changed = |slot: usize| seat_changed(pred.ships.get(slot).and_then(Option::as_ref), world.ships[slot].as_ref());
    let mut changed_slots = Seats::default();
    for slot in either.slots().filter(|&slot| slot < world.ships.len() && changed(slot)) {
        changed_slots.insert(slot);
    }
    let count = changed_slots.count();
    if count == 0 && pred.ships.len() == world.ships.len() {
        return false;
    }
    put_varint(out, world.ships.len() as u64);
    put_varint(out, u64::from(count));
    pred.ships.resize(world.ships.len(), None);
    for slot in changed_slots.slots() {
        put_varint(out, slot as u64);
        match &world.ships[slot] {
            None => {
                out.push(0);
                pred.ships[slot] = None;
            }
            Some(ship) => {
                out.push(1);
                out.extend_from_slice(ship.player.0.as_bytes());
                put_varint(out, ship.name.len() as u64);
                out.extend_from_slice(ship.name.as_bytes());
                put_varint(out, u64::from(ship.colour));
                pred.ships[slot] = Some(Ship::seated(ship.player, ship.name.clone(), ship.colour));
            }
        }
    }
    true
}

fn apply_roster(world: &mut World, r: &mut Reader<'_>) -> Result<(), DecodeError> {
    let seats = r.count(usize::from(MAX_SLOTS), "seat count")?;
    let changes = r.count(seats, "seat changes")?;
    world.ships.resize(seats, None);
    for _ in 0..changes {
        let slot = r.count(seats.saturating_sub(1), "slot")?;
        if slot >= seats {
            return Err(DecodeError::Invalid("slot"));
        }
        world.ships[slot] = match r.u8()? {
            0 => None,
            1 => {
                let uuid = uuid::Uuid::from_slice(r.take(16)?).map_err(|_| DecodeError::Invalid("player id"))?;
                let name_len = r.count(MAX_NAME_BYTES, "name length")?;
                let name = std::str::from_utf8(r.take(name_len)?).map_err(|_| DecodeError::Invalid("name"))?;
                let colour = u32::try_from(r.varint()?).map_err(|_| DecodeError::Invalid("colour"))?;
                Some(Ship::seated(PlayerId(uuid), name.to_owned(), colour))
            }
            _ => return Err(DecodeError::Invalid("seat tag")),
        };
    }
    Ok(())
}

// --- intents --------------------------------------------------------------------------

/// `seated`: the slots that hold a ship in both `pred` and `world`.
fn encode_intents(pred: &mut World, world: &World, seated: Seats, out: &mut Vec<u8>) -> bool {
    let mut mask = Seats::default();
    for slot in seated.slots() {
        if let (Some(p), Some(w)) = (&pred.ships[slot], &world.ships[slot])
            && (p.turn, p.thrust, p.fire) != (w.turn, w.thrust, w.fire)
        {
            mask.insert(slot);
        }
    }
    if mask == Seats::default() {
        return false;
    }
    put_varint(out, mask.0);
    for slot in mask.slots() {
        let (Some(p), Some(w)) = (pred.ships[slot].as_mut(), world.ships[slot].as_ref()) else {
            continue;
        };
        let turn_changed = p.turn != w.turn;
        out.push(u8::from(w.thrust) | u8::from(w.fire) << 1 | u8::from(turn_changed) << 2);
        if turn_changed {
            out.push(w.turn as u8);
        }
        (p.turn, p.thrust, p.fire) = (w.turn, w.thrust, w.fire);
    }
    true
}

fn apply_intents(world: &mut World, r: &mut Reader<'_>) -> Result<(), DecodeError> {
    let mask = r.varint()?;
    for slot in 0..64 {
        if mask & (1 << slot) == 0 {
            continue;
        }
        let ship = world.ships.get_mut(slot).and_then(Option::as_mut).ok_or(DecodeError::Invalid("intent slot"))?;
        let flags = r.u8()?;
        if flags & !7 != 0 {
            return Err(DecodeError::Invalid("intent flags"));
        }
        ship.thrust = flags & 1 != 0;
        ship.fire = flags & 2 != 0;
        if flags & 4 != 0 {
            ship.turn = r.u8()? as i8;
        }
    }
    Ok(())
}

// --- match ----------------------------------------------------------------------------

fn phase_code(phase: Phase) -> u8 {
    match phase {
        Phase::Lobby => 0,
        Phase::Countdown => 1,
        Phase::Running => 2,
        Phase::Over => 3,
        Phase::Closable => 4,
    }
}

fn phase_from_code(code: u8) -> Result<Phase, DecodeError> {
    Ok(match code {
        0 => Phase::Lobby,
        1 => Phase::Countdown,
        2 => Phase::Running,
        3 => Phase::Over,
        4 => Phase::Closable,
        _ => return Err(DecodeError::Invalid("phase")),
    })
}

fn encode_match(pred: &World, world: &World, out: &mut Vec<u8>) -> bool {
    let ticks_left = i64::from(world.phase_ticks_left) - i64::from(pred.phase_ticks_left);
    let tick = world.tick.wrapping_sub(pred.tick) as i64;
    let next_bullet = i64::from(world.next_bullet_id) - i64::from(pred.next_bullet_id);
    let mask =
        u8::from(world.phase != pred.phase) | u8::from(ticks_left != 0) << 1 | u8::from(tick != 0) << 2 | u8::from(next_bullet != 0) << 3;
    if mask == 0 {
        return false;
    }
    out.push(mask);
    if mask & 1 != 0 {
        out.push(phase_code(world.phase));
    }
    for (bit, v) in [(2, ticks_left), (4, tick), (8, next_bullet)] {
        if mask & bit != 0 {
            put_zigzag(out, v);
        }
    }
    true
}

fn apply_match(world: &mut World, r: &mut Reader<'_>) -> Result<(), DecodeError> {
    let mask = r.u8()?;
    if mask & !15 != 0 {
        return Err(DecodeError::Invalid("match fields"));
    }
    if mask & 1 != 0 {
        world.phase = phase_from_code(r.u8()?)?;
    }
    if mask & 2 != 0 {
        world.phase_ticks_left = add_residual(world.phase_ticks_left, r.zigzag()?)?;
    }
    if mask & 4 != 0 {
        world.tick = world.tick.wrapping_add(r.zigzag()? as u64);
    }
    if mask & 8 != 0 {
        world.next_bullet_id = add_residual(world.next_bullet_id, r.zigzag()?)?;
    }
    Ok(())
}

// --- ships ----------------------------------------------------------------------------

const SHIP_NUMERIC_FIELDS: usize = 10;
const ALIVE_FLIPS: u64 = 1 << 10;
const CONNECTED_FLIPS: u64 = 1 << 11;

fn ship_residuals(pred: &Ship, ship: &Ship) -> [i64; SHIP_NUMERIC_FIELDS] {
    let d32 = |a: i32, b: i32| i64::from(a) - i64::from(b);
    let d16 = |a: u16, b: u16| i64::from(a) - i64::from(b);
    [
        d32(ship.pos.x, pred.pos.x),
        d32(ship.pos.y, pred.pos.y),
        d32(ship.vel.x, pred.vel.x),
        d32(ship.vel.y, pred.vel.y),
        i64::from(ship.angle.wrapping_sub(pred.angle) as i16),
        d16(ship.health, pred.health),
        d32(ship.score, pred.score),
        d16(ship.kills, pred.kills),
        d16(ship.thrust_cooldown, pred.thrust_cooldown),
        d16(ship.fire_cooldown, pred.fire_cooldown),
    ]
}

fn ship_field_mask(pred: &Ship, ship: &Ship, residuals: &[i64; SHIP_NUMERIC_FIELDS]) -> u64 {
    let mut mask = 0;
    for (i, r) in residuals.iter().enumerate() {
        if *r != 0 {
            mask |= 1 << i;
        }
    }
    if pred.alive != ship.alive {
        mask |= ALIVE_FLIPS;
    }
    if pred.connected != ship.connected {
        mask |= CONNECTED_FLIPS;
    }
    mask
}

/// `seated`: the slots that hold a ship in both `pred` and `world`.
fn encode_ships(pred: &World, world: &World, seated: Seats, out: &mut Vec<u8>) -> bool {
    let pairs = || {
        seated.slots().filter_map(|slot| match (&pred.ships[slot], &world.ships[slot]) {
            (Some(p), Some(w)) => Some((slot, p, w)),
            _ => None,
        })
    };
    let mut slots = 0u64;
    for (slot, p, w) in pairs() {
        if ship_field_mask(p, w, &ship_residuals(p, w)) != 0 {
            slots |= 1 << slot;
        }
    }
    if slots == 0 {
        return false;
    }
    put_varint(out, slots);
    for (_, p, w) in pairs().filter(|(slot, _, _)| slots & (1 << slot) != 0) {
        let residuals = ship_residuals(p, w);
        put_varint(out, ship_field_mask(p, w, &residuals));
        for r in residuals.into_iter().filter(|r| *r != 0) {
            put_zigzag(out, r);
        }
    }
    true
}

fn apply_ships(world: &mut World, r: &mut Reader<'_>) -> Result<(), DecodeError> {
    let slots = r.varint()?;
    for slot in 0..64 {
        if slots & (1 << slot) == 0 {
            continue;
        }
        let ship = world.ships.get_mut(slot).and_then(Option::as_mut).ok_or(DecodeError::Invalid("ship slot"))?;
        let fields = r.varint()?;
        if fields >= 1 << 12 {
            return Err(DecodeError::Invalid("ship fields"));
        }
        for field in 0..SHIP_NUMERIC_FIELDS {
            if fields & (1 << field) == 0 {
                continue;
            }
            let d = r.zigzag()?;
            match field {
                0 => ship.pos.x = add_residual(ship.pos.x, d)?,
                1 => ship.pos.y = add_residual(ship.pos.y, d)?,
                2 => ship.vel.x = add_residual(ship.vel.x, d)?,
                3 => ship.vel.y = add_residual(ship.vel.y, d)?,
                4 => ship.angle = ship.angle.wrapping_add(d as u16),
                5 => ship.health = add_residual(ship.health, d)?,
                6 => ship.score = add_residual(ship.score, d)?,
                7 => ship.kills = add_residual(ship.kills, d)?,
                8 => ship.thrust_cooldown = add_residual(ship.thrust_cooldown, d)?,
                _ => ship.fire_cooldown = add_residual(ship.fire_cooldown, d)?,
            }
        }
        ship.alive ^= fields & ALIVE_FLIPS != 0;
        ship.connected ^= fields & CONNECTED_FLIPS != 0;
    }
    Ok(())
}

/// `value + residual`, or an error when the result does not fit the field.
fn add_residual<T>(value: T, residual: i64) -> Result<T, DecodeError>
where
    T: Copy + Into<i64> + TryFrom<i64>,
{
    value.into().checked_add(residual).and_then(|v| T::try_from(v).ok()).ok_or(DecodeError::OutOfBounds("residual"))
}

// --- lists (bullets, pickups) ---------------------------------------------------------

/// An element of a list that deltas edit by removal, residual and append.
trait ListItem: Sized {
    fn id(&self) -> u32;
    /// Bit mask of the fields that differ, and their residuals in field order.
    fn residuals(pred: &Self, actual: &Self, out: &mut Vec<u8>) -> u8;
    fn apply_residuals(&mut self, fields: u8, r: &mut Reader<'_>) -> Result<(), DecodeError>;
    fn write(&self, out: &mut Vec<u8>);
    fn read(r: &mut Reader<'_>) -> Result<Self, DecodeError>;
}

const MAX_LIST_LEN: usize = 4096;

/// What the caller matched of a list already (see [`MatchedBullets`]).
struct Start<'a, T> {
    predicted: usize,
    kept: usize,
    removed: &'a [u32],
    changed: &'a [(u32, u32)],
    contents: &'a [T],
}

/// Matches `actual` against `pred` in order by id: what is unmatched in `pred` was
/// removed, matched pairs may carry residuals, the unmatched tail of `actual` is new.
/// With `start`, `pred` follows the predicted items `start` matched already.
fn encode_list<T: ListItem + PartialEq>(start: Option<Start<'_, T>>, pred: &[T], actual: &[T], out: &mut Vec<u8>) -> bool {
    let mut removed = Vec::new();
    let mut changed = Vec::new();
    let mut fields = Vec::new();
    let residuals = |p: &T, a: &T, kept: usize, fields: &mut Vec<u8>, changed: &mut Vec<(usize, usize)>| {
        let at = fields.len();
        fields.push(0);
        let mask = T::residuals(p, a, fields);
        if mask == 0 {
            fields.truncate(at);
        } else {
            fields[at] = mask;
            changed.push((kept, at));
        }
    };
    // `kept` counts the kept items (the index of a change), `first` the predicted items
    // matched before `pred`.
    let (mut kept, first) = match &start {
        Some(start) => {
            removed.extend(start.removed.iter().map(|&i| i as usize));
            for &(k, at) in start.changed {
                residuals(&start.contents[at as usize], &actual[k as usize], k as usize, &mut fields, &mut changed);
            }
            (start.kept, start.predicted)
        }
        None => (0, 0),
    };
    // One pass: a predicted item is kept when it is the next actual one (same id), and then
    // compared with it.
    for (i, p) in pred.iter().enumerate() {
        match actual.get(kept) {
            Some(a) if a.id() == p.id() => {
                // As predicted (most are): no residual.
                if p != a {
                    residuals(p, a, kept, &mut fields, &mut changed);
                }
                kept += 1;
            }
            _ => removed.push(first + i),
        }
    }
    let added = &actual[kept..];
    if removed.is_empty() && changed.is_empty() && added.is_empty() {
        return false;
    }
    put_gaps(out, removed.iter().copied());
    put_varint(out, changed.len() as u64);
    let mut previous = None;
    for (n, &(k, at)) in changed.iter().enumerate() {
        put_varint(out, gap(previous, k));
        previous = Some(k);
        let end = changed.get(n + 1).map_or(fields.len(), |&(_, next)| next);
        out.extend_from_slice(&fields[at..end]);
    }
    put_varint(out, added.len() as u64);
    for a in added {
        a.write(out);
    }
    true
}

fn gap(previous: Option<usize>, index: usize) -> u64 {
    previous.map_or(index, |p| index - p - 1) as u64
}

fn put_gaps(out: &mut Vec<u8>, indices: impl ExactSizeIterator<Item = usize>) {
    put_varint(out, indices.len() as u64);
    let mut previous = None;
    for i in indices {
        put_varint(out, gap(previous, i));
        previous = Some(i);
    }
}

/// Reads `count` gap-coded increasing indices below `len`.
fn read_gaps(r: &mut Reader<'_>, count: usize, len: usize) -> Result<Vec<usize>, DecodeError> {
    let mut indices = Vec::with_capacity(count);
    let mut next = 0usize;
    for _ in 0..count {
        let i = next.checked_add(r.count(len, "index")?).filter(|&i| i < len).ok_or(DecodeError::Invalid("index"))?;
        indices.push(i);
        next = i + 1;
    }
    Ok(indices)
}

fn apply_list<T: ListItem>(list: &mut Vec<T>, r: &mut Reader<'_>) -> Result<(), DecodeError> {
    let removed_count = r.count(list.len(), "removed count")?;
    let removed = read_gaps(r, removed_count, list.len())?;
    let mut index = 0;
    list.retain(|_| {
        let keep = removed.binary_search(&index).is_err();
        index += 1;
        keep
    });
    let changed = r.count(list.len(), "changed count")?;
    let mut next = 0usize;
    for _ in 0..changed {
        let k = next.checked_add(r.count(list.len(), "index")?).filter(|&k| k < list.len()).ok_or(DecodeError::Invalid("index"))?;
        next = k + 1;
        let fields = r.u8()?;
        list[k].apply_residuals(fields, r)?;
    }
    let added = r.count(MAX_LIST_LEN.saturating_sub(list.len()), "added count")?;
    for _ in 0..added {
        list.push(T::read(r)?);
    }
    Ok(())
}

fn put_residual(out: &mut Vec<u8>, mask: &mut u8, bit: u8, residual: i64) {
    if residual != 0 {
        *mask |= bit;
        put_zigzag(out, residual);
    }
}

fn put_vec2(out: &mut Vec<u8>, v: Vec2) {
    put_zigzag(out, i64::from(v.x));
    put_zigzag(out, i64::from(v.y));
}

fn read_i32(r: &mut Reader<'_>) -> Result<i32, DecodeError> {
    i32::try_from(r.zigzag()?).map_err(|_| DecodeError::Invalid("coordinate"))
}

fn read_vec2(r: &mut Reader<'_>) -> Result<Vec2, DecodeError> {
    Ok(Vec2::new(read_i32(r)?, read_i32(r)?))
}

fn read_u32(r: &mut Reader<'_>) -> Result<u32, DecodeError> {
    u32::try_from(r.varint()?).map_err(|_| DecodeError::Invalid("id"))
}

impl ListItem for Bullet {
    fn id(&self) -> u32 {
        self.id
    }

    fn residuals(pred: &Self, actual: &Self, out: &mut Vec<u8>) -> u8 {
        let mut mask = 0;
        put_residual(out, &mut mask, 1, i64::from(actual.pos.x) - i64::from(pred.pos.x));
        put_residual(out, &mut mask, 2, i64::from(actual.pos.y) - i64::from(pred.pos.y));
        put_residual(out, &mut mask, 4, i64::from(actual.vel.x) - i64::from(pred.vel.x));
        put_residual(out, &mut mask, 8, i64::from(actual.vel.y) - i64::from(pred.vel.y));
        put_residual(out, &mut mask, 16, i64::from(actual.ttl) - i64::from(pred.ttl));
        put_residual(out, &mut mask, 32, i64::from(actual.owner) - i64::from(pred.owner));
        mask
    }

    fn apply_residuals(&mut self, fields: u8, r: &mut Reader<'_>) -> Result<(), DecodeError> {
        if fields & !63 != 0 {
            return Err(DecodeError::Invalid("bullet fields"));
        }
        for bit in 0..6 {
            if fields & (1 << bit) == 0 {
                continue;
            }
            let d = r.zigzag()?;
            match bit {
                0 => self.pos.x = add_residual(self.pos.x, d)?,
                1 => self.pos.y = add_residual(self.pos.y, d)?,
                2 => self.vel.x = add_residual(self.vel.x, d)?,
                3 => self.vel.y = add_residual(self.vel.y, d)?,
                4 => self.ttl = add_residual(self.ttl, d)?,
                _ => self.owner = add_residual(self.owner, d)?,
            }
        }
        Ok(())
    }

    fn write(&self, out: &mut Vec<u8>) {
        put_varint(out, u64::from(self.id));
        put_varint(out, u64::from(self.owner));
        put_vec2(out, self.pos);
        put_vec2(out, self.vel);
        put_varint(out, u64::from(self.ttl));
    }

    fn read(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        let id = read_u32(r)?;
        let owner = u8::try_from(r.varint()?).map_err(|_| DecodeError::Invalid("owner"))?;
        let pos = read_vec2(r)?;
        let vel = read_vec2(r)?;
        let ttl = u16::try_from(r.varint()?).map_err(|_| DecodeError::Invalid("ttl"))?;
        Ok(Bullet { id, owner, pos, vel, ttl })
    }
}

fn kind_code(kind: PickupKind) -> i64 {
    match kind {
        PickupKind::Health => 0,
        PickupKind::Score => 1,
    }
}

fn kind_from_code(code: i64) -> Result<PickupKind, DecodeError> {
    match code {
        0 => Ok(PickupKind::Health),
        1 => Ok(PickupKind::Score),
        _ => Err(DecodeError::Invalid("pickup kind")),
    }
}

impl ListItem for Pickup {
    fn id(&self) -> u32 {
        self.id
    }

    fn residuals(pred: &Self, actual: &Self, out: &mut Vec<u8>) -> u8 {
        let mut mask = 0;
        put_residual(out, &mut mask, 1, i64::from(actual.pos.x) - i64::from(pred.pos.x));
        put_residual(out, &mut mask, 2, i64::from(actual.pos.y) - i64::from(pred.pos.y));
        put_residual(out, &mut mask, 4, kind_code(actual.kind) - kind_code(pred.kind));
        mask
    }

    fn apply_residuals(&mut self, fields: u8, r: &mut Reader<'_>) -> Result<(), DecodeError> {
        if fields & !7 != 0 {
            return Err(DecodeError::Invalid("pickup fields"));
        }
        if fields & 1 != 0 {
            self.pos.x = add_residual(self.pos.x, r.zigzag()?)?;
        }
        if fields & 2 != 0 {
            self.pos.y = add_residual(self.pos.y, r.zigzag()?)?;
        }
        if fields & 4 != 0 {
            let code = kind_code(self.kind).checked_add(r.zigzag()?).ok_or(DecodeError::Invalid("pickup kind"))?;
            self.kind = kind_from_code(code)?;
        }
        Ok(())
    }

    fn write(&self, out: &mut Vec<u8>) {
        put_varint(out, u64::from(self.id));
        out.push(kind_code(self.kind) as u8);
        put_vec2(out, self.pos);
    }

    fn read(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        let id = read_u32(r)?;
        let kind = kind_from_code(i64::from(r.u8()?))?;
        let pos = read_vec2(r)?;
        Ok(Pickup { id, kind, pos })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::ArenaConfig;

    fn lobby() -> World {
        World::new(ArenaConfig::default().physics, 4, vec![BlackHole { pos: Vec2::new(5000, 5000), core_radius: 100 }])
    }

    fn round_trip(base: &World, world: &World) -> Vec<u8> {
        let mut out = Vec::new();
        encode(base, world, &mut base.clone(), &mut out);
        let mut client = base.clone();
        apply(&mut client, &out).unwrap();
        assert_eq!(&client, world);
        out
    }

    #[test]
    fn an_unchanged_tick_is_one_byte() {
        let base = lobby();
        let mut world = base.clone();
        world.advance();
        assert_eq!(round_trip(&base, &world), vec![0]);
    }

    #[test]
    fn joins_intents_and_hits_round_trip() {
        let base = lobby();
        let mut world = base.clone();
        let mut ship = Ship::seated(PlayerId(uuid::Uuid::from_u128(3)), "ann".into(), 0xFF0000);
        ship.alive = true;
        ship.health = 100;
        ship.turn = 100;
        ship.pos = Vec2::new(70000, 80000);
        world.ships[2] = Some(ship);
        world.advance();
        round_trip(&base, &world);

        let base = world.clone();
        world.advance();
        world.phase = Phase::Running;
        world.ships[2].as_mut().unwrap().health = 90;
        world.pickups.push(Pickup { id: 4, kind: PickupKind::Score, pos: Vec2::new(1, 2) });
        round_trip(&base, &world);
    }

    #[test]
    fn bullets_removed_changed_and_added() {
        let mut base = lobby();
        base.phase = Phase::Running;
        for id in 0..5 {
            base.bullets.push(Bullet { id, owner: 0, pos: Vec2::new(1000 * (id as i32 + 1), 3000), vel: Vec2::new(10, 0), ttl: 50 });
        }
        let mut world = base.clone();
        world.advance();
        world.bullets.remove(3);
        world.bullets.remove(0);
        world.bullets[1].vel.y = 7;
        world.bullets.push(Bullet { id: 99, owner: 1, pos: Vec2::new(5, 5), vel: Vec2::ZERO, ttl: 3 });
        round_trip(&base, &world);
    }

    #[test]
    fn bad_deltas_leave_the_view_unchanged() {
        let base = lobby();
        for bytes in [&[][..], &[0x80], &[SHIPS, 1], &[INTENTS, 0x10, 0], &[0, 0]] {
            let mut client = base.clone();
            assert!(apply(&mut client, bytes).is_err(), "{bytes:?}");
            assert_eq!(client, base);
        }
    }
}
