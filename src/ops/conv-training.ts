/**
 * `tf.layers.conv2d` during training: convolution, bias and (for `relu`) the activation as ONE `FusedConv2D`
 * kernel, with a gradient that computes only what the tape asks for.
 *
 * Why: under a gradient tape tfjs' `tf.fused.conv2d` stops fusing whenever the activation is not linear, so a
 * ReLU conv layer runs conv, then a full-size bias Add (another pass, and one more activation kept until the
 * forward pass ends), then the ReLU. With a linear activation it does fuse, but its custom gradient computes the
 * input gradient eagerly, also for the first layer whose input is the data. Here the layer runs
 * `FusedConv2D(x, filter, bias)` with the layer's activation fused when it is ReLU (oneDNN's post-op on the
 * native backend: no separate pass over the output, and the pre-activation is never kept) and as a separate op
 * otherwise; the gradient registered for `FusedConv2D` below gives x, filter and bias their gradients lazily, one
 * closure each, from the ReLU's gradient taken on the saved output (y > 0 exactly where x > 0).
 * Only convolution layers under a tape take this path (`tf.engine().state.gradientDepth > 0`); inference keeps
 * tfjs' fully fused kernel.
 */
import * as tf from '@tensorflow/tfjs';
import { reluGrad } from './activation-gradients';

interface FusedConvAttrs {
  strides: [number, number] | number;
  pad: 'valid' | 'same' | number;
  dataFormat: 'NHWC';
  dilations: [number, number] | number;
  dimRoundingMode?: 'floor' | 'round' | 'ceil';
  activation: string;
}

/** The fields of tfjs-layers' Conv layer that the training path reads (they are not in its public typings). */
interface KerasConv {
  rank: number;
  strides: number[];
  padding: string;
  dataFormat: string;
  dilationRate: number[];
  kernel: tf.LayerVariable;
  bias: tf.LayerVariable | null;
  activation: { getClassName(): string; apply(x: tf.Tensor): tf.Tensor };
}

type Call = (this: KerasConv, inputs: tf.Tensor | tf.Tensor[], kwargs: Record<string, unknown>) => tf.Tensor;

/** Marks d2l's wrapper (on the function, so the only change to tfjs' prototype is its `call`). */
const PATCHED = Symbol.for('d2l.convTraining');

let enabled = true;

/**
 * Turns the installed training path on or off at run time (default on), for A/B tests. (`D2L_CONV_TRAINING=0` at
 * import keeps the wrapper out altogether: src/ops/patches.ts.)
 */
export function useConvTraining(on: boolean): void {
  enabled = on;
}

/** Whether the training path is switched on (see `useConvTraining`). */
export function convTrainingEnabled(): boolean {
  return enabled;
}

function isUnitDilation(d: number[] | number): boolean {
  return Array.isArray(d) ? d.every((v) => v === 1) : d === 1;
}

/** Conv + bias as one kernel, differentiable lazily (see the gradient below). */
export function conv2dBias(x: tf.Tensor4D, filter: tf.Tensor4D, bias: tf.Tensor | null, strides: [number, number],
                           pad: 'same' | 'valid', activation: 'linear' | 'relu' = 'linear'): tf.Tensor4D {
  const attrs: FusedConvAttrs = { strides, pad, dataFormat: 'NHWC', dilations: [1, 1], activation };
  const inputs: Record<string, tf.Tensor> = { x, filter };
  if (bias != null) inputs.bias = bias;
  return tf.engine().runKernel(tf.FusedConv2D, inputs as tf.NamedTensorMap,
    attrs as unknown as tf.NamedAttrMap) as tf.Tensor4D;
}

let gradientRegistered = false;

function registerFusedConvGradient(): void {
  if (gradientRegistered) return;
  tf.registerGradient({
    kernelName: tf.FusedConv2D,
    inputsToSave: ['x', 'filter'],
    outputsToSave: [true],
    gradFunc: (dy: tf.Tensor | tf.Tensor[], saved: tf.Tensor[], attrs: tf.NamedAttrMap) => {
      const [x, filter, y] = saved;
      const a = attrs as unknown as FusedConvAttrs;
      if ((a.activation !== 'linear' && a.activation !== 'relu') || !isUnitDilation(a.dilations)) {
        throw new Error('d2l: the FusedConv2D gradient supports linear and relu activations and dilation 1 only');
      }
      const g = (a.activation === 'relu' ? reluGrad(dy as tf.Tensor, y) : dy) as tf.Tensor4D;
      const common = { strides: a.strides, pad: a.pad, dataFormat: a.dataFormat, dimRoundingMode: a.dimRoundingMode };
      return {
        x: () => tf.engine().runKernel(tf.Conv2DBackpropInput, { dy: g, filter } as unknown as tf.NamedTensorMap,
          { ...common, inputShape: x.shape } as unknown as tf.NamedAttrMap) as tf.Tensor,
        filter: () => tf.engine().runKernel(tf.Conv2DBackpropFilter, { x, dy: g } as unknown as tf.NamedTensorMap,
          { ...common, filterShape: filter.shape } as unknown as tf.NamedAttrMap) as tf.Tensor,
        bias: () => tf.sum(g, [0, 1, 2]),
      };
    },
  });
  gradientRegistered = true;
}

/** Whether this layer call can take the training path. */
function usesTrainingPath(layer: KerasConv, input: tf.Tensor): boolean {
  if (!enabled || tf.engine().state.gradientDepth === 0) return false; // inference: tfjs fuses the activation too
  return layer.rank === 2 && input.rank === 4 && input.dtype === 'float32' && layer.dataFormat === 'channelsLast' &&
    isUnitDilation(layer.dilationRate) && (layer.padding === 'same' || layer.padding === 'valid') &&
    tf.getKernel(tf.FusedConv2D, tf.getBackend()) != null;
}

type Patched = Call & { [PATCHED]?: true };

/** The Conv2D class of the loaded tfjs-layers (found through an instance: it is not exported). */
export function conv2dPrototype(): { call: Patched } {
  return Object.getPrototypeOf(tf.layers.conv2d({ filters: 1, kernelSize: 1 })) as { call: Patched };
}

/** Whether tfjs' Conv2D runs d2l's wrapper. */
export function convTrainingInstalled(): boolean {
  return conv2dPrototype().call[PATCHED] === true;
}

/**
 * Routes training-time `tf.layers.conv2d` calls through `conv2dBias` (idempotent). d2l installs it at import from
 * its patch table (src/ops/patches.ts).
 */
export function installConvTraining(): void {
  registerFusedConvGradient();
  const proto = conv2dPrototype();
  if (proto.call[PATCHED]) return;
  const original = proto.call;
  const wrapper: Patched = function (this: KerasConv, inputs, kwargs) {
    const input = Array.isArray(inputs) ? inputs[0] : inputs;
    if (!(input instanceof tf.Tensor) || !usesTrainingPath(this, input)) return original.call(this, inputs, kwargs);
    return tf.tidy(() => {
      const activation = this.activation.getClassName();
      const fused = activation === 'relu' ? 'relu' : 'linear';
      const y = conv2dBias(input as tf.Tensor4D, this.kernel.read() as tf.Tensor4D, this.bias?.read() ?? null,
        [this.strides[0], this.strides[1]], this.padding as 'same' | 'valid', fused);
      return activation === fused ? y : this.activation.apply(y);
    });
  };
  wrapper[PATCHED] = true;
  proto.call = wrapper;
}
