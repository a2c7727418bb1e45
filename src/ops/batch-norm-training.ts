/**
 * `batchNormTraining`: training-mode batch normalization as ONE kernel with ONE gradient kernel.
 *
 * Why: tfjs builds training-mode batch norm from `tf.moments` + `tf.batchNorm`, whose gradient is a chain of
 * ~25 full-size elementwise/reduction ops per layer. Every intermediate stays alive until the backward pass
 * ends, so on ResNet/DenseNet that chain was half of the step time and most of the peak memory. The fused
 * kernel keeps only `x` and the per-channel mean/variance for the backward pass, and reads `x` twice per pass.
 *
 * Kernels (registered per backend by ./batch-norm-kernels and the native backend):
 * - `D2lBatchNormTraining` inputs {x, gamma, beta}, attrs {epsilon} → [y, mean, variance] (biased variance).
 * - `D2lBatchNormTrainingGrad` inputs {dy, x, gamma, mean, variance}, attrs {epsilon} → [dx, dgamma, dbeta].
 * The channel axis is the innermost one; gamma and beta hold one value per channel.
 */
import * as tf from '@tensorflow/tfjs';

export const BATCH_NORM_TRAINING = 'D2lBatchNormTraining';
export const BATCH_NORM_TRAINING_GRAD = 'D2lBatchNormTrainingGrad';

export interface BatchNormTrainingAttrs { epsilon: number }

/** True when the active backend has the fused kernels (cpu, wasm, native; not webgl or tfjs-node). */
export function hasFusedBatchNorm(): boolean {
  const backend = tf.getBackend();
  return backend != null && tf.getKernel(BATCH_NORM_TRAINING, backend) != null &&
    tf.getKernel(BATCH_NORM_TRAINING_GRAD, backend) != null;
}

/**
 * Normalizes `x` per channel (innermost axis) with the batch statistics, then scales by `gamma` and shifts by
 * `beta` (each of shape [C]). Returns y and the batch mean and biased variance (shape [C]) for the moving
 * averages. Differentiable with respect to x, gamma and beta.
 */
export function batchNormTraining(x: tf.Tensor, gamma: tf.Tensor, beta: tf.Tensor, epsilon: number):
  { y: tf.Tensor; mean: tf.Tensor1D; variance: tf.Tensor1D } {
  const channels = x.shape[x.rank - 1];
  if (x.rank < 2 || gamma.size !== channels || beta.size !== channels) {
    throw new Error(`batchNormTraining: x must be [..., C] with gamma and beta of C values; got x [${x.shape}], ` +
      `gamma [${gamma.shape}], beta [${beta.shape}]`);
  }
  const g = gamma.rank === 1 ? gamma : gamma.reshape([channels]);
  const b = beta.rank === 1 ? beta : beta.reshape([channels]);
  const outs = tf.engine().runKernel(BATCH_NORM_TRAINING, { x, gamma: g, beta: b } as unknown as tf.NamedTensorMap,
    { epsilon } as unknown as tf.NamedAttrMap) as tf.Tensor[];
  if (g !== gamma) g.dispose();
  if (b !== beta) b.dispose();
  return { y: outs[0], mean: outs[1] as tf.Tensor1D, variance: outs[2] as tf.Tensor1D };
}

let gradientRegistered = false;

/** Registers the gradient of `D2lBatchNormTraining` (once; gradients are backend-independent in tfjs). */
export function registerBatchNormTrainingGradient(): void {
  if (gradientRegistered) return;
  tf.registerGradient({
    kernelName: BATCH_NORM_TRAINING,
    inputsToSave: ['x', 'gamma'],
    outputsToSave: [false, true, true],
    gradFunc: (dys: tf.Tensor | tf.Tensor[], saved: tf.Tensor[], attrs: tf.NamedAttrMap) => {
      const [dy, dMean, dVariance] = dys as tf.Tensor[];
      const [x, gamma, mean, variance] = saved;
      const { epsilon } = attrs as unknown as BatchNormTrainingAttrs;
      // Computed at once rather than per input: the three come out of the same two passes over dy and x.
      // (The tape calls this inside its backward tidy, which disposes whichever of them is not used.)
      const [dx, dgamma, dbeta] = tf.engine().runKernel(BATCH_NORM_TRAINING_GRAD,
        { dy, x, gamma, mean, variance } as unknown as tf.NamedTensorMap,
        { epsilon } as unknown as tf.NamedAttrMap) as tf.Tensor[];
      return {
        x: () => statisticsGradient(dx, x, mean, dMean, dVariance),
        gamma: () => dgamma,
        beta: () => dbeta,
      };
    },
  });
  gradientRegistered = true;
}

/**
 * Adds what flows back through the returned mean and variance (zero in Keras, where they only feed the moving
 * averages): ∂mean/∂x = 1/N, ∂var/∂x = 2(x − mean)/N.
 */
function statisticsGradient(dx: tf.Tensor, x: tf.Tensor, mean: tf.Tensor, dMean?: tf.Tensor,
                            dVariance?: tf.Tensor): tf.Tensor {
  const nonZero = (t?: tf.Tensor) => t != null && t.size > 0 && tf.any(t.notEqual(0)).dataSync()[0] === 1;
  if (!nonZero(dMean) && !nonZero(dVariance)) return dx;
  const rows = x.size / x.shape[x.rank - 1];
  const fromMean = dMean!.div(rows);
  const fromVariance = x.sub(mean).mul(dVariance!.mul(2 / rows));
  return dx.add(fromMean).add(fromVariance);
}
