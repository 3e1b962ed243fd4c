// The canonical text of a view (arena/src/wire/canonical.rs): deterministic JSON with
// every field of the quantised world, integers only, keys in a fixed order, no
// whitespace. Equal texts mean equal views; the replay fixture and the browser test
// compare a page's view with a Rust client's this way.

import type { Vec2 } from "./fixed.js";
import { ArenaView } from "./view.js";
import type { World } from "./world.js";

const PHASE_NAMES = { Lobby: "lobby", Countdown: "countdown", Running: "running", Over: "over", Closable: "closable" } as const;

function pair(v: Vec2): string {
  return `[${v.x},${v.y}]`;
}

/** The canonical JSON text of a view (or of a world). */
export function canonicalView(view: ArenaView | World): string {
  const w: Readonly<World> = view instanceof ArenaView ? view.world : view;
  const p = w.physics;
  const parts: string[] = [];
  parts.push(
    `{"tick":${w.tick},"phase":"${PHASE_NAMES[w.phase]}","phase_ticks_left":${w.phaseTicksLeft},"next_bullet_id":${w.nextBulletId},"seats":${w.ships.length},`,
  );
  parts.push(
    `"physics":{"tick_hz":${p.tickHz},"width":${p.width},"height":${p.height},"ship_radius":${p.shipRadius},"ship_max_speed":${p.shipMaxSpeed},` +
      `"thrust_impulse":${p.thrustImpulse},"drag_q10":${p.dragQ10},"turn_step":${p.turnStep},"thrust_cooldown":${p.thrustCooldown},"fire_cooldown":${p.fireCooldown},` +
      `"bullet_speed":${p.bulletSpeed},"bullet_max_speed":${p.bulletMaxSpeed},"bullet_lifetime":${p.bulletLifetime},"bullet_radius":${p.bulletRadius},"max_health":${p.maxHealth},` +
      `"gravity":${p.gravity},"gravity_min_distance":${p.gravityMinDistance},"gravity_max_accel":${p.gravityMaxAccel},"pickup_radius":${p.pickupRadius}},`,
  );
  const ships: string[] = [];
  w.ships.forEach((s, slot) => {
    if (s === null) return;
    ships.push(
      `{"slot":${slot},"player":"${s.player}","name":${JSON.stringify(s.name)},"colour":${s.colour},"turn":${s.turn},"thrust":${s.thrust},"fire":${s.fire},` +
        `"pos":${pair(s.pos)},"vel":${pair(s.vel)},"angle":${s.angle},"thrust_cooldown":${s.thrustCooldown},"fire_cooldown":${s.fireCooldown},"health":${s.health},"score":${s.score},` +
        `"kills":${s.kills},"alive":${s.alive},"connected":${s.connected}}`,
    );
  });
  parts.push(`"ships":[${ships.join(",")}],`);
  const bullets = w.bullets.map((b) => `{"id":${b.id},"owner":${b.owner},"pos":${pair(b.pos)},"vel":${pair(b.vel)},"ttl":${b.ttl}}`);
  parts.push(`"bullets":[${bullets.join(",")}],`);
  const pickups = w.pickups.map((pk) => `{"id":${pk.id},"kind":"${pk.kind === "Health" ? "health" : "score"}","pos":${pair(pk.pos)}}`);
  parts.push(`"pickups":[${pickups.join(",")}],`);
  const holes = w.blackHoles.map((h) => `{"pos":${pair(h.pos)},"core_radius":${h.coreRadius}}`);
  parts.push(`"black_holes":[${holes.join(",")}]}`);
  return parts.join("");
}

const FNV_OFFSET = 0xcbf29ce484222325n;
const FNV_PRIME = 0x100000001b3n;
const MASK64 = (1n << 64n) - 1n;

/** 64-bit FNV-1a of the UTF-8 bytes of `text`, as 16 lowercase hex digits. */
export function fnv1a64(text: string): string {
  let h = FNV_OFFSET;
  for (const b of new TextEncoder().encode(text)) {
    h = ((h ^ BigInt(b)) * FNV_PRIME) & MASK64;
  }
  return h.toString(16).padStart(16, "0");
}
