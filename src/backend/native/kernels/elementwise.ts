/**
 * Broadcasting binary ops, unary activations (ReLU, sigmoid, and Step, which tfjs' ReLU gradient
 * uses), Tile (used by the FusedBatchNorm gradient) and the FusedBatchNorm forward pass.
 */
import * as tf from '@tensorflow/tfjs';
import type { MathBackendCPU } from '@tensorflow/tfjs-backend-cpu';
import { RELU_GRAD, SIGMOID_GRAD } from '../../../ops/activation-gradients';
import { allocate } from '../buffer-pool';
import { addon, cpuFallback, f32, KernelArgs, output, size, TensorInfo } from '../util';

/** Codes shared with native/src/elementwise.cc. */
const BINARY_OPS: Record<string, number> = {
  [tf.Add]: 0, [tf.Sub]: 1, [tf.Multiply]: 2, [tf.RealDiv]: 3, [tf.SquaredDifference]: 4, [tf.Maximum]: 5,
  [tf.Minimum]: 6, [RELU_GRAD]: 7, [SIGMOID_GRAD]: 8,
};
const UNARY_OPS: Record<string, number> = {
  [tf.Relu]: 0, [tf.Sigmoid]: 1, [tf.Step]: 2, [tf.Square]: 3, [tf.Rsqrt]: 4, [tf.Sqrt]: 5, [tf.Neg]: 6,
  [tf.Exp]: 7, [tf.Log]: 8,
};

function binary(name: string, args: KernelArgs): TensorInfo | TensorInfo[] {
  const backend = args.backend as MathBackendCPU;
  const { a, b } = args.inputs as Record<string, TensorInfo>;
  const av = f32(backend, a), bv = f32(backend, b);
  if (av == null || bv == null) return cpuFallback(name, args);
  const outShape = tf.backend_util.assertAndGetBroadcastShape(a.shape, b.shape);
  const out = allocate(size(outShape));
  if (out.length > 0) addon().binary(BINARY_OPS[name], av, bv, out, outShape, a.shape, b.shape);
  return output(backend, outShape, out);
}

function unary(name: string, args: KernelArgs): TensorInfo | TensorInfo[] {
  const backend = args.backend as MathBackendCPU;
  const { x } = args.inputs as Record<string, TensorInfo>;
  const xv = f32(backend, x);
  if (xv == null) return cpuFallback(name, args);
  const out = allocate(xv.length);
  const alpha = name === tf.Step ? ((args.attrs as { alpha?: number }).alpha ?? 0) : 0;
  addon().unary(UNARY_OPS[name], xv, out, alpha);
  return output(backend, x.shape.slice(), out);
}

function tile(args: KernelArgs): TensorInfo | TensorInfo[] {
  const backend = args.backend as MathBackendCPU;
  const { x } = args.inputs as Record<string, TensorInfo>;
  const reps = (args.attrs as unknown as { reps: number[] }).reps;
  const xv = f32(backend, x);
  if (xv == null || x.shape.length === 0 || reps.length !== x.shape.length) return cpuFallback(tf.Tile, args);
  const outShape = x.shape.map((d, i) => d * reps[i]);
  const out = allocate(size(outShape));
  if (out.length > 0) addon().tile(xv, out, x.shape, reps);
  return output(backend, outShape, out);
}

/** Per-channel parameters: every given one must hold exactly one value per channel (innermost axis). */
function fusedBatchNorm(args: KernelArgs): TensorInfo | TensorInfo[] {
  const backend = args.backend as MathBackendCPU;
  const { x, mean, variance, offset, scale } = args.inputs as Record<string, TensorInfo | undefined>;
  const eps = (args.attrs as unknown as { varianceEpsilon: number }).varianceEpsilon;
  const xv = f32(backend, x);
  const channels = x == null || x.shape.length === 0 ? 0 : x.shape[x.shape.length - 1];
  const perChannel = (t: TensorInfo | undefined): boolean =>
    t == null || (f32(backend, t) != null && size(t.shape) === channels && t.shape[t.shape.length - 1] === channels);
  if (xv == null || channels === 0 || ![mean, variance, offset, scale].every(perChannel) || mean == null ||
    variance == null) {
    return cpuFallback(tf.FusedBatchNorm, args);
  }
  const out = allocate(xv.length);
  addon().batchNorm(xv, f32(backend, mean)!, f32(backend, variance)!, f32(backend, offset), f32(backend, scale),
    out, channels, eps);
  return output(backend, x!.shape.slice(), out);
}

export const elementwiseKernels: Array<Omit<tf.KernelConfig, 'backendName'>> = [
  ...Object.keys(BINARY_OPS).map((name) => ({ kernelName: name, kernelFunc: (args: KernelArgs) => binary(name, args) })),
  ...Object.keys(UNARY_OPS).map((name) => ({ kernelName: name, kernelFunc: (args: KernelArgs) => unary(name, args) })),
  { kernelName: tf.Tile, kernelFunc: tile },
  { kernelName: tf.FusedBatchNorm, kernelFunc: fusedBatchNorm },
];
