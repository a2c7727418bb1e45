/**
 * §7.6 Residual blocks: the `Residual` layer and `resnetBlock`, which chains them into one ResNet stage.
 *
 * PyTorch's `Conv2d(padding=1, stride=2)` pads one pixel on every side; tfjs' 'same' would pad only the bottom and
 * right at stride 2 and so shift every window. conv1 therefore gets an explicit `zeroPadding2d(1)` and 'valid'
 * padding (identical to 'same' at stride 1). BatchNorm uses PyTorch's defaults: momentum 0.9 in tfjs' convention
 * (weight of the old value = 1 − PyTorch's 0.1) and epsilon 1e-5.
 */
import * as tf from '@tensorflow/tfjs';
import { CompositeLayer, LayerArgs, registerLayer, Shape, singleShape, singleTensor } from './composite';

/** Options of `Residual`: the 1×1 shortcut convolution and the stride of the first conv (and the shortcut). */
export interface ResidualArgs extends LayerArgs {
  use1x1conv?: boolean;
  strides?: number;
}

// #region book:Residual
/** The residual block: two 3×3 convs with batch norm, plus the input (through a 1×1 conv if `use1x1conv`). */
class Residual extends CompositeLayer {
  static className = 'Residual';
  readonly numChannels: number;
  readonly use1x1conv: boolean;
  readonly strides: number;
  readonly pad1: tf.layers.Layer;
  readonly conv1: tf.layers.Layer;
  readonly conv2: tf.layers.Layer;
  readonly conv3: tf.layers.Layer | null;
  readonly bn1: tf.layers.Layer;
  readonly bn2: tf.layers.Layer;

  constructor(numChannels: number, { use1x1conv = false, strides = 1, ...args }: ResidualArgs = {}) {
    super(args);
    this.numChannels = numChannels;
    this.use1x1conv = use1x1conv;
    this.strides = strides;
    // PyTorch's padding=1 as an explicit layer, so that stride 2 pads like PyTorch (see the file comment)
    this.pad1 = tf.layers.zeroPadding2d({ padding: 1, name: this.subName('pad1') });
    this.conv1 = tf.layers.conv2d({ filters: numChannels, kernelSize: 3, strides, name: this.subName('conv1') });
    this.conv2 = tf.layers.conv2d({ filters: numChannels, kernelSize: 3, padding: 'same',
                                    name: this.subName('conv2') });
    this.conv3 = use1x1conv
      ? tf.layers.conv2d({ filters: numChannels, kernelSize: 1, strides, name: this.subName('conv3') })
      : null;
    this.bn1 = tf.layers.batchNormalization({ momentum: 0.9, epsilon: 1e-5, name: this.subName('bn1') });
    this.bn2 = tf.layers.batchNormalization({ momentum: 0.9, epsilon: 1e-5, name: this.subName('bn2') });
  }

  override build(inputShape: tf.Shape | tf.Shape[]): void {
    const X = singleShape(inputShape);
    let Y = this.buildSub(this.conv1, this.buildSub(this.pad1, X));
    this.buildSub(this.bn1, Y);
    Y = this.buildSub(this.conv2, Y);
    this.buildSub(this.bn2, Y);
    if (this.conv3) this.buildSub(this.conv3, X);
  }

  override computeOutputShape(inputShape: tf.Shape | tf.Shape[]): Shape {
    const padded = this.pad1.computeOutputShape(singleShape(inputShape));
    return this.conv2.computeOutputShape(this.conv1.computeOutputShape(padded)) as Shape;
  }

  override call(inputs: tf.Tensor | tf.Tensor[], kwargs: tf.serialization.ConfigDict): tf.Tensor {
    return tf.tidy(() => {
      let X = singleTensor(inputs);
      let Y = tf.relu(this.run(this.bn1, this.run(this.conv1, this.run(this.pad1, X)), kwargs));
      Y = this.run(this.bn2, this.run(this.conv2, Y), kwargs);
      if (this.conv3) X = this.run(this.conv3, X);
      return tf.relu(Y.add(X));
    });
  }
}
// #endregion book:Residual

registerLayer(Residual, {
  args: ['numChannels'], options: ['use1x1conv', 'strides'],
  // conv1 → BN → ReLU → conv2 → BN, plus the input (or its 1×1 conv), then ReLU: as `call` computes it
  flow: (b) => [{ paths: [[b.pad1, b.conv1, b.bn1, 'relu', b.conv2, b.bn2], b.conv3 ? [b.conv3] : []], join: 'add' },
                'relu'],
});

// #region book:resnetBlock
/**
 * One ResNet stage of `numResiduals` residual blocks. Unless it is the first stage, the first block halves
 * height and width and changes the channel count through the 1×1 shortcut. The first block declares its input
 * channels, so the list can form a `tf.sequential` that nests inside the net.
 */
function resnetBlock(inputChannels: number, numChannels: number, numResiduals: number,
                     firstBlock = false): tf.layers.Layer[] {
  const blk: tf.layers.Layer[] = [];
  for (let i = 0; i < numResiduals; i++) {
    const inputShape = i === 0 ? [null, null, inputChannels] : undefined;
    if (i === 0 && !firstBlock) {
      blk.push(new Residual(numChannels, { use1x1conv: true, strides: 2, inputShape }));
    } else {
      blk.push(new Residual(numChannels, { inputShape }));
    }
  }
  return blk;
}
// #endregion book:resnetBlock

export { Residual, resnetBlock };
