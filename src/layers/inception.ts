/**
 * §7.4 The Inception block of GoogLeNet: four parallel paths whose outputs are concatenated along channels
 * (the last axis in NHWC), in the book's order p1, p2, p3, p4.
 *
 * Every path keeps height and width. For the 3×3 and 5×5 convs at stride 1, tfjs' 'same' pads (k−1)/2 on each
 * side exactly like PyTorch's padding=1 / 2. The 3×3 max pool at stride 1 with 'same' ignores padded cells,
 * which equals PyTorch's MaxPool2d(3, 1, padding=1) (it pads with −∞) for inputs of any sign.
 */
import * as tf from '@tensorflow/tfjs';
import { CompositeLayer, LayerArgs, registerLayer, Shape, singleShape, singleTensor } from './composite';

// #region book:Inception
/** Inception block; c1…c4 are the output channels of each path (c2, c3: [1×1 reduction, main conv]). */
class Inception extends CompositeLayer {
  static className = 'Inception';
  readonly c1: number;
  readonly c2: [number, number];
  readonly c3: [number, number];
  readonly c4: number;
  readonly p1_1: tf.layers.Layer;
  readonly p2_1: tf.layers.Layer;
  readonly p2_2: tf.layers.Layer;
  readonly p3_1: tf.layers.Layer;
  readonly p3_2: tf.layers.Layer;
  readonly p4_1: tf.layers.Layer;
  readonly p4_2: tf.layers.Layer;

  constructor(c1: number, c2: [number, number], c3: [number, number], c4: number, args: LayerArgs = {}) {
    super(args);
    [this.c1, this.c2, this.c3, this.c4] = [c1, c2, c3, c4];
    const conv = (filters: number, kernelSize: number, name: string) =>
      tf.layers.conv2d({ filters, kernelSize, padding: 'same', activation: 'relu', name: this.subName(name) });
    // Path 1: a single 1×1 conv
    this.p1_1 = conv(c1, 1, 'p1_1');
    // Path 2: 1×1 conv, then 3×3 conv
    this.p2_1 = conv(c2[0], 1, 'p2_1');
    this.p2_2 = conv(c2[1], 3, 'p2_2');
    // Path 3: 1×1 conv, then 5×5 conv
    this.p3_1 = conv(c3[0], 1, 'p3_1');
    this.p3_2 = conv(c3[1], 5, 'p3_2');
    // Path 4: 3×3 max pool, then 1×1 conv
    this.p4_1 = tf.layers.maxPooling2d({ poolSize: 3, strides: 1, padding: 'same', name: this.subName('p4_1') });
    this.p4_2 = conv(c4, 1, 'p4_2');
  }

  override build(inputShape: tf.Shape | tf.Shape[]): void {
    const X = singleShape(inputShape);
    this.buildSub(this.p1_1, X);
    this.buildSub(this.p2_2, this.buildSub(this.p2_1, X));
    this.buildSub(this.p3_2, this.buildSub(this.p3_1, X));
    this.buildSub(this.p4_2, this.buildSub(this.p4_1, X));
  }

  override computeOutputShape(inputShape: tf.Shape | tf.Shape[]): Shape {
    const [n, h, w] = singleShape(inputShape);
    return [n, h, w, this.c1 + this.c2[1] + this.c3[1] + this.c4];
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return tf.tidy(() => {
      const X = singleTensor(inputs);
      const p1 = this.run(this.p1_1, X);
      const p2 = this.run(this.p2_2, this.run(this.p2_1, X));
      const p3 = this.run(this.p3_2, this.run(this.p3_1, X));
      const p4 = this.run(this.p4_2, this.run(this.p4_1, X));
      // Concatenate the paths along the channel axis
      return tf.concat([p1, p2, p3, p4], -1);
    });
  }
}
// #endregion book:Inception

registerLayer(Inception, {
  args: ['c1', 'c2', 'c3', 'c4'],
  // Four paths from the input, concatenated along channels
  flow: (b) => [{ paths: [[b.p1_1], [b.p2_1, b.p2_2], [b.p3_1, b.p3_2], [b.p4_1, b.p4_2]], join: 'concat' }],
});

export { Inception };
