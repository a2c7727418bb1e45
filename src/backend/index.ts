/**
 * Backends: selection (`ensureBackend`, `backendInfo`), devices (`tryGpu`), heap limits (`heapInfo`),
 * `file://` model files, and the wasm training kernels that make the wasm backend able to train conv nets.
 *
 * Importing it installs d2l's patches of tfjs (the table in src/ops/patches.ts; `d2l.patches()` reports them),
 * then selects the best backend that initializes synchronously (src/backend/select.ts), so the first tfjs op
 * already runs on it.
 */
import { installPatches } from '../ops/patches';
import { selectBackendAtImport } from './select';

export { ensureBackend, backendInfo, BACKEND_NAMES } from './select';
export type { BackendInfo, BackendCandidate, BackendName } from './select';
export { Device, tryGpu, numGpus, cpu } from './device';
export { heapInfo, WASM_HEAP_LIMIT_BYTES } from './heap';
export type { HeapInfo } from './heap';
export { registerFileRouter, fileIOHandler } from './file-io';

installPatches();
selectBackendAtImport();
