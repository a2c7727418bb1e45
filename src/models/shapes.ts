/**
 * Shape walks like the book's `for layer in net: X = layer(X); print(...)` loop, computed symbolically
 * (`computeOutputShape`, no tensor is allocated, so even VGG-11 at 224×224 costs nothing).
 *
 * Shapes are NHWC (tfjs) where the book prints NCHW: the book's `[1, 96, 54, 54]` is `[1, 54, 54, 96]` here.
 * Names are tfjs class names; the book's PyTorch names map as
 *   Conv2d ↔ Conv2D · Linear ↔ Dense · MaxPool2d ↔ MaxPooling2D · AvgPool2d ↔ AveragePooling2D ·
 *   ReLU ↔ ReLU · Sigmoid ↔ Activation · Dropout ↔ Dropout · Flatten ↔ Flatten ·
 *   AdaptiveAvgPool2d((1,1)) ↔ GlobalAvgPool2d · BatchNorm2d/1d ↔ BatchNormalization · nn.Sequential ↔ Sequential.
 * Two tfjs-only layers are not listed, so the walk has the book's lines: `InputLayer` (tfjs' declaration of the
 * input size) and `ZeroPadding2D`, which is PyTorch's `padding=` argument of the following conv or pool
 * and is folded into that layer's line.
 */
import * as tf from '@tensorflow/tfjs';
import type { Shape } from '../layers/composite';

/** One line of a shape walk: the layer's class name, the layer, and its output shape. */
export interface LayerShape {
  name: string;
  layer: tf.layers.Layer;
  shape: number[];
}

/** Layer classes that have no line of their own in the book's printout (see the file comment). */
const FOLDED = new Set(['InputLayer', 'ZeroPadding2D']);

function checkShape(inputShape: number[]): void {
  if (!Array.isArray(inputShape) || inputShape.some((d) => !Number.isInteger(d) || d < 1)) {
    throw new Error(`inputShape must be a full shape of positive integers including the batch axis, e.g. ` +
                    `[1, 224, 224, 1]; got [${inputShape}]`);
  }
}

/**
 * The output shape of every top-level layer of `net` for an input of `inputShape` (batch axis included,
 * e.g. `[1, 224, 224, 1]`). Nested blocks (sequential models, Residual, …) give one line each, as in the book.
 * A single layer (e.g. a `Residual`) gives its own line.
 */
export function layerShapes(net: tf.LayersModel | tf.layers.Layer, inputShape: number[]): LayerShape[] {
  checkShape(inputShape);
  const layers = net instanceof tf.Sequential ? net.layers : [net];
  const result: LayerShape[] = [];
  let shape: Shape = inputShape;
  for (const layer of layers) {
    try {
      shape = layer.computeOutputShape(shape) as Shape;
    } catch (e) {
      throw new Error(`layer ${layer.name} (${layer.getClassName()}) rejects input shape [${shape}]: ` +
                      `${(e as Error).message}`);
    }
    if (shape.some((d) => d === null || d < 1)) {
      throw new Error(`layer ${layer.name} (${layer.getClassName()}) gives shape [${shape}]: the input ` +
                      `[${inputShape}] is too small for this net; use a larger inputShape`);
    }
    if (!FOLDED.has(layer.getClassName())) {
      result.push({ name: layer.getClassName(), layer, shape: shape as number[] });
    }
  }
  return result;
}

/** One printed line, like the book's: `Conv2D output shape:\t [1,54,54,96]`. */
export function formatLayerShape({ name, shape }: LayerShape): string {
  return `${name} output shape:\t [${shape.join(',')}]`;
}

/** Prints the shape walk of `net`, one line per top-level layer (the book's shape loop). */
export function printLayerShapes(net: tf.LayersModel | tf.layers.Layer, inputShape: number[]): void {
  for (const line of layerShapes(net, inputShape)) console.log(formatLayerShape(line));
}

/** Number of trainable parameters (tfjs' `countParams()` also counts non-trainable weights such as BN's moving
 *  statistics; the book's PyTorch counts only parameters). */
export function countTrainableParams(net: tf.LayersModel | tf.layers.Layer): number {
  return net.trainableWeights.reduce((sum, w) => sum + w.shape.reduce((a: number, b) => a * (b as number), 1), 0);
}
