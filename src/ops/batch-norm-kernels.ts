/**
 * The fused training-mode batch-norm kernels for the backends whose tensors JS can read in place:
 * 'cpu' (TypedArrays) and 'wasm' (views of its heap). The native backend registers C++ versions of the same
 * kernels (src/backend/native/kernels/batch-norm.ts). Arithmetic: ./batch-norm-math.ts.
 */
import * as tf from '@tensorflow/tfjs';
import { batchNormTrainingBackward, channelMoments, normalize } from './batch-norm-math';
import { BATCH_NORM_TRAINING, BATCH_NORM_TRAINING_GRAD, BatchNormTrainingAttrs } from './batch-norm-training';

type KernelArgs = Parameters<tf.KernelFunc>[0];

/** How a backend hands out tensor storage as Float32Arrays and makes outputs. */
interface Storage {
  /** Allocates the outputs (all float32), then returns views of inputs and outputs (wasm: views after growth). */
  run(inputs: tf.TensorInfo[], outShapes: number[][], body: (ins: Float32Array[], outs: Float32Array[]) => void):
    tf.TensorInfo[];
}

interface CpuBackendLike {
  data: { get(dataId: object): { values: unknown } };
  makeTensorInfo(shape: number[], dtype: 'float32', values: Float32Array): tf.TensorInfo;
}

interface WasmBackendLike {
  makeOutput(shape: number[], dtype: 'float32'): tf.TensorInfo;
  typedArrayFromHeap(info: tf.TensorInfo): Float32Array;
}

function cpuStorage(backend: CpuBackendLike): Storage {
  return {
    run(inputs, outShapes, body) {
      const ins = inputs.map((t) => {
        const v = backend.data.get(t.dataId).values;
        return v instanceof Float32Array ? v : Float32Array.from(v as ArrayLike<number>);
      });
      const outs = outShapes.map((s) => new Float32Array(s.reduce((a, b) => a * b, 1)));
      body(ins, outs);
      return outs.map((v, i) => backend.makeTensorInfo(outShapes[i], 'float32', v));
    },
  };
}

function wasmStorage(backend: WasmBackendLike): Storage {
  return {
    run(inputs, outShapes, body) {
      const outInfos = outShapes.map((s) => backend.makeOutput(s, 'float32'));
      // Views only after the last allocation: growing the heap detaches earlier views.
      body(inputs.map((t) => backend.typedArrayFromHeap(t)), outInfos.map((t) => backend.typedArrayFromHeap(t)));
      return outInfos;
    },
  };
}

function checkFloat32(kernel: string, inputs: Record<string, tf.TensorInfo>): void {
  for (const [name, t] of Object.entries(inputs)) {
    if (t.dtype !== 'float32') throw new Error(`${kernel}: input ${name} must be float32, got ${t.dtype}`);
  }
}

/** Kernel function for `D2lBatchNormTraining` on top of a storage adapter. */
export function batchNormTrainingKernel(storage: (backend: unknown) => Storage): tf.KernelFunc {
  return (args: KernelArgs) => {
    const { x, gamma, beta } = args.inputs as Record<string, tf.TensorInfo>;
    checkFloat32(BATCH_NORM_TRAINING, { x, gamma, beta });
    const { epsilon } = args.attrs as unknown as BatchNormTrainingAttrs;
    const channels = x.shape[x.shape.length - 1];
    return storage(args.backend).run([x, gamma, beta], [x.shape, [channels], [channels]], ([xv, g, b], [y, m, v]) => {
      channelMoments(xv, channels, m, v);
      normalize(xv, g, b, m, v, epsilon, y);
    });
  };
}

/** Kernel function for `D2lBatchNormTrainingGrad` on top of a storage adapter. */
export function batchNormTrainingGradKernel(storage: (backend: unknown) => Storage): tf.KernelFunc {
  return (args: KernelArgs) => {
    const { dy, x, gamma, mean, variance } = args.inputs as Record<string, tf.TensorInfo>;
    checkFloat32(BATCH_NORM_TRAINING_GRAD, { dy, x, gamma, mean, variance });
    const { epsilon } = args.attrs as unknown as BatchNormTrainingAttrs;
    const channels = x.shape[x.shape.length - 1];
    return storage(args.backend).run([dy, x, gamma, mean, variance], [x.shape, [channels], [channels]],
      ([dyv, xv, g, m, v], [dx, dg, db]) => batchNormTrainingBackward(dyv, xv, g, m, v, epsilon, dx, dg, db));
  };
}

let registered = false;

/** Registers the JS kernels for 'cpu' and 'wasm' (a registry entry only: neither backend has to be loaded). */
export function registerBatchNormJsKernels(): void {
  if (registered) return;
  const adapters: Record<string, (backend: unknown) => Storage> = {
    cpu: (b) => cpuStorage(b as CpuBackendLike),
    wasm: (b) => wasmStorage(b as WasmBackendLike),
  };
  for (const [backendName, storage] of Object.entries(adapters)) {
    for (const [kernelName, make] of [[BATCH_NORM_TRAINING, batchNormTrainingKernel],
      [BATCH_NORM_TRAINING_GRAD, batchNormTrainingGradKernel]] as const) {
      if (tf.getKernel(kernelName, backendName) == null) {
        tf.registerKernel({ kernelName, backendName, kernelFunc: make(storage) });
      }
    }
  }
  registered = true;
}
