/**
 * `BatchMatMul` for the wasm backend with transposed operands made explicit.
 *
 * The stock kernel is fast (XNNPACK) for a·b but falls back to a slow loop when asked for aᵀ·b or a·bᵀ — exactly
 * the products a dense layer's gradient needs (dW = xᵀ·dy, dx = dy·Wᵀ): ~8× and ~5× slower than a·b measured on
 * LeNet's 256×256×120 dense layer. Transposing the operand first (a fast wasm kernel) and multiplying plainly is
 * cheaper.
 */
import * as tf from '@tensorflow/tfjs';
import { free, run, transpose, WasmBackendLike } from './kernel-utils';

function swapLastTwo(rank: number): number[] {
  const perm = Array.from({ length: rank }, (_, i) => i);
  [perm[rank - 2], perm[rank - 1]] = [perm[rank - 1], perm[rank - 2]];
  return perm;
}

function batchMatMulWasm(args: { inputs: tf.NamedTensorInfoMap; attrs?: tf.NamedAttrMap; backend: unknown }): tf.TensorInfo {
  const backend = args.backend as WasmBackendLike;
  const { a, b } = args.inputs as { a: tf.TensorInfo; b: tf.TensorInfo };
  const { transposeA, transposeB } = args.attrs as unknown as { transposeA: boolean; transposeB: boolean };
  if (!transposeA && !transposeB) return run(backend, 'BatchMatMul', { a, b }, { transposeA, transposeB });
  const temps: tf.TensorInfo[] = [];
  try {
    const a2 = transposeA ? transpose(backend, a, swapLastTwo(a.shape.length)) : a;
    if (transposeA) temps.push(a2);
    const b2 = transposeB ? transpose(backend, b, swapLastTwo(b.shape.length)) : b;
    if (transposeB) temps.push(b2);
    return run(backend, 'BatchMatMul', { a: a2, b: b2 }, { transposeA: false, transposeB: false });
  } finally {
    free(backend, ...temps);
  }
}

/** Kernel config registered for backend 'wasm' (delegates to the stock kernel for the plain product). */
export const batchMatMulConfig: tf.KernelConfig = {
  kernelName: 'BatchMatMul',
  backendName: 'wasm',
  kernelFunc: batchMatMulWasm as unknown as tf.KernelFunc,
};
