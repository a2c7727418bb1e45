/**
 * The fused training-mode batch norm (src/ops/batch-norm-training.ts) on oneDNN's side of the house: OpenMP
 * loops in native/src/batchnorm.cc. Non-float32 inputs go to the JS kernels registered for 'cpu'.
 */
import * as tf from '@tensorflow/tfjs';
import type { MathBackendCPU } from '@tensorflow/tfjs-backend-cpu';
import { BATCH_NORM_TRAINING, BATCH_NORM_TRAINING_GRAD, BatchNormTrainingAttrs } from '../../../ops/batch-norm-training';
import { allocate } from '../buffer-pool';
import { addon, cpuFallback, f32, KernelArgs, output, TensorInfo } from '../util';

function batchNormTraining(args: KernelArgs): TensorInfo | TensorInfo[] {
  const backend = args.backend as MathBackendCPU;
  const { x, gamma, beta } = args.inputs as Record<string, TensorInfo>;
  const [xv, g, b] = [x, gamma, beta].map((t) => f32(backend, t));
  if (xv == null || g == null || b == null) return cpuFallback(BATCH_NORM_TRAINING, args);
  const { epsilon } = args.attrs as unknown as BatchNormTrainingAttrs;
  const channels = x.shape[x.shape.length - 1];
  const y = allocate(xv.length), mean = new Float32Array(channels), variance = new Float32Array(channels);
  addon().batchNormTraining(xv, g, b, y, mean, variance, channels, epsilon);
  return [output(backend, x.shape.slice(), y), output(backend, [channels], mean), output(backend, [channels], variance)];
}

function batchNormTrainingGrad(args: KernelArgs): TensorInfo | TensorInfo[] {
  const backend = args.backend as MathBackendCPU;
  const { dy, x, gamma, mean, variance } = args.inputs as Record<string, TensorInfo>;
  const vs = [dy, x, gamma, mean, variance].map((t) => f32(backend, t));
  if (vs.some((v) => v == null)) return cpuFallback(BATCH_NORM_TRAINING_GRAD, args);
  const [dyv, xv, g, m, v] = vs as Float32Array[];
  const { epsilon } = args.attrs as unknown as BatchNormTrainingAttrs;
  const channels = x.shape[x.shape.length - 1];
  const dx = allocate(xv.length), dgamma = new Float32Array(channels), dbeta = new Float32Array(channels);
  addon().batchNormTrainingGrad(dyv, xv, g, m, v, dx, dgamma, dbeta, channels, epsilon);
  return [output(backend, x.shape.slice(), dx), output(backend, [channels], dgamma), output(backend, [channels], dbeta)];
}

export const batchNormKernels: Array<Omit<tf.KernelConfig, 'backendName'>> = [
  { kernelName: BATCH_NORM_TRAINING, kernelFunc: batchNormTraining },
  { kernelName: BATCH_NORM_TRAINING_GRAD, kernelFunc: batchNormTrainingGrad },
];
