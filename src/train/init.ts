/**
 * The book's `init_weights`: Xavier-uniform kernels for every convolution and fully connected layer, applied
 * recursively (PyTorch's `net.apply`). Walking follows the composite-layer contract: nested `tf.Sequential`
 * blocks expose `.layers`, custom layers that own sub-layers (Residual, Inception, DenseBlock, …) expose
 * `.subLayers`.
 *
 * Biases are redrawn like PyTorch's default, uniform(±1/√fan_in), so a run starts from the same distribution as
 * the book's (PyTorch leaves biases at that default; tfjs would start them at zero). Batch-norm parameters
 * (gamma, beta, moving statistics) are not touched, as in the book.
 */
import * as tf from '@tensorflow/tfjs';

/** Every scheme `initWeights` knows; `InitScheme` is derived from it. */
const SCHEMES = ['xavier', 'kaiming', 'kaiming-zero-head'] as const;

/**
 * How kernels are drawn. `xavier` (the book's `init_weights`): U(±√(6/(fan_in+fan_out))), variance
 * 2/(fan_in+fan_out). `kaiming` (He et al. 2015, `nn.init.kaiming_uniform_` for ReLU): U(±√(6/fan_in)), variance
 * 2/fan_in, which keeps the signal's variance through a ReLU; under Xavier a square layer followed by a ReLU
 * halves it, so a deep stack without batch norm (NiN: 12 ReLU convs) starts with almost constant outputs.
 *
 * `kaiming-zero-head`: `kaiming`, except that the last Conv2D/Dense layer (the classifier) starts with a zero
 * kernel and every bias at `ZERO_HEAD_BIAS`. For a head followed by a ReLU (NiN's last 1×1 conv) a random kernel is
 * what silences classes: its input is ReLU features with a positive mean, so each class gets an offset of one
 * sign for every example, and a class whose offset is negative outputs 0, with no gradient, for the whole batch.
 * From a zero kernel every class is open, and the first steps move class k's kernel by lr·mean((y_k − p_k)·h),
 * toward its own examples' features and away from the others'. (A zero-initialized classifier is common
 * practice, e.g. the head of the Vision Transformer.) A porting note: the book has no such scheme; 7.3's `cpu`
 * rows use it, and src/profiles.ts gives the measurements.
 */
export type InitScheme = typeof SCHEMES[number];

/**
 * `kaiming-zero-head`'s bias for every class of the head. Any positive value starts all classes at one score
 * (loss ln 10) with an open ReLU; 0 would not, since tfjs' ReLU passes no gradient at exactly 0.
 */
export const ZERO_HEAD_BIAS = 0.1;

/** Layer classes whose kernels the book re-initializes (`nn.Linear`, `nn.Conv2d`). */
const XAVIER_CLASSES = new Set(['Conv2D', 'Dense']);

/** Every layer of `net`, depth first, each once: descends into `.layers` and `.subLayers`. */
export function collectLayers(net: tf.layers.Layer | tf.LayersModel): tf.layers.Layer[] {
  const seen = new Set<unknown>();
  const out: tf.layers.Layer[] = [];
  const visit = (layer: any): void => {
    if (layer == null || seen.has(layer)) return;
    seen.add(layer);
    if (layer !== net) out.push(layer as tf.layers.Layer);
    const children: unknown[] = [...(Array.isArray(layer.layers) ? layer.layers : []),
      ...(Array.isArray(layer.subLayers) ? layer.subLayers : [])];
    for (const child of children) visit(child);
  };
  visit(net);
  return out;
}

/** Fan-in and fan-out of a kernel laid out tfjs-style: [...receptive field, in, out]. */
export function kernelFans(shape: number[]): { fanIn: number; fanOut: number } {
  if (shape.length < 2) return { fanIn: shape[0] ?? 1, fanOut: shape[0] ?? 1 };
  const receptive = shape.slice(0, -2).reduce((a, b) => a * b, 1);
  return { fanIn: shape[shape.length - 2] * receptive, fanOut: shape[shape.length - 1] * receptive };
}

/** The last path segment of a weight name, without tfjs' uniquifying suffix: 'block/conv/kernel_1' → 'kernel'. */
function weightRole(name: string): string {
  return (name.split('/').pop() ?? name).replace(/_\d+$/, '');
}

/**
 * Re-initializes every Conv2D/Dense layer of `net`: kernel ~ U(±√(6/(fan_in+fan_out))) (Xavier/Glorot uniform;
 * `scheme: 'kaiming'`: U(±√(6/fan_in))), bias ~ U(±1/√fan_in); `'kaiming-zero-head'` then zeroes the last one's
 * kernel and sets its biases to ZERO_HEAD_BIAS. Returns the number of layers initialized. With `seed`, the draw is
 * repeatable. The layers must be built (a `tf.sequential` with an `inputShape` is).
 */
export function initWeights(net: tf.layers.Layer | tf.LayersModel, seed?: number,
                            scheme: InitScheme = 'xavier'): number {
  if (!(SCHEMES as readonly string[]).includes(scheme)) {
    throw new Error(`initWeights: unknown init scheme '${String(scheme)}'; use 'xavier' (the book's), 'kaiming' `
      + "or 'kaiming-zero-head'");
  }
  const wide = scheme !== 'xavier';
  let draw = 0;
  const nextSeed = (): number | undefined => (seed === undefined ? undefined : seed * 1000003 + ++draw);
  let count = 0;
  const layers = collectLayers(net).filter((layer) => XAVIER_CLASSES.has(layer.getClassName()));
  for (const layer of layers) {
    const kernel = layer.weights.find((w) => weightRole(w.name) === 'kernel');
    if (kernel === undefined) {
      throw new Error(`initWeights: layer '${layer.name}' has no kernel yet; build the model first `
        + '(give the first layer an inputShape, or call the model on one batch)');
    }
    const { fanIn, fanOut } = kernelFans(kernel.shape as number[]);
    tf.tidy(() => {
      const limit = Math.sqrt(6 / (wide ? fanIn : fanIn + fanOut));
      kernel.write(tf.randomUniform(kernel.shape as number[], -limit, limit, 'float32', nextSeed()));
      const bias = layer.weights.find((w) => weightRole(w.name) === 'bias');
      if (bias !== undefined) {
        const bound = fanIn > 0 ? 1 / Math.sqrt(fanIn) : 0;
        bias.write(tf.randomUniform(bias.shape as number[], -bound, bound, 'float32', nextSeed()));
      }
    });
    count++;
  }
  const head = layers[layers.length - 1];
  if (scheme === 'kaiming-zero-head' && head !== undefined) {
    tf.tidy(() => {
      for (const w of head.weights) {
        const role = weightRole(w.name);
        if (role === 'kernel') w.write(tf.zeros(w.shape as number[]));
        else if (role === 'bias') w.write(tf.fill(w.shape as number[], ZERO_HEAD_BIAS));
      }
    });
  }
  return count;
}
