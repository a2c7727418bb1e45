/**
 * Per-cell progress on stderr. One line per finished cell; a cell still running after a few seconds is announced
 * so long training cells are visible, and a training cell then shows where it is and how long it has left
 * (redrawn in place on a terminal, a line every 30 s in logs); with --log-output the cells' own stdout/stderr is
 * echoed as it arrives.
 */
import type { Output } from '../jupyter/nbformat';
import { trainingProgress, trainingTimeLeft } from './eta';

export interface ProgressOptions {
  /** Where lines go (default process.stderr). */
  stream?: NodeJS.WritableStream;
  /** Prefix lines with the notebook name (several notebooks run at once). */
  prefix?: boolean;
  /** Echo the cells' stream output. */
  logOutput?: boolean;
  /** Announce a running cell after this long (default 5 s). */
  announceAfterMs?: number;
  /** Print nothing but errors. */
  quiet?: boolean;
  /** Extra text for status lines, e.g. the whole run's time left (called when a status line is drawn). */
  runStatus?: () => string;
}

/** Status lines of a running cell: at most every this often on a terminal, and in logs. */
const TTY_STATUS_MS = 1000;
const LOG_STATUS_MS = 30_000;

/** First non-empty, non-comment-only line of a cell, shortened. */
export function firstLine(source: string, max = 60): string {
  const lines = source.split('\n').map((l) => l.trim()).filter(Boolean);
  const isComment = (l: string) => /^(\/\/|\/\*|\*)/.test(l);
  const line = lines.find((l) => !isComment(l)) ?? lines[0] ?? '';
  return line.length > max ? `${line.slice(0, max - 1)}…` : line;
}

export function formatDuration(ms: number): string {
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)}s`;
  const s = Math.round(ms / 1000);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const rest = `${Math.floor((s % 60)).toString().padStart(2, '0')}s`;
  return h ? `${h}h${m.toString().padStart(2, '0')}m${rest}` : `${m}m${rest}`;
}

/** Progress of one notebook. */
export class NotebookProgress {
  private readonly out: NodeJS.WritableStream;
  private timer?: NodeJS.Timeout;
  private echoed: number[] = [];
  private readonly started = Date.now();
  private cell?: { index: number; total: number; start: number; lastStatus: number; drawn: boolean };

  constructor(private readonly label: string, private readonly opts: ProgressOptions = {}) {
    this.out = opts.stream ?? process.stderr;
  }

  private get tty(): boolean {
    return (this.out as NodeJS.WriteStream).isTTY === true;
  }

  line(text: string): void {
    if (this.opts.quiet) return;
    this.clearStatus();
    this.out.write(`${this.opts.prefix ? `[${this.label}] ` : ''}${text}\n`);
  }

  /** Errors are printed even when quiet. */
  error(text: string): void {
    const pre = this.opts.prefix ? `[${this.label}] ` : '';
    this.out.write(text.split('\n').map((l) => pre + l).join('\n') + '\n');
  }

  cellStart(index: number, total: number, source: string): void {
    this.echoed = [];
    clearTimeout(this.timer);
    this.cell = { index, total, start: Date.now(), lastStatus: 0, drawn: false };
    this.timer = setTimeout(() => this.line(`cell ${index}/${total} running… ${firstLine(source)}`), this.opts.announceAfterMs ?? 5_000);
    this.timer.unref();
  }

  cellEnd(index: number, total: number, source: string, status: string, ms: number): void {
    clearTimeout(this.timer);
    this.cell = undefined;
    const mark = status === 'ok' ? 'ok' : status.toUpperCase();
    this.line(`cell ${index}/${total} ${mark.padEnd(7)} ${formatDuration(ms).padStart(7)}  ${firstLine(source)}`);
  }

  /** Reads a running cell's outputs: its training progress (a status line) and, with --log-output, its text. */
  outputs(outputs: Output[]): void {
    this.status(outputs);
    this.echo(outputs);
  }

  /**
   * `7.6-resnet: 3m12s elapsed; cell 31/40 training epoch 3.4/10 (34%), ~6m10s left[; run: …]`, redrawn in place
   * on a terminal (at most every second), a new line every 30 s otherwise.
   */
  private status(outputs: Output[]): void {
    const cell = this.cell;
    if (!cell || this.opts.quiet) return;
    const p = trainingProgress(outputs);
    if (!p) return;
    const now = Date.now();
    if (now - cell.lastStatus < (this.tty ? TTY_STATUS_MS : LOG_STATUS_MS)) return;
    cell.lastStatus = now;
    const left = trainingTimeLeft(p, now - cell.start);
    const done = p.done.toFixed(p.done < 10 ? 1 : 0);
    const run = this.opts.runStatus?.();
    const text = `${this.label}: ${formatDuration(now - this.started)} elapsed; cell ${cell.index}/${cell.total} training `
      + `${p.unit} ${done}/${p.total} (${Math.round((100 * p.done) / p.total)}%)${left !== undefined ? `, ~${formatDuration(left)} left` : ''}`
      + `${run ? `; ${run}` : ''}`;
    if (this.tty) {
      this.out.write(`\r\x1b[K${text}`);
      cell.drawn = true;
    } else {
      this.out.write(`${this.opts.prefix ? `[${this.label}] ` : ''}${text}\n`);
    }
  }

  /** Removes a status line drawn in place, before a normal line is written. */
  private clearStatus(): void {
    if (this.cell?.drawn) {
      this.out.write('\r\x1b[K');
      this.cell.drawn = false;
    }
  }

  /** Echoes stream text that arrived since the last call (with --log-output). */
  private echo(outputs: Output[]): void {
    if (!this.opts.logOutput || this.opts.quiet) return;
    this.clearStatus();
    outputs.forEach((o, i) => {
      if (o.output_type !== 'stream') return;
      const seen = this.echoed[i] ?? 0;
      const start = seen > o.text.length ? 0 : seen; // the output was cleared and rewritten
      const text = o.text.slice(start);
      this.echoed[i] = o.text.length;
      if (text) this.out.write(this.opts.prefix ? text.replace(/^(?=.)/gm, `[${this.label}] | `) : text);
    });
  }

  dispose(): void {
    clearTimeout(this.timer);
    this.clearStatus();
  }
}
