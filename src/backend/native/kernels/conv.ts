/**
 * Conv2D, FusedConv2D and both Conv2D gradients on oneDNN (NHWC activations, HWIO filters). An input that is a
 * deferred zero pad (../deferred-pad.ts) is read as its source with the conv's padding widened.
 */
import * as tf from '@tensorflow/tfjs';
import type { MathBackendCPU } from '@tensorflow/tfjs-backend-cpu';
import { allocate } from '../buffer-pool';
import { DeferredPad, deferredPad, sourceValues } from '../deferred-pad';
import { activationCode, addon, cpuFallback, f32, KernelArgs, output, size, TensorInfo } from '../util';

type ConvInfo = tf.backend_util.Conv2DInfo;

interface ConvAttrs {
  strides: [number, number] | number;
  pad: 'valid' | 'same' | number | tf.backend_util.ExplicitPadding;
  dataFormat: 'NHWC' | 'NCHW';
  dilations?: [number, number] | number;
  dimRoundingMode?: 'floor' | 'round' | 'ceil';
  activation?: string;
  inputShape?: [number, number, number, number];
  filterShape?: [number, number, number, number];
}

/**
 * The parameter vector the addon expects (see native/src/conv.cc). For an input that is a deferred zero pad the
 * problem is the unpadded source with the pad added to the conv's own (same output, no padded copy).
 */
function params(c: ConvInfo, pad?: DeferredPad): number[] {
  const [ih, iw, top, left] = pad === undefined ? [c.inHeight, c.inWidth, c.padInfo.top, c.padInfo.left]
    : [pad.sourceShape[1], pad.sourceShape[2], c.padInfo.top + pad.top, c.padInfo.left + pad.left];
  return [c.batchSize, ih, iw, c.inChannels, c.filterHeight, c.filterWidth, c.outChannels,
    c.outHeight, c.outWidth, c.strideHeight, c.strideWidth, c.dilationHeight, c.dilationWidth, top, left];
}

/** The storage a convolution reads for `x`: a deferred pad's source (then `pad` says so), else x's own. */
function input(backend: MathBackendCPU, x: TensorInfo | undefined): { xv: Float32Array | null; pad?: DeferredPad } {
  const pad = deferredPad(x);
  return pad === undefined ? { xv: f32(backend, x) } : { xv: sourceValues(backend, pad), pad };
}

function info(xShape: number[], filterShape: number[], a: ConvAttrs, dilations: [number, number] | number): ConvInfo {
  return tf.backend_util.computeConv2DInfo(xShape as [number, number, number, number],
    filterShape as [number, number, number, number], a.strides, dilations, a.pad, a.dimRoundingMode, false, 'channelsLast');
}

function conv2dImpl(name: string, args: KernelArgs, withExtras: boolean): TensorInfo | TensorInfo[] {
  const backend = args.backend as MathBackendCPU;
  const a = args.attrs as unknown as ConvAttrs;
  const { x, filter, bias, preluActivationWeights } = args.inputs as Record<string, TensorInfo | undefined>;
  const { xv, pad } = input(backend, x);
  const wv = f32(backend, filter);
  const act = withExtras ? activationCode(a.activation) : 0;
  const bv = withExtras && bias != null ? f32(backend, bias) : null;
  if (xv == null || wv == null || a.dataFormat === 'NCHW' || act < 0 || preluActivationWeights != null ||
    (bias != null && (bv == null || bv.length !== filter!.shape[3]))) {
    return cpuFallback(name, args);
  }
  const c = info(x!.shape, filter!.shape, a, a.dilations ?? 1);
  const out = allocate(size(c.outShape));
  addon().conv2d(xv, wv, bv, out, params(c, pad), act);
  return output(backend, c.outShape.slice(), out);
}

function conv2DBackpropInput(args: KernelArgs): TensorInfo | TensorInfo[] {
  const backend = args.backend as MathBackendCPU;
  const a = args.attrs as unknown as ConvAttrs;
  const { dy, filter } = args.inputs as Record<string, TensorInfo>;
  const dyv = f32(backend, dy), wv = f32(backend, filter);
  if (dyv == null || wv == null || a.dataFormat === 'NCHW') return cpuFallback(tf.Conv2DBackpropInput, args);
  const c = info(a.inputShape!, filter.shape, a, 1);
  const dx = allocate(size(c.inShape));
  addon().conv2dBackwardData(dyv, wv, dx, params(c));
  return output(backend, c.inShape.slice(), dx);
}

function conv2DBackpropFilter(args: KernelArgs): TensorInfo | TensorInfo[] {
  const backend = args.backend as MathBackendCPU;
  const a = args.attrs as unknown as ConvAttrs;
  const { x, dy } = args.inputs as Record<string, TensorInfo>;
  const { xv, pad } = input(backend, x);
  const dyv = f32(backend, dy);
  if (xv == null || dyv == null || a.dataFormat === 'NCHW') return cpuFallback(tf.Conv2DBackpropFilter, args);
  const c = info(x.shape, a.filterShape!, a, 1);
  const dw = allocate(size(a.filterShape!));
  addon().conv2dBackwardWeights(xv, dyv, dw, params(c, pad));
  return output(backend, a.filterShape!.slice(), dw);
}

export const convKernels: Array<Omit<tf.KernelConfig, 'backendName'>> = [
  { kernelName: tf.Conv2D, kernelFunc: (args) => conv2dImpl(tf.Conv2D, args, false) },
  { kernelName: tf.FusedConv2D, kernelFunc: (args) => conv2dImpl(tf.FusedConv2D, args, true) },
  { kernelName: tf.Conv2DBackpropInput, kernelFunc: conv2DBackpropInput },
  { kernelName: tf.Conv2DBackpropFilter, kernelFunc: conv2DBackpropFilter },
];
