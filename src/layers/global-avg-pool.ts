/**
 * Global average pooling that keeps the spatial axes: `[N, H, W, C] → [N, 1, 1, C]`, the NHWC twin of PyTorch's
 * `nn.AdaptiveAvgPool2d((1, 1))`. tfjs' `globalAveragePooling2d` drops the axes (→ `[N, C]`) and has no
 * `keepDims`, so the chapter's "pool, then Flatten" pairs would print a different shape line.
 */
import * as tf from '@tensorflow/tfjs';
import { LayerArgs, Shape, singleShape, singleTensor } from './composite';

/** Averages each channel over height and width, keeping them as size-1 axes. */
export class GlobalAvgPool2d extends tf.layers.Layer {
  static className = 'GlobalAvgPool2d';

  constructor(args: LayerArgs = {}) {
    super(args);
  }

  override computeOutputShape(inputShape: tf.Shape | tf.Shape[]): Shape {
    const s = singleShape(inputShape);
    if (s.length !== 4) throw new Error(`GlobalAvgPool2d expects NHWC input (rank 4), got shape [${s}]`);
    return [s[0], 1, 1, s[3]];
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return tf.tidy(() => singleTensor(inputs).mean([1, 2], true));
  }
}
tf.serialization.registerClass(GlobalAvgPool2d);

/** `new GlobalAvgPool2d(args)`, in the style of the `tf.layers.*` factories. */
export function globalAvgPool2d(args: LayerArgs = {}): GlobalAvgPool2d {
  return new GlobalAvgPool2d(args);
}
