/**
 * Devices, as the book's `try_gpu()` returns them.
 *
 * TensorFlow.js has no per-tensor device: the backend decides where everything runs. A `Device` therefore names
 * the backend and the kind of processor it computes on. `toString()` is `<backend>:<type>:<index>`, e.g.
 * `wasm:cpu:0`, `native:cpu:0`, `tensorflow:gpu:0` (the book prints `cuda:0`; naming the backend tells the reader
 * which engine produced the timings of `trainCh6`).
 */
import * as tf from '@tensorflow/tfjs';
import { backendInfo, selectedBackendUsesGpu } from './select';

/** Where computation runs: a backend and a processor of that backend. */
export class Device {
  constructor(readonly backend: string, readonly type: 'cpu' | 'gpu', readonly index: number = 0) {}

  /** `<backend>:<type>:<index>`, e.g. `wasm:cpu:0`. */
  toString(): string {
    return `${this.backend}:${this.type}:${this.index}`;
  }
}

/** Number of GPUs the selected backend computes on (0 or 1: tfjs-node-gpu uses one device). */
export function numGpus(): number {
  return selectedBackendUsesGpu() ? 1 : 0;
}

/**
 * The book's `try_gpu(i)`: GPU `i` if the selected backend has it, otherwise the backend's CPU device.
 * Synchronous. Right after `import 'd2l'` when the best backend initializes synchronously (tfjs-node, native;
 * src/backend/select.ts); when only wasm is left, `await ensureBackend()` (or any async d2l function) selects it,
 * and before that this describes the backend tf is currently using without selecting one.
 */
export function tryGpu(i = 0): Device {
  const backend = currentBackendName();
  if (numGpus() >= i + 1) return new Device(backend, 'gpu', i);
  return new Device(backend, 'cpu', 0);
}

/** The book's `cpu()`: the selected backend's CPU device. */
export function cpu(): Device {
  return new Device(currentBackendName(), 'cpu', 0);
}

function currentBackendName(): string {
  // Reading tf.getBackend() before selection would make tf pick (and initialize) a backend itself.
  return backendInfo().selected ?? (tf.engine().backendName || 'unselected');
}
