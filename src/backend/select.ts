/**
 * Backend selection: on first use d2l picks the best TensorFlow.js backend that loads on this machine.
 *
 * Order: `tensorflow` (@tensorflow/tfjs-node-gpu, then @tensorflow/tfjs-node) → `native` (d2l's oneDNN backend)
 * → `wasm` (XNNPACK, with d2l's training kernels) → `cpu` (pure JS, always works, slow).
 * `D2L_BACKEND=<name>` forces one of these names. A candidate that fails is recorded with its reason and
 * skipped; selection never crashes unless a forced backend cannot load.
 */
import * as tf from '@tensorflow/tfjs';
import { setting, SettingError } from '../settings';
import { loadWasmBackend } from './wasm/load';
import { BACKEND_NAMES, type BackendName } from './names';

export { BACKEND_NAMES };
export type { BackendName };

/** One backend d2l considered. */
export interface BackendCandidate {
  /** Backend name as in `D2L_BACKEND` and `tf.getBackend()`. */
  name: string;
  /** True if it loaded (or, for a candidate never tried because a better one won, if its package is installed). */
  available: boolean;
  /** Why it is unavailable, or why it was not tried. */
  reason?: string;
  /** Extra facts, e.g. "SIMD on, threads off (Node)" for wasm, "GPU" / "CPU" for tensorflow. */
  detail?: string;
}

/** Result of backend selection. */
export interface BackendInfo {
  /** The backend in use, or null before `ensureBackend()` has finished. */
  selected: string | null;
  candidates: BackendCandidate[];
}

const TFJS_NODE_PACKAGES = ['@tensorflow/tfjs-node-gpu', '@tensorflow/tfjs-node'];
const NATIVE_LOADER = './native/load';

interface State { selected: string | null; candidates: BackendCandidate[]; gpu: boolean }
const state: State = { selected: null, candidates: [], gpu: false };
let pending: Promise<string> | null = null;

/** Loader for one candidate: resolves to a detail string on success, throws an Error whose message is the reason. */
type Loader = () => Promise<string | undefined>;

const loaders: Record<BackendName, Loader> = {
  tensorflow: loadTensorflow,
  native: loadNative,
  wasm: async () => {
    const d = await loadWasmBackend();
    return `SIMD ${d.simd ? 'on' : 'off'}, threads ${d.threads ? 'on' : 'off (tfjs disables wasm threads in Node)'}`;
  },
  cpu: async () => {
    if (!(await tf.setBackend('cpu'))) throw new Error('tf.setBackend("cpu") failed');
    return 'pure JavaScript (slow: ~8 s per LeNet step at batch 256)';
  },
};

/**
 * Selects and initializes the backend on the first call (idempotent; later calls return the same name).
 * @returns `tf.getBackend()` after selection.
 * @throws only if `D2L_BACKEND` names an unknown backend or one that cannot load.
 */
export function ensureBackend(): Promise<string> {
  if (!pending) {
    pending = select().catch((err: unknown) => {
      pending = null; // let a later call retry (e.g. after the user fixed D2L_BACKEND)
      throw err;
    });
  }
  return pending;
}

/** What `ensureBackend()` chose and why each other candidate was skipped. */
export function backendInfo(): BackendInfo {
  return { selected: state.selected, candidates: state.candidates.map((c) => ({ ...c })) };
}

/** True when the selected backend computes on a GPU (tfjs-node-gpu with a usable CUDA device). */
export function selectedBackendUsesGpu(): boolean {
  return state.gpu;
}

/**
 * Forgets the selection so the next `ensureBackend()` selects again (reads `D2L_BACKEND` again).
 * For tests of the selection logic; not exported from d2l.
 */
export function resetBackendSelection(): void {
  pending = null;
  state.selected = null;
  state.candidates = [];
  state.gpu = false;
}

async function select(): Promise<string> {
  const forced = setting('D2L_BACKEND'); // an unknown name throws here, naming the ones d2l knows
  state.candidates = [];
  if (forced) {
    const c = await attempt(forced);
    if (!c.available) {
      const others = BACKEND_NAMES.filter((n) => n !== forced && installedCheck(n) === null);
      throw new Error(`D2L_BACKEND=${forced}: the '${forced}' backend could not be loaded: ${c.reason}. ` +
        `Backends that look available here: ${others.join(', ')}. Set D2L_BACKEND to one of them, or unset it.`);
    }
    return finish(forced);
  }
  for (const name of BACKEND_NAMES) {
    const c = await attempt(name);
    if (c.available) {
      for (const rest of BACKEND_NAMES.slice(BACKEND_NAMES.indexOf(name) + 1)) {
        const why = installedCheck(rest);
        state.candidates.push(why === null
          ? { name: rest, available: true, reason: `not initialized: '${name}' was selected first` }
          : { name: rest, available: false, reason: why });
      }
      return finish(name);
    }
  }
  // Unreachable in practice: cpu ships inside @tensorflow/tfjs.
  throw new Error(`no TensorFlow.js backend could be initialized: ${state.candidates.map((c) => `${c.name}: ${c.reason}`).join('; ')}`);
}

async function attempt(name: BackendName): Promise<BackendCandidate> {
  let c: BackendCandidate;
  try {
    const detail = await loaders[name]();
    c = { name, available: true, ...(detail ? { detail } : {}) };
  } catch (err) {
    // A bad setting (e.g. D2L_NUM_THREADS=x) is the user's to fix, not a reason to fall back to a slower backend.
    if (err instanceof SettingError) throw err;
    c = { name, available: false, reason: describeError(err) };
  }
  state.candidates.push(c);
  return c;
}

function finish(name: string): string {
  state.selected = name;
  silenceNodeBanner();
  return tf.getBackend();
}

/**
 * tfjs' cpu backend (and our native one, which extends it) prints a "Hi, looks like you are running TensorFlow.js
 * in Node.js" banner to stderr on its first tensor. d2l has already chosen the best backend that loads and
 * `backendInfo()` says why the others were skipped, so the banner only adds noise — and graders such as nbgrader
 * score any cell that writes to stderr as failed.
 */
function silenceNodeBanner(): void {
  for (const name of ['cpu', tf.getBackend()]) {
    try {
      const b = tf.findBackend(name) as unknown as { firstUse?: boolean } | null;
      if (b && b.firstUse === true) b.firstUse = false;
    } catch { /* backend not registered or failed to initialize: nothing to silence */ }
  }
}

/**
 * Requires a tfjs-node package without its kernel-registration warnings. An install whose native binding is
 * missing registers its kernels before it throws, so trying tfjs-node-gpu and then tfjs-node printed ~150
 * "kernel ... is already registered" lines; the failure itself is still recorded in backendInfo().
 */
function requireQuietly(pkg: string): void {
  const warn = console.warn;
  console.warn = (...args: unknown[]) => {
    if (!/is already registered/.test(String(args[0]))) warn(...args);
  };
  try {
    require(pkg);
  } finally {
    console.warn = warn;
  }
}

async function loadTensorflow(): Promise<string> {
  const failures: string[] = [];
  for (const pkg of TFJS_NODE_PACKAGES) {
    try {
      requireQuietly(pkg);
      if (!(await tf.setBackend('tensorflow'))) throw new Error(`${pkg} loaded but tf.setBackend('tensorflow') failed`);
      await tf.ready();
      const backend = tf.backend() as unknown as { isUsingGpuDevice?: boolean };
      state.gpu = pkg.endsWith('-gpu') && backend.isUsingGpuDevice === true;
      return `${pkg} on ${state.gpu ? 'GPU' : 'CPU'}`;
    } catch (err) {
      failures.push(describeTfjsNodeFailure(pkg, err));
    }
  }
  throw new Error(failures.join('; '));
}

async function loadNative(): Promise<undefined> {
  let mod: { loadNativeBackend?: () => Promise<void> };
  try {
    mod = require(NATIVE_LOADER);
  } catch (err) {
    if (isMissingModule(err, 'native/load')) throw new Error('not built into this d2l (src/backend/native/load is missing)');
    throw err;
  }
  if (typeof mod.loadNativeBackend !== 'function') throw new Error('native/load does not export loadNativeBackend()');
  await mod.loadNativeBackend();
  if (!(await tf.setBackend('native'))) throw new Error("loadNativeBackend() finished but tf.setBackend('native') failed");
  return undefined;
}

function describeTfjsNodeFailure(pkg: string, err: unknown): string {
  if (isMissingModule(err, pkg)) {
    return `Cannot find module '${pkg}' (not installed: it is an optional dependency, and npm skips it when its ` +
      'install script cannot download libtensorflow from storage.googleapis.com)';
  }
  return `${pkg}: ${describeError(err)}`;
}

function isMissingModule(err: unknown, id: string): boolean {
  const e = err as { code?: string; message?: string };
  return e?.code === 'MODULE_NOT_FOUND' && typeof e.message === 'string' && e.message.includes(id);
}

function describeError(err: unknown): string {
  if (err instanceof Error) return err.message.split('\n')[0];
  if (err && typeof err === 'object' && 'message' in err) return String((err as { message: unknown }).message);
  return String(err);
}

/** Cheap check (no loading) whether a backend's code is present; null if it looks installed, else the reason. */
function installedCheck(name: BackendName): string | null {
  const resolvable = (id: string) => { try { require.resolve(id); return true; } catch { return false; } };
  switch (name) {
    case 'tensorflow':
      return TFJS_NODE_PACKAGES.some(resolvable) ? null : `neither ${TFJS_NODE_PACKAGES.join(' nor ')} is installed`;
    case 'native':
      return resolvable(NATIVE_LOADER) ? null : 'not built into this d2l (src/backend/native/load is missing)';
    case 'wasm':
      return resolvable('@tensorflow/tfjs-backend-wasm') ? null : '@tensorflow/tfjs-backend-wasm is not installed';
    case 'cpu':
      return null;
  }
}
