/**
 * Routes training-mode `tf.layers.batchNormalization` through the fused kernel (./batch-norm-training.ts).
 *
 * Every model in this chapter (the concise LeNet-BN, ResNet's `Residual`, DenseNet, …) uses tfjs' own
 * BatchNormalization layer, and students write `tf.layers.batchNormalization()` themselves, so the speed-up has
 * to live under that layer rather than in a d2l-only class. The layer's `call` is wrapped: in training mode, with
 * the channel axis last, scale and center on and a backend that has the fused kernels, it computes the same
 * values (batch statistics, biased variance, the same moving-average update) with one kernel; in every other case
 * (inference, another axis, tfjs-node, webgl) it runs tfjs' original code unchanged.
 */
import * as tf from '@tensorflow/tfjs';
import { batchNormTraining, hasFusedBatchNorm, registerBatchNormTrainingGradient } from './batch-norm-training';
import { registerBatchNormJsKernels } from './batch-norm-kernels';

/** The fields of tfjs-layers' BatchNormalization the fused path reads (they are not in its public typings). */
interface KerasBatchNorm {
  axis: number;
  momentum: number;
  epsilon: number;
  center: boolean;
  scale: boolean;
  gamma: tf.LayerVariable;
  beta: tf.LayerVariable;
  movingMean: tf.LayerVariable;
  movingVariance: tf.LayerVariable;
}

type Call = (this: KerasBatchNorm, inputs: tf.Tensor | tf.Tensor[], kwargs: Record<string, unknown>) => tf.Tensor;

/** Marks d2l's wrapper (on the function, so the only change to tfjs' prototype is its `call`). */
const PATCHED = Symbol.for('d2l.fusedBatchNorm');

let enabled = true;

/**
 * Turns the installed fused path on or off at run time (default on). Off means tfjs' own batch-norm code
 * everywhere: for A/B benchmarks and for tests that compare the two. (`D2L_FUSED_BATCH_NORM=0` at import keeps
 * the wrapper out altogether: src/ops/patches.ts.)
 */
export function useFusedBatchNorm(on: boolean): void {
  enabled = on;
}

/** Whether the fused path is switched on (see `useFusedBatchNorm`). */
export function fusedBatchNormEnabled(): boolean {
  return enabled;
}

/** Whether the fused path applies to this layer call. */
function usesFusedPath(layer: KerasBatchNorm, input: tf.Tensor, training: boolean): boolean {
  if (!enabled || !training || !layer.center || !layer.scale || input.dtype !== 'float32' || input.rank < 2) return false;
  const axis = layer.axis >= 0 ? layer.axis : layer.axis + input.rank;
  return axis === input.rank - 1 && hasFusedBatchNorm();
}

function fusedCall(layer: KerasBatchNorm, input: tf.Tensor): tf.Tensor {
  return tf.tidy(() => {
    const { y, mean, variance } = batchNormTraining(input, layer.gamma.read(), layer.beta.read(), layer.epsilon);
    // tfjs' update, written the same way: moving ← moving − (moving − batch) · (1 − momentum).
    const decay = 1 - layer.momentum;
    for (const [variable, batchValue] of [[layer.movingMean, mean], [layer.movingVariance, variance]] as const) {
      const old = variable.read();
      variable.write(old.sub(old.sub(batchValue).mul(decay)));
    }
    return y;
  });
}

type Patched = Call & { [PATCHED]?: true };

/** The BatchNormalization class of the loaded tfjs-layers (found through an instance: it is not exported). */
export function batchNormalizationPrototype(): { call: Patched } {
  return Object.getPrototypeOf(tf.layers.batchNormalization({})) as { call: Patched };
}

/** Whether tfjs' BatchNormalization runs d2l's wrapper. */
export function fusedBatchNormInstalled(): boolean {
  return batchNormalizationPrototype().call[PATCHED] === true;
}

/**
 * Installs the fused kernels for cpu/wasm, the gradient, and the BatchNormalization wrapper. Idempotent; d2l
 * installs it at import from its patch table (src/ops/patches.ts).
 */
export function installFusedBatchNorm(): void {
  registerBatchNormJsKernels();
  registerBatchNormTrainingGradient();
  const proto = batchNormalizationPrototype();
  if (proto.call[PATCHED]) return;
  const original = proto.call;
  const wrapper: Patched = function (this: KerasBatchNorm, inputs, kwargs) {
    const input = Array.isArray(inputs) ? inputs[0] : inputs;
    const training = Boolean(kwargs?.['training']); // tfjs' own test: any truthy value
    if (input instanceof tf.Tensor && usesFusedPath(this, input, training)) return fusedCall(this, input);
    return original.call(this, inputs, kwargs);
  };
  wrapper[PATCHED] = true;
  proto.call = wrapper;
}
