/**
 * The backend names d2l selects from, in priority order. Apart from select.ts so that src/settings.ts can check
 * `D2L_BACKEND` without loading TensorFlow.js (`d2l run` reads settings in a process that never loads it).
 */
export const BACKEND_NAMES = ['tensorflow', 'native', 'wasm', 'cpu'] as const;
export type BackendName = (typeof BACKEND_NAMES)[number];
