// ArenaView (arena/src/wire/view.rs): what a client knows of a room, built from a
// keyframe and kept current with deltas; ShipView puts one ship in drawing units. In a
// large room (split frames, ./split.ts) the world holds what is near the player's ship and
// `board` every seat's score.

import { applyDelta, applyDeltaInPlace } from "./delta.js";
import { SPLIT_KEYFRAME_FORMAT, decodeSplitKeyframe, splitParts } from "./split.js";
import { angleToRadians, toUnits } from "./fixed.js";
import { decodeKeyframe } from "./keyframe.js";
import { type BlackHole, type Bullet, type Phase, type Physics, type Pickup, type Ship, type World, cloneWorld, copyWorldInto, ownWorld } from "./world.js";

/**
 * A client's copy of the room.
 *
 * A delta is applied to a second world (a copy of the current one, made in the objects of
 * the world two deltas back) and the two are swapped: a refused delta leaves the view as it
 * was, and a frame allocates nothing but what the delta adds. So the world objects the view
 * hands out (`world`, `bullets`, `ShipView.ship`, ...) are the view's own, valid until the
 * next `applyDelta`: copy them (`cloneWorld`) to keep them longer.
 */
export class ArenaView {
  /** Where the next delta is applied (undefined until one is, or while it is not ours). */
  private scratch: World | undefined;

  private constructor(
    private current: World,
    /** Whether `current` may be reused as the scratch world (not the caller's, from `fromWorld`). */
    private ownsCurrent: boolean,
    /** In a large room: the part every player receives (see `board`). */
    private boardWorld: World | undefined = undefined,
  ) {}

  /** The view a keyframe describes (a plain one, or a large room's split one); throws `DecodeError` on bad bytes. */
  static fromKeyframe(bytes: Uint8Array): ArenaView {
    if (bytes[0] === SPLIT_KEYFRAME_FORMAT) {
      const { board, view } = decodeSplitKeyframe(bytes);
      return new ArenaView(ownWorld(view), true, board);
    }
    return new ArenaView(ownWorld(decodeKeyframe(bytes)), true);
  }

  /** The view of a world the caller already has (no decoding, no copy; deltas never change it). */
  static fromWorld(world: World): ArenaView {
    return new ArenaView(world, false);
  }

  /** Applies the delta of the next tick. Throws `DecodeError` and leaves the view unchanged on bad bytes (ask for a keyframe). */
  applyDelta(bytes: Uint8Array): void {
    let board: World | undefined;
    if (this.boardWorld !== undefined) {
      const [boardBytes, own] = splitParts(bytes);
      board = applyDelta(this.boardWorld, boardBytes);
      bytes = own;
    }
    let next = this.scratch;
    if (next === undefined) next = ownWorld(cloneWorld(this.current));
    else copyWorldInto(next, this.current);
    try {
      applyDeltaInPlace(next, bytes);
    } catch (e) {
      // `next` is half-changed (a list may even hold a body twice, mid-compaction): drop it,
      // the next delta starts from a fresh copy. The view is unchanged.
      this.scratch = undefined;
      throw e;
    }
    this.scratch = this.ownsCurrent ? this.current : undefined;
    this.current = next;
    this.ownsCurrent = true;
    if (board !== undefined) this.boardWorld = board;
  }

  /**
   * In a large room: every seat, with its identity, score, kills and whether it is alive and
   * connected, but nothing of where it is (ships rest in the centre). Undefined in a room
   * where `world` holds every ship.
   */
  get board(): Readonly<World> | undefined {
    return this.boardWorld;
  }

  /** The raw quantised state (do not modify it; the view's own until the next delta). */
  get world(): Readonly<World> {
    return this.current;
  }

  get tick(): number {
    return this.current.tick;
  }

  /** The kinematic constants (sub-units, ticks). */
  get physics(): Readonly<Physics> {
    return this.current.physics;
  }

  get tickHz(): number {
    return this.current.physics.tickHz;
  }

  get phase(): Phase {
    return this.current.phase;
  }

  /** Ticks left in the countdown, the match, or the float after it. */
  get phaseTicksLeft(): number {
    return this.current.phaseTicksLeft;
  }

  /** `phaseTicksLeft` in seconds. */
  get phaseSecondsLeft(): number {
    return this.current.phaseTicksLeft / this.tickHz;
  }

  /** Arena width and height in units. */
  get arenaSize(): [number, number] {
    return toUnits({ x: this.current.physics.width, y: this.current.physics.height });
  }

  /** Seated ships, by slot. */
  ships(): ShipView[] {
    const out: ShipView[] = [];
    const ships = this.current.ships;
    for (let slot = 0; slot < ships.length; slot++) {
      const ship = ships[slot];
      if (ship !== null && ship !== undefined) out.push(new ShipView(slot, ship, this.current));
    }
    return out;
  }

  shipOf(player: string): ShipView | undefined {
    return this.ships().find((s) => s.player === player);
  }

  /** Seated ships, best first: score, then kills, then slot (in a large room every seat of the board, not only those in view). */
  scores(): ShipView[] {
    const board = this.boardWorld;
    if (board !== undefined) {
      const out: ShipView[] = [];
      board.ships.forEach((ship, slot) => {
        if (ship !== null && ship !== undefined) out.push(new ShipView(slot, ship, board));
      });
      return out.sort((a, b) => b.score - a.score || b.kills - a.kills || a.slot - b.slot);
    }
    return this.ships().sort((a, b) => b.score - a.score || b.kills - a.kills || a.slot - b.slot);
  }

  get bullets(): readonly Bullet[] {
    return this.current.bullets;
  }

  get pickups(): readonly Pickup[] {
    return this.current.pickups;
  }

  get blackHoles(): readonly BlackHole[] {
    return this.current.blackHoles;
  }
}

/** One ship, with values in drawing units. */
export class ShipView {
  constructor(
    readonly slot: number,
    /** The quantised state. */
    readonly ship: Readonly<Ship>,
    private readonly world: Readonly<World>,
  ) {}

  get player(): string {
    return this.ship.player;
  }

  get name(): string {
    return this.ship.name;
  }

  /** 0xRRGGBB. */
  get colour(): number {
    return this.ship.colour;
  }

  /** Units. */
  get position(): [number, number] {
    return toUnits(this.ship.pos);
  }

  /** Units per second. */
  get velocity(): [number, number] {
    const [x, y] = toUnits(this.ship.vel);
    const hz = this.world.physics.tickHz;
    return [x * hz, y * hz];
  }

  /** Radians. */
  get angle(): number {
    return angleToRadians(this.ship.angle);
  }

  get health(): number {
    return this.ship.health;
  }

  /** Health as a fraction of the maximum, for a bar. */
  get healthFraction(): number {
    return this.ship.health / Math.max(this.world.physics.maxHealth, 1);
  }

  get score(): number {
    return this.ship.score;
  }

  get kills(): number {
    return this.ship.kills;
  }

  get alive(): boolean {
    return this.ship.alive;
  }

  get connected(): boolean {
    return this.ship.connected;
  }

  /** Thrust cooldown left as a fraction (1 = just used, 0 = ready), for a bar. */
  get thrustCooldownFraction(): number {
    return this.ship.thrustCooldown / Math.max(this.world.physics.thrustCooldown, 1);
  }

  /** Fire cooldown left as a fraction (1 = just fired, 0 = ready), for a bar. */
  get fireCooldownFraction(): number {
    return this.ship.fireCooldown / Math.max(this.world.physics.fireCooldown, 1);
  }
}
