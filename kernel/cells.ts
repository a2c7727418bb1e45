/**
 * Which cell output belongs to. Output goes to the cell that is running; work a cell left behind (a timer
 * callback) writes to the cell that scheduled it; anything else (a promise settling after its cell ended) goes to
 * the running cell, else the last one — as ipykernel does.
 *
 * Why not AsyncLocalStorage, which would follow promises too: it turns on V8's promise hooks, and with those
 * active, stopping a cell that spins on promises (Runtime.terminateExecution, see io/thread.ts) aborts Node with
 * "InternalCallbackScope::Close ... execution_async_id() == 0". A kernel that can always be interrupted is worth
 * more than exact attribution of output from promises that outlive their cell.
 */
import type { Message } from '../src/jupyter/wire';

export interface CellContext {
  readonly parent: Message;
  /** The execution id shared with the I/O thread (Slot.Running). */
  readonly executionId: number;
  /** An interrupt was asked for: the cell's next tfjs op throws (it may still end by itself, cleanly). */
  stopRequested: boolean;
  /** The cell was stopped: its timers are cancelled and callbacks already queued are dropped. */
  interrupted: boolean;
  /** Timers and immediates the cell scheduled that have not fired or been cleared (cancelled on interrupt). */
  readonly timers: Set<{ cancel(): void }>;
}

let running: CellContext | undefined;
let latest: CellContext | undefined;
let attributed: CellContext | undefined;

/** Marks `ctx` as the running cell (undefined: none runs now). */
export function setRunningCell(ctx: CellContext | undefined): void {
  running = ctx;
  if (ctx) latest = ctx;
}

export function runningCell(): CellContext | undefined {
  return running;
}

/** The cell that should receive output produced now. */
export function currentCell(): CellContext | undefined {
  return attributed ?? running ?? latest;
}

/** Runs `fn` (a timer callback) with its output attributed to `owner`. */
export function withCell<T>(owner: CellContext | undefined, fn: () => T): T {
  const previous = attributed;
  attributed = owner;
  try {
    return fn();
  } finally {
    attributed = previous;
  }
}
