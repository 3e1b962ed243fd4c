// The keyboard as an arena intent: arrows or WASD turn (left/right) and thrust (up), space
// fires. Pure: a set of held keys in, an intent out.

export interface KeyIntent {
  turn: number;
  thrust: boolean;
  fire: boolean;
}

const LEFT = new Set(["ArrowLeft", "KeyA"]);
const RIGHT = new Set(["ArrowRight", "KeyD"]);
const THRUST = new Set(["ArrowUp", "KeyW"]);
const FIRE = new Set(["Space"]);

/** Whether the page handles this key (so it can stop the browser scrolling on it). */
export function isGameKey(code: string): boolean {
  return LEFT.has(code) || RIGHT.has(code) || THRUST.has(code) || FIRE.has(code) || code === "ArrowDown" || code === "KeyS";
}

/** The intent of the keys held. Left and right together cancel out. */
export function intentOf(held: ReadonlySet<string>): KeyIntent {
  const any = (keys: Set<string>) => [...keys].some((k) => held.has(k));
  // Negative turns toward decreasing angle; on a screen with y downwards that is to the left.
  const turn = (any(RIGHT) ? 1 : 0) - (any(LEFT) ? 1 : 0);
  return { turn, thrust: any(THRUST), fire: any(FIRE) };
}

export function sameIntent(a: KeyIntent, b: KeyIntent): boolean {
  return a.turn === b.turn && a.thrust === b.thrust && a.fire === b.fire;
}
