// FrontierView: what a Frontier client holds, built from a keyframe and kept by deltas,
// as the Rust crate's `FrontierView` (same JSON shape: checked against
// sdk/fixtures/frontier-replay.json, written by frontier/tests/client_fixtures.rs).

import { DecodeError } from "../errors.js";
import { decodeWith, readMine, readMineDelta, readPublic } from "./codec.js";
import type { Mine, Pos, Public, Terrain } from "./types.js";
import { LOG_SHOWN, TERRAINS, VISIBLE } from "./types.js";

export class FrontierView {
  constructor(
    public pub: Public,
    /** A seated player's own part; null for a spectator or anyone without a seat. */
    public mine: Mine | null,
  ) {}

  static fromKeyframe(bytes: Uint8Array): FrontierView {
    return decodeWith(bytes, (r) => {
      const pub = readPublic(r);
      const mine = r.rest().length === 0 ? null : readMine(r);
      r.end();
      if (mine && mine.tiles.length !== pub.width * pub.height) throw new DecodeError("Invalid", "the own view is not the map's size", r.offset);
      return new FrontierView(pub, mine);
    });
  }

  applyDelta(bytes: Uint8Array): void {
    const [pub, delta] = decodeWith(bytes, (r) => {
      const p = readPublic(r);
      const d = r.rest().length === 0 ? null : readMineDelta(r);
      r.end();
      return [p, d] as const;
    });
    if (delta) {
      const mine = this.mine;
      if (!mine) throw new DecodeError("Invalid", "a delta for a part that no keyframe started", 0);
      for (const [i, t] of delta.tiles) {
        if (i >= mine.tiles.length) throw new DecodeError("Invalid", `tile ${i} is off the map`, 0);
        mine.tiles[i] = t;
      }
      if (delta.units) mine.units = delta.units;
      if (delta.cities) mine.cities = delta.cities;
      mine.seat = delta.seat;
      mine.orders = delta.orders;
      mine.log.push(...delta.log);
      if (mine.log.length > LOG_SHOWN) mine.log.splice(0, mine.log.length - LOG_SHOWN);
    }
    this.pub = pub;
  }

  /** The view as the Rust view's serde JSON: `{ public, mine }`. */
  toJSON(): { public: Public; mine: Mine | null } {
    return { public: this.pub, mine: this.mine };
  }

  /** The terrain of `p` as this viewer knows it and whether it is seen now; null if unknown. */
  tile(p: Pos): { terrain: Terrain; seen: boolean } | null {
    const t = this.mine?.tiles[p.y * this.pub.width + p.x];
    if (!t) return null;
    const terrain = TERRAINS[(t & ~VISIBLE) - 1];
    return terrain ? { terrain, seen: (t & VISIBLE) !== 0 } : null;
  }

  /** The seats whose orders the turn waits for (players, not bots, not yet done). */
  awaiting(): number[] {
    if (this.pub.phase !== "Running") return [];
    return this.pub.seats.flatMap((s, i) => (s.alive && !s.bot && !s.submitted ? [i] : []));
  }
}
