/**
 * Memory limits of the active backend, so training can split a batch before it overflows.
 *
 * The wasm backend lives in one WebAssembly.Memory capped at 4 GiB (wasm32). An allocation beyond it aborts with
 * "memory access out of bounds". Emscripten's heap only grows, so the memory's size is also the peak use so far:
 * to measure a step's need, read `usedBytes` before and after one (micro-)batch. `tf.memory().numBytes` gives the
 * bytes held by live tensors at a moment.
 */
import * as tf from '@tensorflow/tfjs';

/** Maximum heap of tfjs-backend-wasm 4.22's build (emscripten getHeapMax(): 4 GiB minus one 64 KiB page). */
export const WASM_HEAP_LIMIT_BYTES = 4294901760;

/** Heap facts of the active backend. */
export interface HeapInfo {
  /** Hard limit of the backend's memory, or null when there is none to respect (cpu, tensorflow, native). */
  limitBytes: number | null;
  /** wasm: current (= peak so far) WebAssembly memory size; other backends: bytes of live tensors; null before init. */
  usedBytes: number | null;
}

/** Reports the wasm heap size and its 4 GiB limit (other backends: no limit, live tensor bytes). */
export function heapInfo(): HeapInfo {
  const engine = tf.engine();
  if (!engine.backendName) return { limitBytes: null, usedBytes: null };
  if (engine.backendName === 'wasm') {
    const wasm = (engine.backend as unknown as { wasm?: { HEAPU8?: Uint8Array } }).wasm;
    const bytes = wasm?.HEAPU8?.buffer.byteLength;
    return { limitBytes: WASM_HEAP_LIMIT_BYTES, usedBytes: typeof bytes === 'number' ? bytes : null };
  }
  return { limitBytes: null, usedBytes: tf.memory().numBytes };
}
