/**
 * §7.5 LeNet with batch normalization after every conv and dense layer (before the sigmoid):
 * `lenetBN` with the scratch `BatchNorm`, `lenetBNConcise` with tfjs' built-in layer.
 *
 * The built-in layer gets PyTorch's defaults: tfjs' momentum is the weight of the *old* moving value, so
 * PyTorch's momentum 0.1 is 0.9 here, and epsilon 1e-5 (tfjs defaults: 0.99, 1e-3). One difference remains:
 * PyTorch updates `running_var` with the unbiased batch variance (÷ N−1), tfjs with the biased one (÷ N).
 */
import * as tf from '@tensorflow/tfjs';
import { BatchNorm } from '../layers/batch-norm';
import { ModelOptions, resolveOptions } from './options';

// #region book:lenetBN
/** LeNet with the scratch `BatchNorm` (default input 28×28×1, 10 classes). */
function lenetBN(opts: ModelOptions = {}): tf.Sequential {
  const { inputShape, numClasses } = resolveOptions(opts, 28, 'lenetBN');
  return tf.sequential({ layers: [
    tf.layers.inputLayer({ inputShape }),
    tf.layers.conv2d({ filters: 6, kernelSize: 5 }), new BatchNorm(6, 4),
    tf.layers.activation({ activation: 'sigmoid' }),
    tf.layers.averagePooling2d({ poolSize: 2, strides: 2 }),
    tf.layers.conv2d({ filters: 16, kernelSize: 5 }), new BatchNorm(16, 4),
    tf.layers.activation({ activation: 'sigmoid' }),
    tf.layers.averagePooling2d({ poolSize: 2, strides: 2 }), tf.layers.flatten(),
    tf.layers.dense({ units: 120 }), new BatchNorm(120, 2), tf.layers.activation({ activation: 'sigmoid' }),
    tf.layers.dense({ units: 84 }), new BatchNorm(84, 2), tf.layers.activation({ activation: 'sigmoid' }),
    tf.layers.dense({ units: numClasses })] });
}
// #endregion book:lenetBN

// #region book:lenetBNConcise
/** The same LeNet with tfjs' `batchNormalization`, set to PyTorch's momentum and epsilon. */
function lenetBNConcise(opts: ModelOptions = {}): tf.Sequential {
  const { inputShape, numClasses } = resolveOptions(opts, 28, 'lenetBNConcise');
  const bn = () => tf.layers.batchNormalization({ momentum: 0.9, epsilon: 1e-5 });
  return tf.sequential({ layers: [
    tf.layers.inputLayer({ inputShape }),
    tf.layers.conv2d({ filters: 6, kernelSize: 5 }), bn(), tf.layers.activation({ activation: 'sigmoid' }),
    tf.layers.averagePooling2d({ poolSize: 2, strides: 2 }),
    tf.layers.conv2d({ filters: 16, kernelSize: 5 }), bn(), tf.layers.activation({ activation: 'sigmoid' }),
    tf.layers.averagePooling2d({ poolSize: 2, strides: 2 }), tf.layers.flatten(),
    tf.layers.dense({ units: 120 }), bn(), tf.layers.activation({ activation: 'sigmoid' }),
    tf.layers.dense({ units: 84 }), bn(), tf.layers.activation({ activation: 'sigmoid' }),
    tf.layers.dense({ units: numClasses })] });
}
// #endregion book:lenetBNConcise

export { lenetBN, lenetBNConcise };
