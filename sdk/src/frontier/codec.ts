// Frontier's payloads in postcard, both ways where a client needs them: decoding the
// scoreboard and a player's own part (keyframe and delta), encoding commands.

import { DecodeError } from "../errors.js";
import { Reader } from "../protocol/reader.js";
import { Writer } from "../protocol/writer.js";
import type { Action, CityView, FrontierCommand, LogEntry, Mine, MineDelta, Order, Pos, Public, PublicSeat, Unit, UnitKind, What } from "./types.js";
import { PHASES, UNIT_KINDS } from "./types.js";

const pos = (r: Reader): Pos => ({ x: r.u8(), y: r.u8() });
const kind = (r: Reader): UnitKind => UNIT_KINDS[r.variant(UNIT_KINDS.length, "unit kind")] as UnitKind;
const seat = (r: Reader): number => r.u8();

function order(r: Reader): Order {
  if (r.variant(2, "order") === 0) return { Move: { unit: r.u32(), to: pos(r) } };
  return { Produce: { city: r.u32(), kind: kind(r) } };
}

function unit(r: Reader): Unit {
  return { id: r.u32(), owner: r.u8(), kind: kind(r), pos: pos(r), hp: r.u8() };
}

function city(r: Reader): CityView {
  return { id: r.u32(), pos: pos(r), owner: r.option(() => r.u8()), production: r.option(() => [kind(r), r.u8()] as [UnitKind, number]) };
}

function what(r: Reader): What {
  switch (r.variant(14, "happening")) {
    case 0:
      return { Joined: { seat: seat(r), player: r.uuid(), name: r.string() } };
    case 1:
      return { Returned: { seat: seat(r) } };
    case 2:
      return { Away: { seat: seat(r) } };
    case 3:
      return { Left: { seat: seat(r) } };
    case 4:
      return { BotPlays: { seat: seat(r) } };
    case 5:
      return "Started";
    case 6:
      return { Orders: { seat: seat(r), submitted: r.flag("a bool"), orders: r.seq(() => order(r)) } };
    case 7:
      return { Battle: { pos: pos(r), attacker: r.u8(), defender: r.u8(), attacker_hp: r.u8(), defender_hp: r.u8() } };
    case 8:
      return { Captured: { city: r.u32(), pos: pos(r), by: r.u8(), from: r.option(() => r.u8()) } };
    case 9:
      return { Produced: { pos: pos(r), seat: seat(r), kind: kind(r) } };
    case 10:
      return { Eliminated: { seat: seat(r) } };
    case 11:
      return { Resolved: { turn: r.u32() } };
    case 12:
      return { Over: { winner: r.option(() => r.u8()) } };
    default:
      return "Closed";
  }
}

const logEntry = (r: Reader): LogEntry => ({ turn: r.u32(), what: what(r) });

function publicSeat(r: Reader): PublicSeat {
  return {
    player: r.uuid(),
    name: r.string(),
    connected: r.flag("a bool"),
    bot: r.flag("a bool"),
    left: r.flag("a bool"),
    alive: r.flag("a bool"),
    submitted: r.flag("a bool"),
    cities: r.u8(),
    kills: r.u32(),
  };
}

/** The scoreboard at the start of a payload. */
export function readPublic(r: Reader): Public {
  return {
    phase: PHASES[r.variant(PHASES.length, "phase")]!,
    turn: r.u32(),
    turn_limit: r.u32(),
    deadline: r.option(() => r.u64()),
    now: r.u64(),
    turn_ms: r.u64(),
    grace_ms: r.u64(),
    width: r.u8(),
    height: r.u8(),
    seats: r.seq(() => publicSeat(r)),
    winner: r.option(() => r.u8()),
  };
}

export function readMine(r: Reader): Mine {
  return {
    seat: r.u8(),
    tiles: r.seq(() => r.u8()),
    units: r.seq(() => unit(r)),
    cities: r.seq(() => city(r)),
    orders: r.seq(() => order(r)),
    log: r.seq(() => logEntry(r)),
  };
}

export function readMineDelta(r: Reader): MineDelta {
  return {
    seat: r.u8(),
    tiles: r.seq(() => [r.u16(), r.u8()] as [number, number]),
    units: r.option(() => r.seq(() => unit(r))),
    cities: r.option(() => r.seq(() => city(r))),
    orders: r.seq(() => order(r)),
    log: r.seq(() => logEntry(r)),
  };
}

/** Run a decoder over a whole payload; anything but a DecodeError is reported as one. */
export function decodeWith<T>(bytes: Uint8Array, read: (r: Reader) => T): T {
  const r = new Reader(bytes);
  try {
    return read(r);
  } catch (e) {
    if (e instanceof DecodeError) throw e;
    throw new DecodeError("Invalid", `unexpected failure: ${String(e)}`, r.offset);
  }
}

function writeOrder(w: Writer, o: Order): void {
  if ("Move" in o) w.tag(0).u32(o.Move.unit).u8(o.Move.to.x).u8(o.Move.to.y);
  else w.tag(1).u32(o.Produce.city).tag(UNIT_KINDS.indexOf(o.Produce.kind));
}

/** `Command.payload` for Frontier. */
export function encodeCommand(command: FrontierCommand): Uint8Array {
  const w = new Writer();
  w.u32(command.turn);
  const a: Action = command.action;
  if ("Order" in a) writeOrder(w.tag(0), a.Order);
  else w.tag(1).seq(a.Submit, (o) => writeOrder(w, o));
  return w.finish();
}
