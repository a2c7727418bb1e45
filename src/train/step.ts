/**
 * One SGD training step of `trainCh6`: forward in training mode, mean softmax cross-entropy, backward, update —
 * split into micro-batches with gradient accumulation when the step would not fit in memory.
 *
 * Why micro-batches: the wasm backend's heap is capped at 4 GiB and a step that overflows it dies with "memory
 * access out of bounds" (ResNet-18 at 96×96 needs ~48 MB per image, so the book's batch 256 cannot fit). The
 * first batch is sized once: two probe steps on 2 and 4 examples, measured with `tf.profile` (peak tensor bytes),
 * give a fixed and a per-example cost; if the full batch would exceed 75% of the heap it is cut into K equal
 * micro-batches whose gradients are summed, each weighted by its share of the batch. That is exactly the
 * full-batch gradient of the mean loss for nets without batch norm; with batch norm the batch statistics (and
 * the moving averages) are per micro-batch.
 */
import * as tf from '@tensorflow/tfjs';
import { heapInfo } from '../backend';
import { setting } from '../settings';

export interface TrainStepOptions {
  /**
   * Most bytes one step may add to what is already allocated. Default: 75% of the wasm heap limit minus the
   * bytes in use (no limit on other backends). Also read from env `D2L_MAX_STEP_BYTES`.
   */
  maxStepBytes?: number;
  /** Where the one-time micro-batching notice goes (default `console.log`). */
  log?: (message: string) => void;
}

/** Sums over one batch, for the book's `metric.add(l * X.shape[0], accuracy(y_hat, y), X.shape[0])`. */
export interface StepMetrics {
  lossSum: number;
  correct: number;
  n: number;
}

/** Measured memory cost of a training step: `fixedBytes + batch * perExampleBytes`. */
export interface StepBytes {
  fixedBytes: number;
  perExampleBytes: number;
}

/** Mean softmax cross-entropy of logits [B, C] against integer labels [B]. */
export function softmaxCrossEntropy(logits: tf.Tensor, y: tf.Tensor): tf.Scalar {
  return tf.tidy(() => {
    const labels = tf.oneHot(y.cast('int32').reshape([-1]), logits.shape[logits.rank - 1]!);
    return tf.losses.softmaxCrossEntropy(labels, logits) as tf.Scalar;
  });
}

/** Number of correct predictions (argmax of logits equals label) as a scalar tensor. */
function correctCount(logits: tf.Tensor, y: tf.Tensor): tf.Scalar {
  return tf.tidy(() => tf.equal(logits.argMax(-1).cast('int32'), y.cast('int32').reshape([-1])).cast('float32').sum());
}

/** Bytes for people: one decimal at most, so the wasm heap (4 GiB minus one page) reads '4 GiB'. */
export function formatBytes(bytes: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) { value /= 1024; unit++; }
  const rounded = Math.round(value * 10) / 10;
  return `${Number.isInteger(rounded) ? rounded : rounded.toFixed(1)} ${units[unit]}`;
}

/**
 * Forward + backward on one (micro-)batch; the caller owns and disposes everything returned. Inside a scope, so
 * that if backprop throws (an interrupt, a shape error) the loss, which tfjs returns into no scope, goes too.
 */
function lossAndGrads(net: tf.LayersModel, X: tf.Tensor, y: tf.Tensor) {
  const vars = net.trainableWeights.map((w) => w.read() as tf.Variable);
  let correct: tf.Scalar | undefined;
  try {
    return tf.tidy(() => {
      const { value, grads } = tf.variableGrads(() => {
        // training: true so Keras dropout and the scratch BatchNorm (which read the `training` kwarg) train
        const logits = net.apply(X, { training: true }) as tf.Tensor;
        correct = tf.keep(correctCount(logits, y)); // kept: it must outlive the forward pass's scope
        return softmaxCrossEntropy(logits, y);
      }, vars);
      return { loss: value, grads, correct: correct! };
    });
  } catch (e) {
    correct?.dispose();
    throw e;
  }
}

/**
 * Peak tensor bytes of a training step on 2 and on 4 examples of `X` (without updating anything: batch-norm
 * moving statistics are restored), turned into a fixed and a per-example cost.
 */
export async function measureStepBytes(net: tf.LayersModel, X: tf.Tensor, y: tf.Tensor): Promise<StepBytes> {
  const saved = net.nonTrainableWeights.map((w) => w.read().clone());
  const base = tf.memory().numBytes;
  const peakFor = async (k: number): Promise<number> => {
    const info = await tf.profile(() => {
      const [Xk, yk] = [X.slice(0, k), y.slice(0, k)];
      const r = lossAndGrads(net, Xk, yk);
      tf.dispose([Xk, yk, r.loss, r.correct, Object.values(r.grads)]);
    });
    return Math.max(0, info.peakBytes - base);
  };
  try {
    const p2 = await peakFor(2);
    const p4 = await peakFor(4);
    const perExampleBytes = p4 > p2 ? (p4 - p2) / 2 : p2 / 2;
    return { fixedBytes: Math.max(0, p2 - 2 * perExampleBytes), perExampleBytes };
  } finally {
    net.nonTrainableWeights.forEach((w, i) => w.write(saved[i]));
    tf.dispose(saved);
  }
}

/** Safety factor on measured bytes: the wasm kernels also use scratch memory that tensors do not show. */
const SAFETY = 1.25;

/** The SGD step used by `trainCh6`. Create one per training run. */
export class TrainStep {
  /** Examples per micro-batch; `Infinity` = never split; `undefined` = not sized yet. */
  microBatchSize: number | undefined;
  private readonly log: (message: string) => void;

  constructor(private readonly net: tf.LayersModel, private readonly optimizer: tf.Optimizer,
    private readonly lr: number, private readonly opts: TrainStepOptions = {}) {
    this.log = opts.log ?? ((m) => console.log(m));
  }

  /** The memory budget for one step and how to describe it, or null when nothing limits memory. */
  private budget(): { bytes: number; label: string } | null {
    const fixed = this.opts.maxStepBytes ?? setting('D2L_MAX_STEP_BYTES') ?? undefined;
    if (fixed !== undefined) return { bytes: fixed, label: `the step memory limit of ${formatBytes(fixed)}` };
    const { limitBytes } = heapInfo();
    if (limitBytes == null) return null;
    return { bytes: 0.75 * limitBytes - tf.memory().numBytes, label: `the ${formatBytes(limitBytes)} wasm heap` };
  }

  /** Sizes micro-batches from the first batch (probes only when memory is limited). Call before timing. */
  async prepare(X: tf.Tensor, y: tf.Tensor): Promise<void> {
    if (this.microBatchSize !== undefined) return;
    const batch = X.shape[0];
    const budget = this.budget();
    if (budget === null || batch <= 4) {
      this.microBatchSize = Infinity;
      return;
    }
    const cost = await measureStepBytes(this.net, X, y);
    const perExample = cost.perExampleBytes * SAFETY;
    const fits = Math.floor((budget.bytes - cost.fixedBytes * SAFETY) / Math.max(perExample, 1));
    if (fits >= batch) {
      this.microBatchSize = Infinity;
      return;
    }
    if (fits < 1) {
      throw new Error(`one training example needs about ${formatBytes(perExample)}, more than ${budget.label} `
        + 'allows: use a smaller image size (resize) or a smaller model');
    }
    const parts = Math.ceil(batch / fits);
    this.microBatchSize = Math.ceil(batch / parts);
    this.log(`batch ${batch} split into ${parts} micro-batches of ${this.microBatchSize} to fit ${budget.label}`);
  }

  /**
   * One step on (X, y): returns the batch's summed loss, correct count and size, measured before the update.
   * A NaN/Inf loss throws before the weights are touched. `where` names the step in that error.
   */
  async run(X: tf.Tensor, y: tf.Tensor, where = ''): Promise<StepMetrics> {
    if (this.microBatchSize === undefined) await this.prepare(X, y);
    const batch = X.shape[0];
    const size = Math.min(batch, this.microBatchSize!);
    let total: tf.NamedTensorMap | undefined;
    let lossSum = 0;
    let correct = 0;
    try {
      for (let start = 0; start < batch; start += size) {
        const m = Math.min(size, batch - start);
        const [Xm, ym] = m === batch ? [X, y] : [X.slice(start, m), y.slice(start, m)];
        const r = lossAndGrads(this.net, Xm, ym);
        if (m !== batch) tf.dispose([Xm, ym]);
        const [loss, count] = await Promise.all([r.loss.data(), r.correct.data()]);
        tf.dispose([r.loss, r.correct]);
        if (!Number.isFinite(loss[0])) {
          tf.dispose(Object.values(r.grads));
          throw new Error(`loss is ${loss[0]}${where ? ` at ${where}` : ''}: training diverged. `
            + `Try a smaller learning rate than lr=${this.lr}.`);
        }
        lossSum += loss[0] * m;
        correct += count[0];
        if (m === batch) {
          total = r.grads;
        } else {
          // the batch's mean-loss gradient = Σ (m / batch) × micro-batch mean-loss gradient
          const weight = m / batch;
          const prev: tf.NamedTensorMap = total ?? {};
          total = tf.tidy(() => {
            const next: tf.NamedTensorMap = {};
            for (const [name, g] of Object.entries(r.grads)) {
              const scaled = g.mul(weight);
              next[name] = prev[name] ? prev[name].add(scaled) : scaled;
            }
            return next;
          });
          tf.dispose([Object.values(r.grads), Object.values(prev)]);
        }
      }
      this.optimizer.applyGradients(total!);
    } finally {
      if (total) tf.dispose(Object.values(total));
    }
    return { lossSum, correct, n: batch };
  }
}
