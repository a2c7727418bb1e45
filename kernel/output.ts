/**
 * Where notebook output goes: process.stdout/stderr writes and d2l's display sink become iopub messages of the
 * cell that owns them (cells.ts), handed at once to the I/O thread, which coalesces and paces them (io/outbox.ts).
 * Nothing here waits for the main thread's event loop, so output is live even while a cell never yields.
 */
import * as util from 'util';
import { setDisplaySink, type MimeBundle } from '../src/display/protocol';
import { currentCell } from './cells';
import { realTimers } from './timers';

export const realStderrWrite = process.stderr.write.bind(process.stderr);
const realStdoutWrite = process.stdout.write.bind(process.stdout);

/** Publishes on iopub (implemented by the kernel: builds the message with the cell's parent header). */
export interface IopubSender {
  publish(parent: import('../src/jupyter/wire').Message, msgType: string, content: Record<string, unknown>): void;
}

/** Logs a kernel message to the real stderr (the kernel's log, not a notebook cell). */
export function kernelLog(text: string): void {
  realStderrWrite(`[d2l kernel] ${text}\n`);
}

/** Redirects process.stdout/stderr and the d2l display sink to iopub. */
export function installOutputCapture(iopub: IopubSender): void {
  const capture = (name: 'stdout' | 'stderr', real: (chunk: any, ...rest: any[]) => boolean) =>
    (chunk: unknown, encoding?: unknown, callback?: unknown): boolean => {
      const cell = currentCell();
      if (!cell) return real(chunk, encoding, callback);
      const text = typeof chunk === 'string' ? chunk : Buffer.from(chunk as Uint8Array).toString('utf8');
      iopub.publish(cell.parent, 'stream', { name, text });
      const done = typeof encoding === 'function' ? encoding : callback;
      if (typeof done === 'function') realTimers.setImmediate(() => (done as () => void)());
      return true;
    };
  process.stdout.write = capture('stdout', realStdoutWrite) as typeof process.stdout.write;
  process.stderr.write = capture('stderr', realStderrWrite) as typeof process.stderr.write;

  setDisplaySink({
    display(data, metadata, displayId, update) {
      const cell = currentCell();
      if (!cell) return;
      const content: Record<string, unknown> = { data: wireBundle(data), metadata: metadata ?? {}, transient: displayId ? { display_id: displayId } : {} };
      iopub.publish(cell.parent, update && displayId ? 'update_display_data' : 'display_data', content);
    },
    clearOutput(wait) {
      const cell = currentCell();
      if (cell) iopub.publish(cell.parent, 'clear_output', { wait });
    },
  });
}

/** Binary MIME data travels as base64 text; JSON types stay objects; other values become text. */
export function wireBundle(bundle: MimeBundle): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [mime, value] of Object.entries(bundle)) {
    if (value instanceof Uint8Array) out[mime] = Buffer.from(value).toString('base64');
    else if (typeof value === 'string' || /[/+]json$/.test(mime)) out[mime] = value;
    else out[mime] = util.inspect(value);
  }
  return out;
}
