/**
 * Plumbing shared by the chapter's layers, so that a block's book region holds only what the book shows
 * (constructor, `build`, `computeOutputShape`, `call`).
 *
 * tfjs-layers has no PyTorch-style automatic registration of sub-modules. `CompositeLayer` supplies it:
 * 1. its `subLayers` are the layer-valued fields of the block (a layer, or an array of layers), in the order the
 *    constructor assigns them — PyTorch's `named_children()` order, which model walkers rely on;
 * 2. its weights are its sub-layers' weights, so they are trained and saved with the model;
 * 3. `buildSub` builds a sub-layer while *the block's* name scope is active, so weight names read
 *    `block/sub/kernel` (outside the scope they read `sub/kernel`, and two blocks then clash on load), and
 *    `subName` names sub-layers after the block (`<block>_conv1`): auto names embed process-wide counters, so a
 *    model loaded in a fresh process would otherwise look for weights under other names.
 *
 * `registerLayer` (called under a block's region) makes a class serialisable from a list of config keys and
 * records the block's data flow, which the architecture figures draw.
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

function isLayerList(value: unknown): value is tf.layers.Layer[] {
  return Array.isArray(value) && value.length > 0 && value.every((v) => v instanceof tf.layers.Layer);
}

/** Base class of layers made of other layers: finds its sub-layers, owns their weights, builds them in scope. */
export abstract class CompositeLayer extends tf.layers.Layer {
  /**
   * The layers this block owns, in the order its constructor (or `build`) assigned them: every field holding a
   * layer or a non-empty array of layers (`null` fields, e.g. an unused 1×1 conv, are skipped).
   */
  get subLayers(): tf.layers.Layer[] {
    return Object.values(this).flatMap((v) => (v instanceof tf.layers.Layer ? [v] : isLayerList(v) ? v : []));
  }

  override get trainable(): boolean {
    return this.trainable_;
  }

  /** Freezing (or unfreezing) a block does the same to every sub-layer, as tfjs does for a layer's own weights. */
  override set trainable(trainable: boolean) {
    for (const l of this.subLayers) l.trainable = trainable;
    this.trainable_ = trainable;
  }

  /** The sub-layers' trainable weights (none while the block itself is frozen with `trainable = false`). */
  override get trainableWeights(): tf.LayerVariable[] {
    return this.trainable ? this.subLayers.flatMap((l) => l.trainableWeights) : [];
  }

  override set trainableWeights(_weights: tf.LayerVariable[]) {
    throw new Error(`${this.name}: a composite layer's weights are those of its sub-layers; set them there`);
  }

  /** The sub-layers' other weights (BN moving statistics), or all of them while the block is frozen. */
  override get nonTrainableWeights(): tf.LayerVariable[] {
    return this.subLayers.flatMap((l) => (this.trainable ? l.nonTrainableWeights : l.weights));
  }

  override set nonTrainableWeights(_weights: tf.LayerVariable[]) {
    throw new Error(`${this.name}: a composite layer's weights are those of its sub-layers; set them there`);
  }

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
}

/**
 * One step of a block's data flow, for the figures: a sub-layer, a ReLU applied in `call`, or parallel paths
 * that start from the same tensor and are joined (an empty path is the identity, drawn as a dashed shortcut).
 */
export type FlowStep = tf.layers.Layer | 'relu' | FlowFork;

export interface FlowFork {
  paths: FlowStep[][];
  join: 'add' | 'concat';
  /** The join's label in figures (default `+` for add, `Concat (channels)` for concat). */
  label?: string;
}

/** How the library saves and draws one of its layer classes. */
export interface LayerSpec<L> {
  /** The constructor's positional arguments, in order; each is a field of the same name. */
  args: string[];
  /** Keys of the constructor's options object (besides the base `LayerArgs`), each a field of the same name. */
  options?: string[];
  /** The block's data flow, in `call`'s order (composite blocks whose `call` is not a plain chain). */
  flow?: (layer: L) => FlowStep[];
}

/** A layer class as tfjs serialisation needs it: a static `className` and a constructor. */
export interface LayerClass<L extends tf.layers.Layer> {
  className: string;
  prototype: L;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  new (...args: any[]): L;
}

const SPECS = new Map<string, LayerSpec<tf.layers.Layer>>();

/**
 * Makes `cls` serialisable and records its spec: `getConfig` saves the base config plus the `args` and
 * `options` fields, `fromConfig` calls `new cls(...args, config)`, and the class is registered with tfjs under
 * its `className` (so `tf.loadLayersModel` finds it in a process that imported d2l).
 */
export function registerLayer<L extends tf.layers.Layer>(cls: LayerClass<L>, spec: LayerSpec<L>): void {
  const keys = [...spec.args, ...(spec.options ?? [])];
  const baseGetConfig = Object.getPrototypeOf(cls.prototype).getConfig as () => tf.serialization.ConfigDict;
  Object.defineProperty(cls.prototype, 'getConfig', {
    configurable: true,
    writable: true,
    value(this: L): tf.serialization.ConfigDict {
      const own = this as unknown as Record<string, tf.serialization.ConfigDictValue>;
      return { ...baseGetConfig.call(this), ...Object.fromEntries(keys.map((k) => [k, own[k]])) };
    },
  });
  Object.defineProperty(cls, 'fromConfig', {
    configurable: true,
    writable: true,
    value<T extends tf.serialization.Serializable>(
      c: tf.serialization.SerializableConstructor<T>, config: tf.serialization.ConfigDict): T {
      // eslint-disable-next-line @typescript-eslint/no-explicit-any
      return new (c as any)(...spec.args.map((k) => config[k]), config) as T;
    },
  });
  SPECS.set(cls.className, spec as LayerSpec<tf.layers.Layer>);
  tf.serialization.registerClass(cls as unknown as tf.serialization.SerializableConstructor<L>);
}

/** Every layer a flow names; throws when a step is neither a layer, 'relu' nor a fork (a missing field). */
function flowLayers(steps: FlowStep[]): tf.layers.Layer[] {
  return steps.flatMap((s) => {
    if (s === 'relu') return [];
    if (s instanceof tf.layers.Layer) return [s];
    if (!s || !Array.isArray(s.paths)) throw new Error(`not a flow step: ${String(s)}`);
    return s.paths.flatMap(flowLayers);
  });
}

/**
 * The data flow of a composite block, from the spec registered for its class name. A block defined in a notebook
 * from the library's region has the same class name and fields, so it gets the same flow; a block whose flow
 * would not cover exactly its sub-layers (say, an edited copy with a fourth conv) gets none, and is drawn as a
 * chain of its sub-layers instead of a wrong diagram.
 */
export function blockFlow(layer: tf.layers.Layer): FlowStep[] | undefined {
  const spec = SPECS.get(layer.getClassName());
  if (!spec?.flow || !(layer instanceof CompositeLayer)) return undefined;
  try {
    const steps = spec.flow(layer);
    const inFlow = flowLayers(steps);
    const own = layer.subLayers;
    return inFlow.length === own.length && own.every((l) => inFlow.includes(l)) ? steps : undefined;
  } catch {
    return undefined; // a field the flow names is missing: not the library's block
  }
}
