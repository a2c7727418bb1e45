/**
 * Slice, PadV2, Concat and SplitV as memcpy runs (zeroPadding2d's forward and gradient, Inception/DenseNet concat).
 * PadV2 of height and width by zeros is deferred (../deferred-pad.ts): convolutions read it without the copy.
 */
import * as tf from '@tensorflow/tfjs';
import type { MathBackendCPU } from '@tensorflow/tfjs-backend-cpu';
import { allocate } from '../buffer-pool';
import { deferPadding } from '../deferred-pad';
import { addon, cpuFallback, f32, KernelArgs, output, size, TensorInfo } from '../util';

function slice(args: KernelArgs): TensorInfo | TensorInfo[] {
  const backend = args.backend as MathBackendCPU;
  const { x } = args.inputs as Record<string, TensorInfo>;
  const { begin, size: sz } = args.attrs as unknown as { begin: number | number[]; size: number | number[] };
  const xv = f32(backend, x);
  if (xv == null || x.shape.length === 0) return cpuFallback(tf.Slice, args);
  const [b, s] = tf.slice_util.parseSliceParams(x as tf.Tensor, begin, sz);
  tf.slice_util.assertParamsValid(x as tf.Tensor, b, s);
  const out = allocate(size(s));
  if (out.length > 0) addon().slice(xv, out, x.shape, b, s);
  return output(backend, s, out);
}

function padV2(args: KernelArgs): TensorInfo | TensorInfo[] {
  const backend = args.backend as MathBackendCPU;
  const { x } = args.inputs as Record<string, TensorInfo>;
  const { paddings, constantValue } = args.attrs as unknown as { paddings: Array<[number, number]>; constantValue: number };
  const later = deferPadding(backend, x, paddings, constantValue);
  if (later != null) return later;
  const xv = f32(backend, x);
  if (xv == null || x.shape.length === 0 || paddings.some(([p, q]) => p < 0 || q < 0)) return cpuFallback(tf.PadV2, args);
  const outShape = x.shape.map((d, i) => paddings[i][0] + d + paddings[i][1]);
  const out = allocate(size(outShape));
  if (out.length > 0) addon().pad(xv, out, x.shape, paddings.map((p) => p[0]), outShape, constantValue);
  return output(backend, outShape, out);
}

function concat(args: KernelArgs): TensorInfo | TensorInfo[] {
  const backend = args.backend as MathBackendCPU;
  const inputs = (args.inputs as unknown as TensorInfo[]).filter((t) => size(t.shape) > 0);
  const values = inputs.map((t) => f32(backend, t));
  if (inputs.length < 2 || values.some((v) => v == null)) return cpuFallback(tf.Concat, args);
  const axis = tf.util.parseAxisParam((args.attrs as unknown as { axis: number }).axis, inputs[0].shape)[0];
  const shapes = inputs.map((t) => t.shape);
  tf.backend_util.assertParamsConsistent(shapes, axis);
  const outShape = tf.backend_util.computeOutShape(shapes, axis);
  const outer = size(outShape.slice(0, axis));
  const widths = shapes.map((s) => size(s.slice(axis)));
  const out = allocate(size(outShape));
  addon().concat(values as Float32Array[], widths, out, outer);
  return output(backend, outShape, out);
}

/** SplitV (Concat's gradient): one slice per part along the axis. */
function splitV(args: KernelArgs): TensorInfo | TensorInfo[] {
  const backend = args.backend as MathBackendCPU;
  const { x } = args.inputs as Record<string, TensorInfo>;
  const { numOrSizeSplits, axis } = args.attrs as unknown as { numOrSizeSplits: number | number[]; axis: number };
  const xv = f32(backend, x);
  if (xv == null || x.shape.length === 0) return cpuFallback(tf.SplitV, args);
  const $axis = tf.util.parseAxisParam(axis, x.shape)[0];
  const sizes = tf.backend_util.prepareSplitSize(x as tf.Tensor, numOrSizeSplits, $axis);
  const begin = new Array<number>(x.shape.length).fill(0);
  return sizes.map((s) => {
    const sz = x.shape.slice();
    sz[$axis] = s;
    const out = allocate(size(sz));
    if (out.length > 0) addon().slice(xv, out, x.shape, begin.slice(), sz);
    begin[$axis] += s;
    return output(backend, sz, out);
  });
}

export const copyKernels: Array<Omit<tf.KernelConfig, 'backendName'>> = [
  { kernelName: tf.Slice, kernelFunc: slice },
  { kernelName: tf.PadV2, kernelFunc: padV2 },
  { kernelName: tf.Concat, kernelFunc: concat },
  { kernelName: tf.SplitV, kernelFunc: splitV },
];
