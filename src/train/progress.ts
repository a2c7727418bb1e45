/**
 * Terminal progress for `trainCh6` when no notebook display is available: a per-epoch progress bar redrawn in
 * place on stderr when stderr is a TTY, otherwise (logs, CI) one line per finished epoch. stdout keeps exactly
 * the book's lines ('training on …', the final loss/accuracy and examples/sec lines).
 */

export interface ProgressStream {
  write(text: string): unknown;
  isTTY?: boolean;
  columns?: number;
}

/** Progress reporting for one training run. */
export class EpochProgress {
  private lastDraw = 0;
  private readonly stream: ProgressStream;

  /** `enabled` false makes every method a no-op (quiet runs, notebooks that show an Animator). */
  constructor(private readonly numEpochs: number, private readonly numBatches: number,
    private readonly enabled = true, stream?: ProgressStream) {
    this.stream = stream ?? process.stderr;
  }

  /** After batch i (0-based) of `epoch` (0-based), with the epoch's running loss and accuracy. */
  batch(epoch: number, i: number, loss: number, acc: number): void {
    if (!this.enabled || !this.stream.isTTY) return;
    const now = Date.now();
    if (now - this.lastDraw < 100 && i + 1 < this.numBatches) return; // redraw at most 10×/s
    this.lastDraw = now;
    const width = Math.max(10, Math.min(30, (this.stream.columns ?? 80) - 60));
    const done = Math.round((width * (i + 1)) / Math.max(this.numBatches, 1));
    const bar = '#'.repeat(Math.min(done, width)) + '.'.repeat(Math.max(width - done, 0));
    this.stream.write(`\r${this.label(epoch)} [${bar}] ${i + 1}/${this.numBatches} `
      + `loss ${loss.toFixed(3)}, train acc ${acc.toFixed(3)}`);
  }

  /** After the epoch's evaluation: replaces the bar (TTY) or writes one line. */
  epochEnd(epoch: number, loss: number, acc: number, testAcc: number, seconds: number): void {
    if (!this.enabled) return;
    const clear = this.stream.isTTY ? '\r\x1b[K' : '';
    this.stream.write(`${clear}${this.label(epoch)}: loss ${loss.toFixed(3)}, train acc ${acc.toFixed(3)}, `
      + `test acc ${testAcc.toFixed(3)} (${seconds.toFixed(1)} s)\n`);
  }

  private label(epoch: number): string {
    return `epoch ${epoch + 1}/${this.numEpochs}`;
  }
}
