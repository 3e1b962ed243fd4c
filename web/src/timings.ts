// A bounded record of durations (milliseconds) with percentiles: how long the page takes
// to handle each frame, exposed on window.orrery for the tests and the benchmark.

export class Timings {
  private readonly samples: number[] = [];
  private next = 0;
  total = 0;

  constructor(private readonly capacity = 4096) {}

  /** The newest sample. */
  last = Number.NaN;

  add(ms: number): void {
    this.total += 1;
    this.last = ms;
    if (this.samples.length < this.capacity) this.samples.push(ms);
    else {
      this.samples[this.next] = ms;
      this.next = (this.next + 1) % this.capacity;
    }
  }

  /** The q-quantile (0..1) of the kept samples, nearest rank; NaN when empty. */
  quantile(q: number): number {
    if (this.samples.length === 0) return Number.NaN;
    const sorted = [...this.samples].sort((a, b) => a - b);
    const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1));
    return sorted[rank] ?? Number.NaN;
  }

  summary(): { count: number; p50: number; p99: number; max: number } {
    return { count: this.total, p50: this.quantile(0.5), p99: this.quantile(0.99), max: this.quantile(1) };
  }
}
