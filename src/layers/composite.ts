/**
 * Plumbing shared by the chapter's blocks that own other layers (Residual, Inception, DenseBlock).
 *
 * tfjs-layers has no PyTorch-style automatic registration of sub-modules, so a block must do three things itself,
 * or its weights are neither trained nor saved (see the project's platform notes):
 * 1. build every sub-layer while *its own* name scope is active, so weight names read `block/sub/kernel`
 *    (building outside the scope names them `sub/kernel`, and two blocks then clash on load);
 * 2. name every sub-layer after the block (`<block>_conv1`): auto names embed process-wide counters, so a model
 *    loaded in a fresh process would otherwise look for weights under different names;
 * 3. publish the sub-layers' weights as its own through the `trainableWeights` / `nonTrainableWeights` setters.
 */
import * as tf from '@tensorflow/tfjs';

/** A batch shape with an unknown batch size, e.g. `[null, 28, 28, 1]` (NHWC). */
export type Shape = (number | null)[];

/** Base-layer arguments every layer accepts (`name`, `inputShape`, `trainable`, `dtype`, …). */
export type LayerArgs = NonNullable<ConstructorParameters<typeof tf.layers.Layer>[0]>;

/** The single tensor in `inputs`, with a clear error if a layer got several. */
export function singleTensor(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
  if (Array.isArray(inputs)) {
    if (inputs.length !== 1) throw new Error(`expected one input tensor, got ${inputs.length}: pass a single tensor`);
    return inputs[0];
  }
  return inputs;
}

/** The single shape in `inputShape` (tfjs passes `Shape | Shape[]`). */
export function singleShape(inputShape: tf.Shape | tf.Shape[]): Shape {
  return (Array.isArray(inputShape[0]) ? inputShape[0] : inputShape) as Shape;
}

/** Base class of layers made of other layers: exposes `subLayers` and handles naming, building and weights. */
export abstract class CompositeLayer extends tf.layers.Layer {
  /** The layers this block owns, in the order their weights are listed (contract for model walkers). */
  abstract get subLayers(): tf.layers.Layer[];

  /** A sub-layer name derived from this block's name, stable across processes. */
  protected subName(suffix: string): string {
    return `${this.name}_${suffix}`;
  }

  /** Runs `layer` on a concrete tensor, forwarding Keras kwargs such as `{training}`. */
  protected run(layer: tf.layers.Layer, x: tf.Tensor, kwargs: tf.serialization.ConfigDict = {}): tf.Tensor {
    return layer.apply(x, kwargs) as tf.Tensor;
  }

  /**
   * Builds `layer` for `inputShape` inside the current (this block's) name scope and returns its output shape.
   * Applying the layer to a symbolic input is the public way to get tfjs' `nameScope(layer.name)` around build.
   */
  protected buildSub(layer: tf.layers.Layer, inputShape: Shape): Shape {
    if (!layer.built) layer.apply(tf.input({ batchShape: inputShape }));
    return layer.computeOutputShape(inputShape) as Shape;
  }

  /** Publishes the sub-layers' weights as this layer's own (call at the end of `build`). */
  protected adoptSubLayerWeights(): void {
    this.trainableWeights = this.subLayers.flatMap((l) => l.trainableWeights);
    this.nonTrainableWeights = this.subLayers.flatMap((l) => l.nonTrainableWeights);
    this.built = true;
  }
}
