/**
 * Backends: selection (`ensureBackend`, `backendInfo`), devices (`tryGpu`), heap limits (`heapInfo`),
 * `file://` model files, and the wasm training kernels that make the wasm backend able to train conv nets.
 */
import { registerFileRouter } from './file-io';
import { installFusedBatchNorm } from '../ops/keras-batch-norm';
import { installLeanGradients } from '../ops/lean-gradients';
import { installActivationGradients } from '../ops/activation-gradients';
import { installConvTraining } from '../ops/conv-training';

export { ensureBackend, backendInfo, BACKEND_NAMES } from './select';
export type { BackendInfo, BackendCandidate, BackendName } from './select';
export { Device, tryGpu, numGpus, cpu } from './device';
export { heapInfo, WASM_HEAP_LIMIT_BYTES } from './heap';
export type { HeapInfo } from './heap';
export { registerFileRouter, fileIOHandler } from './file-io';

// `model.save('file://…')` should work as soon as d2l is imported, even before a backend is selected.
registerFileRouter();

// Training-mode tf.layers.batchNormalization runs as one fused kernel on cpu, wasm and native (src/ops).
installFusedBatchNorm();
// ReLU's and sigmoid's gradients in one pass each on native (tfjs: 2 and 3 passes).
installActivationGradients();
// Training-time conv layers: conv + bias in one kernel, gradients computed only where needed.
installConvTraining();
// Backprop releases each node's saved tensors and consumed gradients as it goes (peak memory ~ PyTorch's).
installLeanGradients();
