/**
 * Where notebook output goes. Every cell runs inside an AsyncLocalStorage context naming its execute_request, so
 * stdout/stderr writes, `display()` and `clearOutput()` from async work that outlives the cell (timers, promises)
 * still land in the cell that started it. The same context carries the cell's interrupted flag: timer callbacks
 * scheduled by an interrupted cell are dropped, which is what stops an async loop on interrupt.
 */
import { AsyncLocalStorage } from 'async_hooks';
import * as util from 'util';
import { setDisplaySink, type MimeBundle } from '../src/display/protocol';
import type { Message } from '../src/jupyter/wire';

export interface CellContext {
  readonly parent: Message;
  interrupted: boolean;
}

/** Sends iopub messages (implemented by the kernel: signs, and flushes pending stream text first). */
export interface IopubSender {
  stream(parent: Message, name: 'stdout' | 'stderr', text: string): void;
  publish(parent: Message, msgType: string, content: Record<string, unknown>): void;
}

const cells = new AsyncLocalStorage<CellContext>();
// Kernel internals must keep working after a cell is interrupted, so they use the unwrapped timers.
export const realSetImmediate = setImmediate;
export const realSetTimeout = setTimeout;
export const realStderrWrite = process.stderr.write.bind(process.stderr);
const realStdoutWrite = process.stdout.write.bind(process.stdout);

let latest: CellContext | undefined;

/** Runs `fn` (a cell) with `ctx` as the output target of everything it starts. */
export function runInCell<T>(ctx: CellContext, fn: () => T): T {
  latest = ctx;
  return cells.run(ctx, fn);
}

/** The cell that should receive output produced now: the one that started this work, else the latest cell. */
export function currentCell(): CellContext | undefined {
  return cells.getStore() ?? latest;
}

/** Logs a kernel message to the real stderr (the kernel's log, not a notebook cell). */
export function kernelLog(text: string): void {
  realStderrWrite(`[d2l kernel] ${text}\n`);
}

/** Redirects process.stdout/stderr and the d2l display sink to iopub; wraps timers for interrupts. */
export function installOutputCapture(iopub: IopubSender): void {
  const capture = (name: 'stdout' | 'stderr', real: (chunk: any, ...rest: any[]) => boolean) =>
    (chunk: unknown, encoding?: unknown, callback?: unknown): boolean => {
      const cell = currentCell();
      if (!cell) return real(chunk, encoding, callback);
      const text = typeof chunk === 'string' ? chunk : Buffer.from(chunk as Uint8Array).toString('utf8');
      iopub.stream(cell.parent, name, text);
      const done = typeof encoding === 'function' ? encoding : callback;
      if (typeof done === 'function') realSetImmediate(() => (done as () => void)());
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
  wrapTimers();
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

function wrapTimers(): void {
  const g = globalThis as any;
  for (const name of ['setTimeout', 'setInterval', 'setImmediate']) {
    const original = g[name];
    const wrapped = function (this: unknown, callback: unknown, ...args: unknown[]) {
      if (typeof callback !== 'function') return original.call(this, callback, ...args);
      const guarded = function (this: unknown, ...cbArgs: unknown[]) {
        if (cells.getStore()?.interrupted) return undefined; // the cell was interrupted: let its async work die
        return (callback as (...a: unknown[]) => unknown).apply(this, cbArgs);
      };
      return original.call(this, guarded, ...args);
    };
    // Keep `util.promisify(setTimeout)` and friends working.
    for (const key of Reflect.ownKeys(original)) {
      if (!(key in wrapped)) Object.defineProperty(wrapped, key, Object.getOwnPropertyDescriptor(original, key)!);
    }
    g[name] = wrapped;
  }
}
