// Frontier's views and commands, shaped as the Rust crate's serde JSON (orrery-frontier
// src/wire.rs, src/state.rs, src/events.rs), so a view compares equal to the fixtures'.

export type Phase = "Lobby" | "Countdown" | "Running" | "Over" | "Closable";
export const PHASES: readonly Phase[] = ["Lobby", "Countdown", "Running", "Over", "Closable"];
export type UnitKind = "Soldier" | "Scout";
export const UNIT_KINDS: readonly UnitKind[] = ["Soldier", "Scout"];

export interface Pos {
  x: number;
  y: number;
}

export interface Unit {
  id: number;
  owner: number;
  kind: UnitKind;
  pos: Pos;
  hp: number;
}

export interface CityView {
  id: number;
  pos: Pos;
  owner: number | null;
  /** Own cities only: what it builds and turns of work so far. */
  production: [UnitKind, number] | null;
}

export type Order = { Move: { unit: number; to: Pos } } | { Produce: { city: number; kind: UnitKind } };

export type What =
  | { Joined: { seat: number; player: string; name: string } }
  | { Returned: { seat: number } }
  | { Away: { seat: number } }
  | { Left: { seat: number } }
  | { BotPlays: { seat: number } }
  | "Started"
  | { Orders: { seat: number; submitted: boolean; orders: Order[] } }
  | { Battle: { pos: Pos; attacker: number; defender: number; attacker_hp: number; defender_hp: number } }
  | { Captured: { city: number; pos: Pos; by: number; from: number | null } }
  | { Produced: { pos: Pos; seat: number; kind: UnitKind } }
  | { Eliminated: { seat: number } }
  | { Resolved: { turn: number } }
  | { Over: { winner: number | null } }
  | "Closed";

export interface LogEntry {
  turn: number;
  what: What;
}

export interface PublicSeat {
  player: string;
  name: string;
  connected: boolean;
  bot: boolean;
  left: boolean;
  alive: boolean;
  submitted: boolean;
  cities: number;
  kills: number;
}

/** The scoreboard every viewer sees. Times are wall-clock milliseconds since the epoch. */
export interface Public {
  phase: Phase;
  turn: number;
  turn_limit: number;
  deadline: number | null;
  now: number;
  turn_ms: number;
  grace_ms: number;
  width: number;
  height: number;
  seats: PublicSeat[];
  winner: number | null;
}

/** A seated player's own part: tiles (0 unknown, 1 + terrain, | VISIBLE), what it sees. */
export interface Mine {
  seat: number;
  tiles: number[];
  units: Unit[];
  cities: CityView[];
  orders: Order[];
  log: LogEntry[];
}

export interface MineDelta {
  seat: number;
  tiles: [number, number][];
  units: Unit[] | null;
  cities: CityView[] | null;
  orders: Order[];
  log: LogEntry[];
}

export type Action = { Order: Order } | { Submit: Order[] };

export interface FrontierCommand {
  turn: number;
  action: Action;
}

/** A tile's bit for "seen now"; the low bits are 0 (unknown) or 1 + terrain. */
export const VISIBLE = 0x80;
export const TERRAINS = ["Plains", "Forest", "Hills", "Water"] as const;
export type Terrain = (typeof TERRAINS)[number];
/** Log entries a view keeps (as the Rust view). */
export const LOG_SHOWN = 20;
