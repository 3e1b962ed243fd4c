// Clock sync from Ping/Pong: the client sends its time in microseconds, the gateway echoes it
// with its own wall clock in milliseconds. Of the recent samples, the one with the smallest
// round trip gives the best offset (its one-way delays are the least uncertain).

export interface ClockSample {
  rttMs: number;
  /** Server time minus local time, in ms, assuming symmetric delays. */
  offsetMs: number;
}

export class ClockSync {
  #samples: ClockSample[] = [];
  #best: ClockSample | undefined;

  readonly #now: () => number;
  readonly #keep: number;

  constructor(now: () => number, keep = 8) {
    this.#now = now;
    this.#keep = keep;
  }

  /** A Ping's `clientTimeUs` for the current local time. */
  pingTime(): number {
    return Math.max(0, Math.round(this.#now() * 1000));
  }

  /** A Pong arrived. Ignores echoes from the future (not one of ours). */
  pong(clientTimeUs: number, serverTimeMs: number): void {
    const now = this.#now();
    const rttMs = now - clientTimeUs / 1000;
    if (rttMs < 0) return;
    const offsetMs = serverTimeMs + rttMs / 2 - now;
    this.#samples.push({ rttMs, offsetMs });
    if (this.#samples.length > this.#keep) this.#samples.shift();
    this.#best = this.#samples.reduce((a, b) => (b.rttMs < a.rttMs ? b : a));
  }

  /** The latest round trip (NaN before the first pong). */
  get rttMs(): number {
    return this.#samples.at(-1)?.rttMs ?? Number.NaN;
  }

  get synced(): boolean {
    return this.#best !== undefined;
  }

  /** The server's wall clock now, in ms since the Unix epoch (local Date.now() before any pong). */
  serverNowMs(): number {
    return this.#best === undefined ? Date.now() : this.#now() + this.#best.offsetMs;
  }
}
