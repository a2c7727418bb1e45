/**
 * The 'native' tfjs backend: tfjs' cpu backend (tensors stay in JS TypedArrays) whose heavy kernels
 * are replaced by oneDNN / OpenMP implementations. Every other kernel is the cpu one, run on the same
 * storage, so a kernel missing here costs speed, never a copy.
 */
import * as tf from '@tensorflow/tfjs';
import { MathBackendCPU } from '@tensorflow/tfjs-backend-cpu';
import { registerBatchNormJsKernels } from '../../ops/batch-norm-kernels';
import { setting } from '../../settings';
import { loadAddon } from './addon';
import { configurePool, exportValues, noteRegistered, release } from './buffer-pool';
import { forgetDeferred, readerCount, settleReadersOf } from './deferred-pad';
import { batchNormKernels } from './kernels/batch-norm';
import { convKernels } from './kernels/conv';
import { copyKernels } from './kernels/copy';
import { elementwiseKernels } from './kernels/elementwise';
import { matmulKernels } from './kernels/matmul';
import { poolKernels, releaseMaxPoolWorkspace } from './kernels/pool';
import { reduceKernels } from './kernels/reduce';

/** Name under which the backend is registered with tfjs. */
export const NATIVE_BACKEND_NAME = 'native';

/**
 * A cpu backend whose kernels registered under 'native' call into the oneDNN addon. It also tells the buffer
 * pool (./buffer-pool.ts) when storage is registered, handed out or dropped, so large buffers can be reused.
 */
export class NativeBackend extends MathBackendCPU {
  constructor() {
    super();
    // MathBackendCPU prints tfjs' "looks like you are running TensorFlow.js in Node.js … install our node
    // backend" banner on its first tensor while this flag is set; this *is* the fast Node backend it advertises.
    (this as unknown as { firstUse: boolean }).firstUse = false;
  }

  override write(values: tf.backend_util.BackendValues, shape: number[], dtype: tf.DataType): tf.DataId {
    noteRegistered(values);
    return super.write(values, shape, dtype);
  }

  override move(dataId: tf.DataId, values: tf.backend_util.BackendValues, shape: number[], dtype: tf.DataType,
                refCount: number): void {
    noteRegistered(values);
    super.move(dataId, values, shape, dtype, refCount);
  }

  override readSync(dataId: tf.DataId): tf.backend_util.BackendValues {
    return exportValues(super.readSync(dataId));
  }

  /** The references tfjs counts: those of deferred pads (./deferred-pad.ts) are the backend's own, not carried by a move. */
  override refCount(dataId: tf.DataId): number {
    return super.refCount(dataId) - readerCount(dataId);
  }

  override disposeData(dataId: tf.DataId, force = false): boolean {
    // forced (tfjs moving the tensor to another backend): deferred pads reading this storage take their copy first
    if (force) settleReadersOf(this, dataId);
    const entry = this.data.get(dataId);
    const released = super.disposeData(dataId, force);
    if (entry != null && !this.data.has(dataId)) {
      // a deferred pad's storage is a getter that would write the padding out: it only lets go of its source
      if (!forgetDeferred(this, dataId)) release(entry.values);
      releaseMaxPoolWorkspace(dataId);
    }
    return released;
  }
}

/** Kernels with a native implementation (each falls back to cpu for dtypes/layouts it does not handle). */
export const nativeKernels: Array<Omit<tf.KernelConfig, 'backendName'>> = [
  ...convKernels, ...matmulKernels, ...poolKernels, ...elementwiseKernels, ...reduceKernels,
  ...copyKernels, ...batchNormKernels,
];

/** Names of the natively implemented kernels. */
export function nativeKernelNames(): string[] {
  return nativeKernels.map((k) => k.kernelName);
}

let registered = false;

/**
 * Sets the kernels' thread count from `D2L_NUM_THREADS` when it is set (else OpenMP's default, one per core stays).
 * Called at registration and again whenever backend selection picks 'native', so a value set after import counts.
 */
export function applyThreadSetting(): void {
  const threads = setting('D2L_NUM_THREADS');
  if (threads !== null) loadAddon().setNumThreads(threads);
}

/**
 * Registers backend + kernels once. Loads the addon first, so a missing build throws before anything is
 * registered. Threads: `applyThreadSetting`; OMP_WAIT_POLICY defaults to passive. The priority (3) is above
 * wasm's and webgl's (2) and cpu's (1), so tfjs itself picks 'native' for a first op when nothing set a backend.
 */
export function registerNativeBackend(priority = 3): void {
  if (registered) return;
  // libgomp reads this when the addon loads it. Spinning workers (the default) make every kernel wait for
  // a time slice when the cores are shared (a notebook next to other processes): measured 10x slower steps.
  // (An OpenMP variable, not one of d2l's switches: it is only defaulted here, never parsed.)
  if (process.env.OMP_WAIT_POLICY === undefined) process.env.OMP_WAIT_POLICY = 'passive';
  loadAddon();
  applyThreadSetting();
  configurePool();
  // Make sure the cpu kernels exist to copy (importing tfjs registers them), d2l's fused batch norm among them.
  registerBatchNormJsKernels();
  const cpuKernels = tf.getKernelsForBackend('cpu');
  if (cpuKernels.length === 0) throw new Error('native backend unavailable: tfjs cpu kernels are not registered');
  const own = new Set(nativeKernelNames());
  for (const k of cpuKernels) {
    if (!own.has(k.kernelName)) tf.registerKernel({ ...k, backendName: NATIVE_BACKEND_NAME });
  }
  for (const k of nativeKernels) tf.registerKernel({ ...k, backendName: NATIVE_BACKEND_NAME });
  const ok = tf.registerBackend(NATIVE_BACKEND_NAME, () => new NativeBackend(), priority);
  if (!ok && tf.findBackendFactory(NATIVE_BACKEND_NAME) == null) {
    throw new Error('native backend unavailable: tf.registerBackend refused the name "native"');
  }
  registered = true;
}
