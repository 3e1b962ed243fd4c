// Player input (arena/src/input.rs): the Intent a client sends, its postcard encoding
// (an f32 and two bools, 6 bytes), the turn as the simulation quantises it, and the
// arena's commands.

/** What a player wants their ship to do. An intent persists on the server until the next input. */
export interface Intent {
  /** -1 (full turn toward decreasing angle) ..= 1; clamped by the server. Sent as an f32. */
  turn: number;
  thrust: boolean;
  fire: boolean;
}

/** The bytes of `intent` as the server's `apply_input` expects them. */
export function encodeIntent(intent: Intent): Uint8Array {
  const out = new Uint8Array(6);
  new DataView(out.buffer).setFloat32(0, intent.turn, true);
  out[4] = intent.thrust ? 1 : 0;
  out[5] = intent.fire ? 1 : 0;
  return out;
}

/** Rust's `f32::round`: halves away from zero. */
function roundHalfAway(v: number): number {
  return Math.sign(v) * Math.floor(Math.abs(v) + 0.5) + 0;
}

/** The turn as the simulation keeps it: -127..=127 (`quantise_turn`, in f32 like Rust). */
export function quantiseTurn(turn: number): number {
  const t = Math.fround(turn);
  if (!Number.isFinite(t)) return 0;
  const clamped = Math.min(Math.max(t, -1), 1);
  return roundHalfAway(Math.fround(clamped * 127));
}

/** The arena's commands (`ArenaCommand`): acknowledged, applied at most once. */
export type ArenaCommand = { type: "Emote"; emote: number };

/** The most emotes there are (emotes are 0..EMOTES-1). */
export const EMOTES = 16;

/** The bytes of a command as the server's `command` expects them (postcard). */
export function encodeCommand(command: ArenaCommand): Uint8Array {
  if (!Number.isInteger(command.emote) || command.emote < 0 || command.emote >= EMOTES) {
    throw new RangeError(`no emote ${command.emote}: there are ${EMOTES}`);
  }
  return Uint8Array.of(0, command.emote);
}
