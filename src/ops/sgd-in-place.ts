/**
 * Plain SGD that updates each weight in its own buffer (replaces `SGDOptimizer.prototype.applyGradients`).
 *
 * Why: tfjs' SGD computes `w + (−lr)·g` as two kernels (Multiply, Add) into two fresh weight-sized buffers and
 * swaps the variable onto the result. For GoogLeNet that is ~48 MB of new ArrayBuffers per step, on top of the
 * step's own; V8 answers ArrayBuffer allocation with "external memory pressure" scavenges, the promoted tensors
 * then start a full mark of the heap, and measured on 2 cores (Zen 3) a third of a GoogLeNet@32 step in a
 * notebook kernel (whose heap holds the TypeScript compiler) went to garbage collection. Updating in place
 * allocates nothing, and `tf.train.sgd` is what `trainCh6`, `model.fit` and `trainOnBatch` all use.
 *
 * Same result as tfjs: w ← w − lr·g in float32, one variable after the other, `iterations` counted. In place only
 * where nothing else can see the weight's buffer — the native backend (whose buffer pool knows which buffers
 * `dataSync` handed out, or that other tensors share: `clone()` shares storage in tfjs) and float32 tensors of
 * the same shape; every other case runs tfjs' own code.
 */
import * as tf from '@tensorflow/tfjs';
import { isPinned } from '../backend/native/buffer-pool';
import { NATIVE_BACKEND_NAME } from '../backend/native/backend';

interface StorageEntry { values: unknown; dtype: string; refCount: number }
interface BackendWithData { data: { get(id: object): StorageEntry | undefined } }
type ApplyGradients = tf.SGDOptimizer['applyGradients'];
/** tfjs-core's NamedTensor (not re-exported by the tfjs bundle). */
interface NamedTensor { name: string; tensor: tf.Tensor }

let original: ApplyGradients | null = null;

/** The storage behind `t` when it is a whole float32 buffer nothing else can see, else null. */
function ownStorage(data: BackendWithData['data'], t: tf.Tensor): Float32Array | null {
  const entry = data.get(t.dataId);
  if (!entry || entry.refCount !== 1 || !(entry.values instanceof Float32Array) || isPinned(entry.values)) return null;
  return entry.values;
}

function applyInPlace(this: tf.SGDOptimizer, variableGradients: tf.NamedTensorMap | NamedTensor[]): void {
  const engine = tf.engine();
  if (engine.backendName !== NATIVE_BACKEND_NAME) {
    original!.call(this, variableGradients);
    return;
  }
  const data = (engine.backend as unknown as BackendWithData).data;
  const list = Array.isArray(variableGradients) ? variableGradients
    : Object.keys(variableGradients).map((name) => ({ name, tensor: variableGradients[name] }));
  // tfjs multiplies by the float32 scalar −lr, rounds, adds, rounds: the same two roundings here
  const c = Math.fround(-(this as unknown as { learningRate: number }).learningRate);
  const rest: NamedTensor[] = [];
  for (const { name, tensor: g } of list) {
    if (g == null) continue;
    const v = engine.registeredVariables[name];
    const same = v && v.dtype === 'float32' && g.dtype === 'float32' && v.size === g.size;
    const w = same ? ownStorage(data, v) : null;
    // the gradient is read as storage, not with dataSync: that would pin it out of the buffer pool
    const grad = data.get(g.dataId)?.values;
    if (!w || !(grad instanceof Float32Array)) {
      rest.push({ name, tensor: g });
      continue;
    }
    for (let i = 0; i < w.length; i++) w[i] += Math.fround(c * grad[i]);
  }
  // tfjs' own update for the rest; it also counts the iteration (once, even when `rest` is empty)
  original!.call(this, rest);
}

/** Installs the in-place update (idempotent). */
export function installSgdInPlace(): void {
  if (original) return;
  original = tf.SGDOptimizer.prototype.applyGradients;
  tf.SGDOptimizer.prototype.applyGradients = applyInPlace;
}

/** Puts tfjs' own `applyGradients` back (for tests). */
export function uninstallSgdInPlace(): void {
  if (!original) return;
  tf.SGDOptimizer.prototype.applyGradients = original;
  original = null;
}

export function sgdInPlaceInstalled(): boolean {
  return tf.SGDOptimizer.prototype.applyGradients === applyInPlace;
}
