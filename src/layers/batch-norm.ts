/**
 * §7.5 Batch normalization from scratch: the `batchNorm` function and the `BatchNorm` layer built on it.
 *
 * Differences from the book's PyTorch code, and why:
 * - Layout is NHWC (tfjs' default), so 4-D inputs are normalized per channel over axes 0, 1, 2 and the parameter
 *   shapes are `[1, 1, 1, C]` (PyTorch: `(1, C, 1, 1)`); 2-D inputs use `[1, C]` as in the book.
 * - PyTorch chooses prediction mode from `torch.is_grad_enabled()`. tfjs has no grad mode, so the mode is the
 *   explicit `training` argument. Keras sets it: `fit`/`trainOnBatch` call every layer with `{training: true}`,
 *   `predict`/`evaluate` without it, and `net.apply(X, {training: true})` does so by hand.
 * - The moving statistics are non-trainable layer weights (PyTorch: plain tensors), so `save`/`load` keep them.
 */
import * as tf from '@tensorflow/tfjs';
import { LayerArgs, registerLayer } from './composite';

// #region book:batchNorm
/**
 * Batch-normalizes `X` and returns `[Y, movingMean, movingVar]` (the updated moving statistics).
 * Training mode uses the batch statistics (biased variance) and updates the moving averages with
 * `momentum` as the weight of the old value; prediction mode uses the moving statistics unchanged.
 */
function batchNorm(X: tf.Tensor, gamma: tf.Tensor, beta: tf.Tensor, movingMean: tf.Tensor, movingVar: tf.Tensor,
                   eps: number, momentum: number, training: boolean): [tf.Tensor, tf.Tensor, tf.Tensor] {
  return tf.tidy(() => {
    if (!training) {
      // Prediction mode: normalize with the moving averages passed in
      const XHat = X.sub(movingMean).div(movingVar.add(eps).sqrt());
      return [XHat.mul(gamma).add(beta), movingMean, movingVar];
    }
    if (X.rank !== 2 && X.rank !== 4) {
      throw new Error(`batchNorm expects a 2-D (batch, features) or 4-D NHWC input, got shape [${X.shape}]`);
    }
    // 2-D (after a dense layer): statistics per feature, over the batch axis.
    // 4-D (after a conv layer, NHWC): statistics per channel, over batch, height and width;
    // keepDims keeps the shape [1, 1, 1, C] so they broadcast against X.
    const axes = X.rank === 2 ? [0] : [0, 1, 2];
    const mean = X.mean(axes, X.rank === 4);
    const variance = X.sub(mean).square().mean(axes, X.rank === 4); // biased (÷ N), as in the book
    const XHat = X.sub(mean).div(variance.add(eps).sqrt());
    const newMean = movingMean.mul(momentum).add(mean.mul(1 - momentum));
    const newVar = movingVar.mul(momentum).add(variance.mul(1 - momentum));
    return [XHat.mul(gamma).add(beta), newMean, newVar];
  });
}
// #endregion book:batchNorm

// #region book:BatchNorm
/**
 * Batch normalization layer (§7.5) for `numFeatures` features (2-D input, `numDims` 2) or channels (4-D NHWC
 * input, `numDims` 4). gamma and beta are trained; the moving mean and variance are non-trainable weights
 * that training calls update (eps 1e-5, momentum 0.9 as in the book) and that are saved with the model.
 */
class BatchNorm extends tf.layers.Layer {
  static className = 'BatchNorm';
  readonly numFeatures: number;
  readonly numDims: 2 | 4;
  gamma!: tf.LayerVariable;
  beta!: tf.LayerVariable;
  movingMean!: tf.LayerVariable;
  movingVar!: tf.LayerVariable;

  constructor(numFeatures: number, numDims: 2 | 4, args: LayerArgs = {}) {
    super(args);
    if (numDims !== 2 && numDims !== 4) throw new Error(`BatchNorm numDims must be 2 or 4, got ${numDims}`);
    this.numFeatures = numFeatures;
    this.numDims = numDims;
  }

  override build(): void {
    const shape = this.numDims === 2 ? [1, this.numFeatures] : [1, 1, 1, this.numFeatures];
    // The scale and shift parameters, trained by the optimizer
    this.gamma = this.addWeight('gamma', shape, 'float32', tf.initializers.ones());
    this.beta = this.addWeight('beta', shape, 'float32', tf.initializers.zeros());
    // The moving statistics: not trained, but saved and loaded with the model
    this.movingMean = this.addWeight('moving_mean', shape, 'float32', tf.initializers.zeros(), undefined, false);
    this.movingVar = this.addWeight('moving_var', shape, 'float32', tf.initializers.ones(), undefined, false);
    this.built = true;
  }

  override call(inputs: tf.Tensor | tf.Tensor[], kwargs: tf.serialization.ConfigDict): tf.Tensor {
    return tf.tidy(() => {
      const X = Array.isArray(inputs) ? inputs[0] : inputs;
      const training = kwargs['training'] === true;
      const [Y, movingMean, movingVar] = batchNorm(X, this.gamma.read(), this.beta.read(),
        this.movingMean.read(), this.movingVar.read(), 1e-5, 0.9, training);
      if (training) {
        // Keep the updated moving averages for prediction
        this.movingMean.write(movingMean);
        this.movingVar.write(movingVar);
      }
      return Y;
    });
  }
}
// #endregion book:BatchNorm

registerLayer(BatchNorm, { args: ['numFeatures', 'numDims'] });

export { batchNorm, BatchNorm };
