/**
 * Entry point used by backend selection (`src/backend/`): registers the oneDNN-backed tfjs backend
 * 'native', or throws an Error whose message says why it is unavailable and how to get it.
 */
import { applyThreadSetting, registerNativeBackend } from './backend';

export { NATIVE_BACKEND_NAME, NativeBackend, nativeKernelNames } from './backend';

/**
 * Registers the tfjs backend 'native' (idempotent) and applies `D2L_NUM_THREADS` as it is now. Synchronous, so
 * that importing d2l can select it at once. Does not make it the current backend.
 */
export function loadNativeBackend(): void {
  registerNativeBackend();
  applyThreadSetting();
}

/** Number of threads the native kernels use (OpenMP), or null when the addon cannot be loaded. */
export function nativeThreads(): number | null {
  try {
    // eslint-disable-next-line @typescript-eslint/no-var-requires
    return (require('./addon') as typeof import('./addon')).loadAddon().getNumThreads();
  } catch {
    return null;
  }
}
