/** BatchMatMul and _FusedMatMul (bias + relu/sigmoid) on oneDNN. */
import * as tf from '@tensorflow/tfjs';
import type { MathBackendCPU } from '@tensorflow/tfjs-backend-cpu';
import { allocate } from '../buffer-pool';
import { activationCode, addon, cpuFallback, f32, KernelArgs, output, size, TensorInfo } from '../util';

interface MatMulAttrs { transposeA: boolean; transposeB: boolean; activation?: string }

function matmulImpl(name: string, args: KernelArgs, fused: boolean): TensorInfo | TensorInfo[] {
  const backend = args.backend as MathBackendCPU;
  const attrs = args.attrs as unknown as MatMulAttrs;
  const { a, b, bias, preluActivationWeights } = args.inputs as Record<string, TensorInfo | undefined>;
  const av = f32(backend, a), bv = f32(backend, b);
  const act = fused ? activationCode(attrs.activation) : 0;
  const biasv = fused && bias != null ? f32(backend, bias) : null;
  if (av == null || bv == null || act < 0 || preluActivationWeights != null || a!.shape.length < 2 ||
    b!.shape.length < 2) {
    return cpuFallback(name, args);
  }
  const ra = a!.shape.length, rb = b!.shape.length;
  const m = attrs.transposeA ? a!.shape[ra - 1] : a!.shape[ra - 2];
  const k = attrs.transposeA ? a!.shape[ra - 2] : a!.shape[ra - 1];
  const kb = attrs.transposeB ? b!.shape[rb - 1] : b!.shape[rb - 2];
  const n = attrs.transposeB ? b!.shape[rb - 2] : b!.shape[rb - 1];
  const batchShapeA = a!.shape.slice(0, -2), batchShapeB = b!.shape.slice(0, -2);
  const batchA = size(batchShapeA), batchB = size(batchShapeB);
  if (k !== kb) return cpuFallback(name, args); // the cpu kernel raises tfjs' usual shape error
  const outBatchShape = tf.backend_util.assertAndGetBroadcastShape(batchShapeA, batchShapeB);
  const outBatch = size(outBatchShape);
  const simpleBroadcast = (batchA === outBatch || batchA === 1) && (batchB === outBatch || batchB === 1);
  if (!simpleBroadcast || (bias != null && (biasv == null || biasv.length !== n))) return cpuFallback(name, args);
  const out = allocate(outBatch * m * n);
  addon().matmul(av, bv, biasv, out, [batchA, batchB, m, k, n, attrs.transposeA ? 1 : 0, attrs.transposeB ? 1 : 0], act);
  return output(backend, [...outBatchShape, m, n], out);
}

export const matmulKernels: Array<Omit<tf.KernelConfig, 'backendName'>> = [
  { kernelName: tf.BatchMatMul, kernelFunc: (args) => matmulImpl(tf.BatchMatMul, args, false) },
  { kernelName: tf._FusedMatMul, kernelFunc: (args) => matmulImpl(tf._FusedMatMul, args, true) },
];
