/** Sum and Mean over a contiguous run of axes (bias/batch-norm gradients, global average pooling). */
import * as tf from '@tensorflow/tfjs';
import type { MathBackendCPU } from '@tensorflow/tfjs-backend-cpu';
import { allocate } from '../buffer-pool';
import { addon, cpuFallback, f32, KernelArgs, output, size, TensorInfo } from '../util';

interface ReduceAttrs { axis: number | number[]; keepDims: boolean }

function reduce(name: string, args: KernelArgs, isMean: boolean): TensorInfo | TensorInfo[] {
  const backend = args.backend as MathBackendCPU;
  const { x } = args.inputs as Record<string, TensorInfo>;
  const { axis, keepDims } = args.attrs as unknown as ReduceAttrs;
  const xv = f32(backend, x);
  if (xv == null || x.shape.length === 0) return cpuFallback(name, args);
  const axes = tf.util.parseAxisParam(axis, x.shape).slice().sort((p, q) => p - q);
  // Only a contiguous block of axes maps onto [outer, reduced, inner]; anything else goes to cpu.
  const contiguous = axes.length > 0 && axes.every((v, i) => i === 0 || v === axes[i - 1] + 1);
  if (!contiguous) return cpuFallback(name, args);
  const first = axes[0], last = axes[axes.length - 1];
  const outer = size(x.shape.slice(0, first));
  const r = size(x.shape.slice(first, last + 1));
  const inner = size(x.shape.slice(last + 1));
  const outShape = keepDims ? x.shape.map((d, i) => (i >= first && i <= last ? 1 : d))
    : x.shape.filter((_, i) => i < first || i > last);
  const out = allocate(outer * inner);
  if (r === 0 && isMean) out.fill(NaN);
  else addon().reduceSum(xv, out, outer, r, inner, isMean ? 1 / r : 1);
  return output(backend, outShape, out);
}

export const reduceKernels: Array<Omit<tf.KernelConfig, 'backendName'>> = [
  { kernelName: tf.Sum, kernelFunc: (args) => reduce(tf.Sum, args, false) },
  { kernelName: tf.Mean, kernelFunc: (args) => reduce(tf.Mean, args, true) },
];
