/**
 * tfjs' "Hi, looks like you are running TensorFlow.js in Node.js" banner, kept off.
 *
 * Where it comes from: tfjs-backend-cpu's `MathBackendCPU.write` prints it (through `backend_util.warn`, i.e.
 * console.warn) the first time a backend instance stores a tensor, when tfjs' `IS_NODE` flag is on; the
 * instance's `firstUse` field, true after construction, guards it. Our native backend extends MathBackendCPU, so
 * it would print it too (it clears `firstUse` in its constructor: it *is* the fast Node backend the banner
 * advertises). The cpu backend is what tfjs picks by itself for a first op when nothing faster is registered, and
 * what `D2L_BACKEND=cpu` selects. d2l has already chosen the best backend that loads and `backendInfo()` says why
 * the others were skipped, so the banner only adds noise — and graders such as nbgrader score any cell that
 * writes to stderr as failed.
 *
 * How: the cpu backend's registered factory is wrapped so every instance it makes starts with `firstUse` cleared
 * (tfjs constructs a new instance whenever it initializes 'cpu', e.g. for a first op, so clearing the flag on one
 * instance is not enough). tfjs' flags that also silence `backend_util.warn` (`IS_TEST`, `PROD`) would silence
 * every other tfjs warning too (and `PROD` drops its checks), so they are left alone.
 */
import * as tf from '@tensorflow/tfjs';

interface FactoryEntry { factory: (() => unknown) & { [QUIET]?: true }; priority: number }
interface EngineRegistries {
  registry: Record<string, unknown>;
  registryFactory: Record<string, FactoryEntry>;
}

const QUIET = Symbol.for('d2l.quietNodeBanner');

function quiet(backend: unknown): void {
  const b = backend as { firstUse?: boolean } | null;
  if (b && typeof b === 'object' && b.firstUse === true) b.firstUse = false;
}

/** Makes every cpu backend instance, present and future, skip the banner (idempotent). */
export function quietNodeBanner(): void {
  const engine = tf.engine() as unknown as EngineRegistries;
  const entry = engine.registryFactory['cpu'];
  if (!entry || entry.factory[QUIET]) return; // cpu not registered: nothing prints the banner
  const original = entry.factory;
  const factory: FactoryEntry['factory'] = () => {
    const backend = original();
    quiet(backend);
    return backend;
  };
  factory[QUIET] = true;
  entry.factory = factory;
  quiet(engine.registry['cpu']); // an instance made before d2l was imported
}

/** Whether the cpu backend's factory makes quiet instances. */
export function nodeBannerQuiet(): boolean {
  return (tf.engine() as unknown as EngineRegistries).registryFactory['cpu']?.factory[QUIET] === true;
}
