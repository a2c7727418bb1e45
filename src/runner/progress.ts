/**
 * Per-cell progress on stderr. One line per finished cell; a cell still running after a few seconds is announced
 * so long training cells are visible; with --log-output the cells' own stdout/stderr is echoed as it arrives.
 */
import type { Output } from '../jupyter/nbformat';

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
}

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

  constructor(private readonly label: string, private readonly opts: ProgressOptions = {}) {
    this.out = opts.stream ?? process.stderr;
  }

  line(text: string): void {
    if (this.opts.quiet) return;
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
    this.timer = setTimeout(() => this.line(`cell ${index}/${total} running… ${firstLine(source)}`), this.opts.announceAfterMs ?? 5_000);
    this.timer.unref();
  }

  cellEnd(index: number, total: number, source: string, status: string, ms: number): void {
    clearTimeout(this.timer);
    const mark = status === 'ok' ? 'ok' : status.toUpperCase();
    this.line(`cell ${index}/${total} ${mark.padEnd(7)} ${formatDuration(ms).padStart(7)}  ${firstLine(source)}`);
  }

  /** Echoes stream text that arrived since the last call (with --log-output). */
  outputs(outputs: Output[]): void {
    if (!this.opts.logOutput || this.opts.quiet) return;
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
  }
}
