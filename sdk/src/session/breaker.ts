// A circuit breaker: `failures` failed attempts within `windowMs` open it, so a client never
// retries forever against a dead service. A success closes it again.

export class CircuitBreaker {
  readonly #times: number[] = [];

  readonly #failures: number;
  readonly #windowMs: number;

  constructor(failures: number, windowMs: number) {
    this.#failures = failures;
    this.#windowMs = windowMs;
  }

  /** Record a failure at `now`; returns true when the circuit is now open. */
  fail(now: number): boolean {
    this.#times.push(now);
    while (this.#times.length > 0 && now - this.#times[0]! > this.#windowMs) this.#times.shift();
    return this.#times.length >= this.#failures;
  }

  /** Failures within the window as of the last one recorded. */
  get count(): number {
    return this.#times.length;
  }

  succeed(): void {
    this.#times.length = 0;
  }
}
