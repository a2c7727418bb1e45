/** Helpers shared by the native kernels: typed access to tensor buffers and the cpu fallback. */
import * as tf from '@tensorflow/tfjs';
import type { MathBackendCPU } from '@tensorflow/tfjs-backend-cpu';
import { loadAddon, NativeAddon } from './addon';

export type KernelArgs = Parameters<tf.KernelFunc>[0];
export type TensorInfo = tf.TensorInfo;

export function addon(): NativeAddon {
  return loadAddon();
}

/** The Float32Array behind a float32 tensor, or null (other dtypes go to the cpu kernel). */
export function f32(backend: MathBackendCPU, t: TensorInfo | undefined | null): Float32Array | null {
  if (t == null || t.dtype !== 'float32') return null;
  const v = backend.data.get(t.dataId).values;
  return v instanceof Float32Array ? v : null;
}

export function size(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

/** Runs the cpu backend's implementation of `kernelName` (same storage, so no copies). */
export function cpuFallback(kernelName: string, args: KernelArgs): TensorInfo | TensorInfo[] {
  const k = tf.getKernel(kernelName, 'cpu');
  if (k == null) throw new Error(`d2l native backend: no cpu kernel ${kernelName} to fall back to`);
  return k.kernelFunc(args);
}

/** Wraps a freshly written buffer as a tensor owned by the backend. */
export function output(backend: MathBackendCPU, shape: number[], values: Float32Array): TensorInfo {
  return backend.makeTensorInfo(shape, 'float32', values);
}

/** Fused activations oneDNN applies as post-ops: 0 none, 1 relu, 2 sigmoid; -1 means not supported. */
export function activationCode(activation: string | undefined | null): number {
  if (activation == null || activation === 'linear') return 0;
  if (activation === 'relu') return 1;
  if (activation === 'sigmoid') return 2;
  return -1;
}
