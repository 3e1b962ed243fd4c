// Inputs are numbered (InputSeq, from 1) and kept until the room acknowledges them
// (`Frame.ack`); after a (re)join, the ones after `Joined.lastInput` are resent in order with
// their original numbers, and new ones continue after both (docs/protocol.md §6.5).

const MAX_SEQ = 0xffff_ffff;

export interface PendingInput {
  seq: number;
  payload: Uint8Array;
}

export class InputQueue {
  #next = 1;
  readonly #unacked: PendingInput[] = [];

  readonly #limit: number;

  constructor(limit = 4096) {
    this.#limit = limit;
  }

  /** Number a new input and keep it. */
  push(payload: Uint8Array): number {
    const seq = this.#next;
    this.#next = Math.min(this.#next + 1, MAX_SEQ);
    this.#unacked.push({ seq, payload });
    // A session that cannot send for long keeps the newest inputs only.
    if (this.#unacked.length > this.#limit) this.#unacked.shift();
    return seq;
  }

  /** The room applied everything up to `ack`. */
  ack(ack: number): void {
    while (this.#unacked.length > 0 && this.#unacked[0]!.seq <= ack) this.#unacked.shift();
  }

  /**
   * A Joined arrived: drop what the room applied, and return what to resend, in order. At most
   * the newest `budget` are kept: resending more at once than the gateway's burst allows would
   * close the socket (RATE_LIMITED) and loop.
   */
  joined(lastInput: number | null, budget = Infinity): readonly PendingInput[] {
    if (lastInput !== null) {
      this.ack(lastInput);
      this.#next = Math.max(this.#next, Math.min(lastInput + 1, MAX_SEQ));
    }
    if (this.#unacked.length > budget) this.#unacked.splice(0, this.#unacked.length - budget);
    return this.#unacked;
  }

  get pending(): number {
    return this.#unacked.length;
  }

  get nextSeq(): number {
    return this.#next;
  }

  /** A new room: numbering starts again. */
  reset(): void {
    this.#next = 1;
    this.#unacked.length = 0;
  }
}
