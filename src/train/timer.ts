/**
 * The book's small bookkeeping helpers: `Timer` (wall-clock intervals) and `Accumulator` (running sums).
 * Both are `d2l` library classes in the book (`d2l.Timer`, `d2l.Accumulator`); TypeScript has no
 * `__getitem__`, so `Accumulator` offers `get(i)` and the raw `data` array.
 */

/** Records running times. It starts on construction, like the book's `Timer`. */
export class Timer {
  /** Every interval measured by `stop()`, in seconds. */
  readonly times: number[] = [];
  private tik = 0;

  constructor() {
    this.start();
  }

  /** Starts (or restarts) the clock. */
  start(): void {
    this.tik = performance.now();
  }

  /** Stops the clock, records the elapsed seconds and returns them. */
  stop(): number {
    const seconds = (performance.now() - this.tik) / 1000;
    this.times.push(seconds);
    return seconds;
  }

  /** The average recorded time (0 when nothing was recorded, where Python would divide by zero). */
  avg(): number {
    return this.times.length === 0 ? 0 : this.sum() / this.times.length;
  }

  /** The sum of the recorded times. */
  sum(): number {
    return this.times.reduce((a, b) => a + b, 0);
  }

  /** The running sums of the recorded times. */
  cumsum(): number[] {
    let total = 0;
    return this.times.map((t) => (total += t));
  }
}

/** Accumulates sums over `n` variables. */
export class Accumulator {
  data: number[];

  constructor(n: number) {
    this.data = new Array<number>(n).fill(0);
  }

  /** Adds each argument to the matching running sum. */
  add(...args: number[]): void {
    if (args.length !== this.data.length) {
      throw new Error(`Accumulator.add: expected ${this.data.length} values, got ${args.length}`);
    }
    this.data = this.data.map((a, i) => a + Number(args[i]));
  }

  reset(): void {
    this.data = this.data.map(() => 0);
  }

  /** The i-th running sum (the book writes `metric[i]`). */
  get(i: number): number {
    return this.data[i];
  }
}
