/**
 * The main thread's part of interrupting a cell (the I/O thread's part is in io/thread.ts):
 * - `KeyboardInterrupt`, the error an interrupted cell ends with (Jupyter's name for it, as in ipykernel);
 * - a check at every tfjs op boundary: while an interrupt is pending for the running cell, the next op throws
 *   KeyboardInterrupt. That stops `trainCh6`, `model.fit` and a student's own `for … await` loop between two
 *   ops, unwinding through their `finally` blocks and `tf.tidy` scopes, so the step's tensors are released;
 * - `TfjsMark`: the tfjs engine's scope and tape depth at a cell's start, restored if the cell was stopped by
 *   force (SIGINT in synchronous code or terminateExecution), which skips `finally` blocks: every tensor
 *   tracked by a scope left open is disposed then, as tf.tidy would have done.
 */
import { Slot } from './io/shared';

export class KeyboardInterrupt extends Error {
  override name = 'KeyboardInterrupt';
  constructor(message = 'the kernel was interrupted') {
    super(message);
  }
}

/** The fields of tfjs-core's Engine this file relies on (tfjs 4.x; checked when the engine is found). */
interface TfEngine {
  runKernelFunc(params: unknown): unknown;
  keep<T>(t: T): T;
  endScope(result?: unknown): void;
  state: {
    scopeStack: unknown[];
    gradientDepth: number;
    kernelDepth: number;
    activeTape: Array<{ saved?: Array<{ isDisposed: boolean; dispose(): void }> }> | null;
  };
  [HOOKED]?: true;
}
const HOOKED = Symbol.for('d2l.kernel.opBoundaryCheck');

/** tfjs keeps one engine per process on the global object (tfjs-core's getGlobalNamespace()._tfengine). */
function tfEngine(): TfEngine | undefined {
  const e = (globalThis as any)._tfengine as TfEngine | undefined;
  return e && typeof e.runKernelFunc === 'function' && e.state && Array.isArray(e.state.scopeStack) ? e : undefined;
}

/** A tfjs-layers model while `fit`/`fitDataset` runs: setting `stopTraining` ends it after the current batch. */
interface Fitting { stopTraining: boolean }

/**
 * How long a loop that stops at its step boundaries (trainCh6, fit) may take to reach one before the next op
 * throws anyway (a very long step: the interrupt must still answer within ~2 s).
 */
export const STEP_BOUNDARY_WAIT_MS = 1500;

/**
 * The op-boundary check: installed on the tfjs engine once tfjs is loaded (call `hook()` again after modules
 * load; it installs once). While an interrupt is pending for the running cell:
 * - a training loop that stops cleanly between steps — `trainCh6` (through d2l's stop registry, src/train/stop.ts,
 *   which this class implements) and tfjs' `fit` (its `stopTraining`) — is asked to, and ops keep running for
 *   up to STEP_BOUNDARY_WAIT_MS so the step can finish; the model is then as its last complete step left it;
 * - otherwise the next op throws KeyboardInterrupt. A kernel call that throws disposes the tensors it had saved
 *   for backprop before it could put them on the tape (tfjs would leak them).
 * Op depth goes to shared memory (Slot.InOp): the I/O thread never stops JavaScript inside tfjs.
 */
export class OpBoundaryChecks {
  private readonly fitting = new Set<Fitting>();
  private loops = 0;
  private layersHooked = false;
  /** Tensors kept (saved for backprop) inside the kernel calls now running, outermost call first. */
  private readonly keptInCalls: Array<{ isDisposed: boolean; dispose(): void }> = [];
  /** When the pending interrupt was first seen by an op (0: none pending). */
  private pendingSince = 0;

  /**
   * `layersMain`: the file of d2l's tfjs-layers (its LayersModel is looked up once that file is loaded).
   * `stepBoundaryWaitMs`: how long a cooperative loop may take to reach its step boundary (tests that check the
   * cooperative stop itself, not the deadline, give it room so that a GC pause on a loaded machine cannot decide).
   */
  constructor(private readonly shared: Int32Array, private readonly layersMain: string | undefined,
    private readonly stepBoundaryWaitMs = STEP_BOUNDARY_WAIT_MS) {
    (globalThis as any)[Symbol.for('d2l.stopRequests')] = {
      enter: () => {
        this.loops++;
        return () => { this.loops--; };
      },
      requested: () => this.stopPending(),
    };
  }

  hook(): void {
    const engine = tfEngine();
    if (engine && !engine[HOOKED]) this.hookEngine(engine);
    if (!this.layersHooked && this.layersMain && require.cache[this.layersMain]) this.hookFit(require.cache[this.layersMain]!.exports);
  }

  /** Called when a cell ends: the next interrupt starts its own wait. */
  reset(): void {
    this.pendingSince = 0;
    this.keptInCalls.length = 0;
  }

  private stopPending(): boolean {
    const target = Atomics.load(this.shared, Slot.Interrupt);
    return target !== 0 && target === Atomics.load(this.shared, Slot.Running);
  }

  /** At an op boundary: nothing, ask loops to stop at their next step boundary, or throw. */
  private check(): void {
    if (!this.stopPending()) return;
    const now = Date.now();
    if (this.pendingSince === 0) this.pendingSince = now;
    const cooperative = this.loops > 0 || this.fitting.size > 0;
    for (const model of this.fitting) model.stopTraining = true;
    if (!cooperative || now - this.pendingSince > this.stepBoundaryWaitMs) throw new KeyboardInterrupt();
  }

  private hookEngine(engine: TfEngine): void {
    const { shared, keptInCalls } = this;
    const self = this;
    const originalKeep = engine.keep;
    engine.keep = function <T>(this: TfEngine, t: T): T {
      if (Atomics.load(shared, Slot.InOp) > 0) keptInCalls.push(t as any);
      return originalKeep.call(this, t) as T;
    };
    const original = engine.runKernelFunc;
    engine.runKernelFunc = function (this: TfEngine, params: unknown) {
      self.check();
      const mark = keptInCalls.length;
      Atomics.add(shared, Slot.InOp, 1);
      try {
        return original.call(this, params);
      } catch (e) {
        // What this call kept and did not hand to the gradient tape belongs to nobody now.
        const onTape = new Set<unknown>();
        for (const node of this.state.activeTape ?? []) for (const t of node.saved ?? []) onTape.add(t);
        for (const t of keptInCalls.splice(mark)) if (!t.isDisposed && !onTape.has(t)) t.dispose();
        throw e;
      } finally {
        if (Atomics.sub(shared, Slot.InOp, 1) === 1) keptInCalls.length = 0; // outermost call done: all on the tape
      }
    };
    engine[HOOKED] = true;
  }

  private hookFit(layers: { LayersModel?: { prototype: Record<string, any> } }): void {
    const proto = layers.LayersModel?.prototype;
    if (!proto) return;
    this.layersHooked = true;
    const fitting = this.fitting;
    for (const name of ['fit', 'fitDataset']) {
      const original = proto[name];
      if (typeof original !== 'function') continue;
      proto[name] = async function (this: Fitting, ...args: unknown[]) {
        fitting.add(this);
        try {
          return await original.apply(this, args);
        } finally {
          fitting.delete(this);
        }
      };
    }
  }
}

/** The tfjs engine's nesting at a cell's start. */
export interface TfjsMark {
  scopes: number;
  gradientDepth: number;
  kernelDepth: number;
}

export function markTfjs(): TfjsMark | undefined {
  const e = tfEngine();
  return e ? { scopes: e.state.scopeStack.length, gradientDepth: e.state.gradientDepth, kernelDepth: e.state.kernelDepth } : undefined;
}

/**
 * Closes what an interrupted cell left open in tfjs: scopes above `mark` (disposing the tensors they track), the
 * kernel depth, and the gradient tape it was inside. An exception during backprop (the interrupt's, or any)
 * leaves the tape's "saved for backward" tensors, which tfjs keeps outside every scope, alive forever: they are
 * disposed here once no gradient computation is running. Returns how many scopes were closed.
 */
export function restoreTfjs(mark: TfjsMark | undefined, shared: Int32Array): number {
  // A stop inside an op or shielded code skipped the decrement; none runs now.
  Atomics.store(shared, Slot.InOp, 0);
  Atomics.store(shared, Slot.Shielded, 0);
  const e = tfEngine();
  if (!e) return 0;
  const m = mark ?? { scopes: 0, gradientDepth: 0, kernelDepth: 0 };
  let closed = 0;
  while (e.state.scopeStack.length > m.scopes) {
    e.endScope();
    closed++;
  }
  e.state.kernelDepth = m.kernelDepth;
  if (e.state.gradientDepth > m.gradientDepth) e.state.gradientDepth = m.gradientDepth;
  if (e.state.gradientDepth === 0 && e.state.activeTape) {
    for (const node of e.state.activeTape) for (const t of node.saved ?? []) if (!t.isDisposed) t.dispose();
    e.state.activeTape = null;
  }
  return closed;
}
