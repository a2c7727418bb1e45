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
import { setting } from '../settings';

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

const PATCHED = Symbol.for('d2l.fusedBatchNorm');

let enabled = setting('D2L_FUSED_BATCH_NORM');

/**
 * Turns the fused path on or off (default on; env `D2L_FUSED_BATCH_NORM=0` starts with it off). Off means tfjs'
 * own batch-norm code everywhere: for A/B benchmarks and for tests that compare the two.
 */
export function useFusedBatchNorm(on: boolean): void {
  enabled = on;
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

/** The BatchNormalization class of the loaded tfjs-layers (found through an instance: it is not exported). */
function batchNormalizationPrototype(): { call: Call; [PATCHED]?: boolean } {
  return Object.getPrototypeOf(tf.layers.batchNormalization({})) as { call: Call; [PATCHED]?: boolean };
}

/**
 * Installs the fused kernels for cpu/wasm, the gradient, and the BatchNormalization wrapper. Idempotent; d2l
 * calls it when it picks a backend, so `import * as d2l from 'd2l'` is enough.
 */
export function installFusedBatchNorm(): void {
  registerBatchNormJsKernels();
  registerBatchNormTrainingGradient();
  const proto = batchNormalizationPrototype();
  if (proto[PATCHED]) return;
  const original = proto.call;
  proto.call = function (this: KerasBatchNorm, inputs, kwargs) {
    const input = Array.isArray(inputs) ? inputs[0] : inputs;
    const training = Boolean(kwargs?.['training']); // tfjs' own test: any truthy value
    if (input instanceof tf.Tensor && usesFusedPath(this, input, training)) return fusedCall(this, input);
    return original.call(this, inputs, kwargs);
  };
  proto[PATCHED] = true;
}
