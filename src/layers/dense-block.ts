/**
 * §7.7 DenseNet's pieces: `convBlock` (BN → ReLU → 3×3 conv), the `DenseBlock` layer that concatenates every
 * conv block's output onto its input along channels, and `transitionBlock` (BN → ReLU → 1×1 conv → 2×2 avg pool).
 *
 * BatchNorm uses PyTorch's defaults (tfjs momentum 0.9 = 1 − PyTorch's 0.1, epsilon 1e-5). The blocks declare
 * their input channels (PyTorch does too), which lets a `tf.sequential` nest inside the net as one layer.
 */
import * as tf from '@tensorflow/tfjs';
import { CompositeLayer, LayerArgs, registerLayer, Shape, singleShape, singleTensor } from './composite';

// #region book:convBlock
/**
 * BN, ReLU and a 3×3 conv with `numChannels` outputs. `name`, if given, prefixes the layer names:
 * `DenseBlock` passes its own name so a saved model finds these weights again when loaded in another process.
 */
function convBlock(inputChannels: number, numChannels: number, name?: string): tf.Sequential {
  const sub = (suffix: string) => (name === undefined ? undefined : `${name}_${suffix}`);
  return tf.sequential({ name, layers: [
    tf.layers.batchNormalization({ momentum: 0.9, epsilon: 1e-5, inputShape: [null, null, inputChannels],
                                   name: sub('bn') }),
    tf.layers.reLU({ name: sub('relu') }),
    tf.layers.conv2d({ filters: numChannels, kernelSize: 3, padding: 'same', name: sub('conv') })] });
}
// #endregion book:convBlock

// #region book:DenseBlock
/** `numConvs` conv blocks, each seeing the concatenation of the input and all earlier outputs. */
class DenseBlock extends CompositeLayer {
  static className = 'DenseBlock';
  readonly numConvs: number;
  readonly numChannels: number;
  // Created in build(), once the input channel count is known (PyTorch passes it to the constructor)
  private blocks: tf.Sequential[] = [];

  constructor(numConvs: number, numChannels: number, args: LayerArgs = {}) {
    super(args);
    this.numConvs = numConvs;
    this.numChannels = numChannels;
  }

  override build(inputShape: tf.Shape | tf.Shape[]): void {
    const X = singleShape(inputShape);
    const inputChannels = X[X.length - 1] as number;
    for (let i = 0; i < this.numConvs; i++) {
      const blk = convBlock(inputChannels + i * this.numChannels, this.numChannels, this.subName(`conv${i}`));
      this.blocks.push(blk);
    }
  }

  override computeOutputShape(inputShape: tf.Shape | tf.Shape[]): Shape {
    const X = singleShape(inputShape);
    return [...X.slice(0, -1), (X[X.length - 1] as number) + this.numConvs * this.numChannels];
  }

  override call(inputs: tf.Tensor | tf.Tensor[], kwargs: tf.serialization.ConfigDict): tf.Tensor {
    return tf.tidy(() => {
      let X = singleTensor(inputs);
      for (const blk of this.blocks) {
        const Y = this.run(blk, X, kwargs);
        // Concatenate each block's input and output along the channel axis
        X = tf.concat([X, Y], -1);
      }
      return X;
    });
  }
}
// #endregion book:DenseBlock

registerLayer(DenseBlock, {
  args: ['numConvs', 'numChannels'],
  // Each conv block's output concatenated with its input (the dashed identity path)
  flow: (b) => b.subLayers.map((blk) => ({ paths: [[], [blk]], join: 'concat' as const, label: '[ , ]' })),
});

// #region book:transitionBlock
/** Shrinks channels with a 1×1 conv and halves height and width with a 2×2 average pool. */
function transitionBlock(inputChannels: number, numChannels: number): tf.Sequential {
  return tf.sequential({ layers: [
    tf.layers.batchNormalization({ momentum: 0.9, epsilon: 1e-5, inputShape: [null, null, inputChannels] }),
    tf.layers.reLU(),
    tf.layers.conv2d({ filters: numChannels, kernelSize: 1 }),
    tf.layers.averagePooling2d({ poolSize: 2, strides: 2 })] });
}
// #endregion book:transitionBlock

export { convBlock, DenseBlock, transitionBlock };
