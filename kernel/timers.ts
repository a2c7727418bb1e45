/**
 * Timers that belong to cells: `setTimeout`, `setInterval` and `setImmediate` as notebooks see them.
 * - Each one remembers the cell that scheduled it; its callback's output goes to that cell (cells.ts).
 * - Interrupting a cell cancels every timer it still has pending, so an async loop that waits on timers stops
 *   and nothing it scheduled fires later.
 * - The callback runs under V8's SIGINT watchdog (vm's `breakOnSigint`), like a cell's synchronous code, so
 *   `setTimeout(() => { while (true) {} })` stops on interrupt too; while it runs, shared memory says so, because
 *   terminating JavaScript inside a timer callback would corrupt Node's async-context stack (see io/thread.ts).
 * Kernel internals use `realTimers`, which are never cancelled with a cell.
 */
import * as vm from 'vm';
import { currentCell, withCell, type CellContext } from './cells';
import { Slot } from './io/shared';

export const realTimers = {
  setTimeout: globalThis.setTimeout,
  setInterval: globalThis.setInterval,
  setImmediate: globalThis.setImmediate,
  clearTimeout: globalThis.clearTimeout,
  clearInterval: globalThis.clearInterval,
  clearImmediate: globalThis.clearImmediate,
};

const CALLBACK = Symbol.for('d2l.kernel.timerCallback');
const OWNER = Symbol('d2l.kernel.timerOwner');
// A tiny script so the callback runs inside vm's SIGINT watchdog; compiled once.
const underWatchdog = new vm.Script(`globalThis[Symbol.for('d2l.kernel.timerCallback')]()`, { filename: 'timer callback' });

function runGuarded(shared: Int32Array, owner: CellContext | undefined, fn: () => unknown): unknown {
  const g = globalThis as any;
  Atomics.add(shared, Slot.Shielded, 1);
  const previous = g[CALLBACK];
  g[CALLBACK] = fn;
  try {
    return withCell(owner, () => underWatchdog.runInThisContext({ breakOnSigint: true }));
  } catch (e) {
    if ((e as NodeJS.ErrnoException)?.code === 'ERR_SCRIPT_EXECUTION_INTERRUPTED') return undefined; // the interrupt
    throw e;
  } finally {
    g[CALLBACK] = previous;
    Atomics.sub(shared, Slot.Shielded, 1);
  }
}

type Handle = { [OWNER]?: { owner: CellContext; entry: { cancel(): void } } };

function track(owner: CellContext | undefined, handle: Handle, clear: (h: any) => void): void {
  if (!owner) return;
  const entry = { cancel: () => clear(handle) };
  handle[OWNER] = { owner, entry };
  owner.timers.add(entry);
}

function untrack(handle: unknown): void {
  const h = handle as Handle | null;
  const t = h && typeof h === 'object' ? h[OWNER] : undefined;
  if (t) t.owner.timers.delete(t.entry);
}

/** Replaces the global timer functions (once per process). */
export function installCellTimers(shared: Int32Array): void {
  const g = globalThis as any;
  const wrap = (name: 'setTimeout' | 'setInterval' | 'setImmediate', clear: (h: any) => void) => {
    const original = realTimers[name] as (...a: any[]) => any;
    const repeating = name === 'setInterval';
    const wrapped = function (this: unknown, callback: unknown, ...args: unknown[]) {
      if (typeof callback !== 'function') return original.call(this, callback, ...args);
      const owner = currentCell();
      let handle: Handle;
      const fire = function (this: unknown, ...cbArgs: unknown[]) {
        if (!repeating) untrack(handle);
        if (owner?.interrupted) return undefined; // cancelled, but already queued by libuv
        return runGuarded(shared, owner, () => (callback as (...a: unknown[]) => unknown).apply(this, cbArgs));
      };
      handle = original.call(this, fire, ...args);
      track(owner, handle, clear);
      return handle;
    };
    // Keep `util.promisify(setTimeout)` and friends working.
    for (const key of Reflect.ownKeys(original)) {
      if (!(key in wrapped)) Object.defineProperty(wrapped, key, Object.getOwnPropertyDescriptor(original, key)!);
    }
    g[name] = wrapped;
  };
  wrap('setTimeout', realTimers.clearTimeout);
  wrap('setInterval', realTimers.clearInterval);
  wrap('setImmediate', realTimers.clearImmediate);
  for (const [name, real] of [['clearTimeout', realTimers.clearTimeout], ['clearInterval', realTimers.clearInterval],
    ['clearImmediate', realTimers.clearImmediate]] as const) {
    g[name] = (handle: unknown) => {
      untrack(handle);
      return (real as (h: unknown) => void)(handle);
    };
  }
}

/** Cancels every timer `cell` still has pending. */
export function cancelCellTimers(cell: CellContext): number {
  const pending = [...cell.timers];
  cell.timers.clear();
  for (const t of pending) t.cancel();
  return pending.length;
}
