/** MaxPool / AvgPool forward (oneDNN) and their gradients (OpenMP loops in the addon). */
import * as tf from '@tensorflow/tfjs';
import type { MathBackendCPU } from '@tensorflow/tfjs-backend-cpu';
import { allocate } from '../buffer-pool';
import { addon, cpuFallback, f32, KernelArgs, output, size, TensorInfo } from '../util';

interface PoolAttrs {
  filterSize: [number, number] | number;
  strides: [number, number] | number;
  pad: 'valid' | 'same' | number | tf.backend_util.ExplicitPadding;
  dimRoundingMode?: 'floor' | 'round' | 'ceil';
}

function poolInfo(xShape: number[], a: PoolAttrs): tf.backend_util.Conv2DInfo {
  return tf.backend_util.computePool2DInfo(xShape as [number, number, number, number], a.filterSize, a.strides, 1,
    a.pad, a.dimRoundingMode);
}

function params(c: tf.backend_util.Conv2DInfo): number[] {
  return [c.batchSize, c.inHeight, c.inWidth, c.inChannels, c.filterHeight, c.filterWidth, c.outHeight, c.outWidth,
    c.strideHeight, c.strideWidth, c.padInfo.top, c.padInfo.left];
}

function poolForward(name: string, args: KernelArgs, isMax: boolean): TensorInfo | TensorInfo[] {
  const backend = args.backend as MathBackendCPU;
  const x = (args.inputs as Record<string, TensorInfo>).x;
  const xv = f32(backend, x);
  if (xv == null || x.shape.length !== 4) return cpuFallback(name, args);
  const c = poolInfo(x.shape, args.attrs as unknown as PoolAttrs);
  const out = allocate(size(c.outShape));
  addon().pool(xv, out, params(c), isMax);
  return output(backend, c.outShape.slice(), out);
}

function maxPoolGrad(args: KernelArgs): TensorInfo | TensorInfo[] {
  const backend = args.backend as MathBackendCPU;
  const { dy, input } = args.inputs as Record<string, TensorInfo>;
  const dyv = f32(backend, dy), xv = f32(backend, input);
  if (dyv == null || xv == null) return cpuFallback(tf.MaxPoolGrad, args);
  const c = poolInfo(input.shape, args.attrs as unknown as PoolAttrs);
  const dx = allocate(size(input.shape));
  addon().maxPoolGrad(dyv, xv, dx, params(c));
  return output(backend, input.shape.slice(), dx);
}

/**
 * The gradient divides by the number of in-image cells of each window, i.e. by what the forward pass
 * averaged over. (tfjs' cpu AvgPoolGrad divides by the full window size even where 'same' padding
 * made the forward average smaller; for 'valid' pooling both agree.)
 */
function avgPoolGrad(args: KernelArgs): TensorInfo | TensorInfo[] {
  const backend = args.backend as MathBackendCPU;
  const { dy, input } = args.inputs as Record<string, TensorInfo>;
  const dyv = f32(backend, dy);
  if (dyv == null || input.dtype !== 'float32') return cpuFallback(tf.AvgPoolGrad, args);
  const c = poolInfo(input.shape, args.attrs as unknown as PoolAttrs);
  const dx = allocate(size(input.shape));
  addon().avgPoolGrad(dyv, dx, params(c), true);
  return output(backend, input.shape.slice(), dx);
}

export const poolKernels: Array<Omit<tf.KernelConfig, 'backendName'>> = [
  { kernelName: tf.MaxPool, kernelFunc: (args) => poolForward(tf.MaxPool, args, true) },
  { kernelName: tf.AvgPool, kernelFunc: (args) => poolForward(tf.AvgPool, args, false) },
  { kernelName: tf.MaxPoolGrad, kernelFunc: maxPoolGrad },
  { kernelName: tf.AvgPoolGrad, kernelFunc: avgPoolGrad },
];
