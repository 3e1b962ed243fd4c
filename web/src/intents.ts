// When the page sends its intent. An arena intent persists until the next input, so the
// page sends one when the keys change it, and again:
// - after a (re)join or a resume: a disconnect clears the ship's intent (protocol §10.1);
// - every `resendMs` (500 ms): after a worker failover the room continues from a snapshot
//   up to 100 ms old, which may predate the last intent it applied and acknowledged; the
//   Session only resends unacknowledged inputs, so a steady resend repairs that within
//   half a second. The Rust bots send only on change (they think every 100 ms, their
//   intents change often); the chaos players send every 200 ms. Two messages a second are
//   far below the gateway's 60/s limit.

import { type KeyIntent, sameIntent } from "./keys.js";

export class IntentSender {
  private current: KeyIntent = { turn: 0, thrust: false, fire: false };
  private lastSentAt = -Infinity;
  private sent = 0;

  constructor(
    private readonly send: (intent: KeyIntent) => void,
    private readonly resendMs = 500,
  ) {}

  /** The keys changed (or not): send when the intent differs, or when the resend is due. */
  update(intent: KeyIntent, nowMs: number): boolean {
    const changed = !sameIntent(intent, this.current);
    this.current = intent;
    if (changed || nowMs - this.lastSentAt >= this.resendMs) {
      this.flush(nowMs);
      return true;
    }
    return false;
  }

  /** Send the current intent now (after a join, a resume or a new epoch). */
  flush(nowMs: number): void {
    this.lastSentAt = nowMs;
    this.sent += 1;
    this.send({ ...this.current });
  }

  get intent(): KeyIntent {
    return { ...this.current };
  }

  get count(): number {
    return this.sent;
  }
}
