/**
 * Registers d2l's training kernels for the wasm backend (see platform notes: stock wasm cannot train a conv net).
 *
 * - `Conv2DBackpropFilter`: missing in stock wasm → forward conv on transposed tensors.
 * - `MaxPoolGrad`: stock one is wrong for windows of non-positive values → exact JS kernel.
 * - `Conv2DBackpropInput`: stock one is a naive loop → forward conv (stride 1) or col2im via matmul (stride ≥ 2).
 * - `Tile`: stock one is element-by-element → block copies (used by the BatchNorm gradient).
 * - `AvgPoolGrad`: stock one is a slow scalar loop → JS scatter on the heap.
 * - `BatchMatMul`: stock one is slow for transposed operands (dense-layer gradients) → explicit transpose first.
 * - `Identity`: stock one copies; the engine clones every tensor saved for backprop → share by reference count.
 */
import * as tf from '@tensorflow/tfjs';
import { conv2DBackpropFilterConfig } from './conv2d-backprop-filter';
import { conv2DBackpropInputConfig } from './conv2d-backprop-input';
import { maxPoolGradConfig } from './max-pool-grad';
import { rememberOriginal } from './kernel-utils';
import { tileConfig } from './tile';
import { avgPoolGradConfig } from './avg-pool-grad';
import { batchMatMulConfig } from './batch-mat-mul';
import { identityConfig } from './identity';

/** The kernels d2l registers for 'wasm', in registration order. */
export const WASM_PATCHED_KERNELS = [
  conv2DBackpropFilterConfig, maxPoolGradConfig, conv2DBackpropInputConfig, tileConfig, avgPoolGradConfig, batchMatMulConfig,
  identityConfig,
];

let installed = false;

/** Whether d2l's wasm kernels have been registered. */
export function wasmPatchesInstalled(): boolean {
  return installed;
}

/**
 * Installs the patched kernels (d2l does it from its patch table, src/ops/patches.ts, when the wasm backend loads).
 * Call after `@tensorflow/tfjs-backend-wasm` was imported (it registers the stock kernels at import time;
 * registering before would be overwritten). Idempotent. Safe before or after the wasm
 * backend is initialized: each patch's setup also runs the stock kernel's setup it may delegate to.
 */
export function installWasmPatches(): void {
  if (installed) return;
  const ours = new Set<string>(WASM_PATCHED_KERNELS.map((k) => k.kernelName));
  // Stock kernels we build on must be captured before anything is replaced.
  for (const name of ['Conv2D', 'Transpose', 'Reverse', 'Slice', ...ours]) rememberOriginal(name);
  for (const config of WASM_PATCHED_KERNELS) {
    const original = rememberOriginal(config.kernelName);
    if (original) tf.unregisterKernel(config.kernelName, 'wasm');
    const setupFunc = original?.setupFunc;
    tf.registerKernel({ ...config, ...(setupFunc ? { setupFunc } : {}) });
    // If wasm is already the live backend the engine will not call setup again for a newly registered kernel.
    const engine = tf.engine();
    if (setupFunc && engine.backendName === 'wasm') setupFunc(engine.backend);
  }
  installed = true;
}
