/**
 * Backend selection: d2l picks the best TensorFlow.js backend that loads on this machine.
 *
 * Order: `tensorflow` (@tensorflow/tfjs-node-gpu, then @tensorflow/tfjs-node) → `native` (d2l's oneDNN backend)
 * → `wasm` (XNNPACK, with d2l's training kernels) → `cpu` (pure JS, always works, slow).
 * `D2L_BACKEND=<name>` forces one of these names. A candidate that fails is recorded with its reason and
 * skipped; selection never crashes unless a forced backend cannot load.
 *
 * When: at import (`selectBackendAtImport`, run by src/backend/index.ts), as far as the walk gets synchronously —
 * tensorflow, native and cpu initialize synchronously, wasm does not. So when tfjs-node or the native addon loads
 * (or `D2L_BACKEND=cpu`), the first tfjs op after `import 'd2l'` already runs on it and `tryGpu()` is right
 * without an await. Otherwise (the walk reaches wasm) the choice waits for `ensureBackend()`, which every async
 * d2l function awaits. An import-time choice is provisional until the first `ensureBackend()`: if `D2L_BACKEND`
 * changed in between (a benchmark child sets it after its imports), that call selects again.
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
  /** The backend in use, or null before a backend has been selected. */
  selected: string | null;
  candidates: BackendCandidate[];
}

const TFJS_NODE_PACKAGES = ['@tensorflow/tfjs-node-gpu', '@tensorflow/tfjs-node'];
const NATIVE_LOADER = './native/load';

interface State { selected: string | null; candidates: BackendCandidate[]; gpu: boolean }
const state: State = { selected: null, candidates: [], gpu: false };
let pending: Promise<string> | null = null;
/** Set while the current selection is the import-time one: the `D2L_BACKEND` it was made under. */
let atImport: { forced: BackendName | null } | null = null;

/**
 * Loads one candidate and makes it tfjs' backend: returns a detail string, or throws an Error whose message is
 * why not.
 */
type SyncLoader = () => string | undefined;
type AsyncLoader = () => Promise<string | undefined>;

/** The candidates tfjs initializes synchronously: they can be selected at import. */
const syncLoaders: Partial<Record<BackendName, SyncLoader>> = {
  tensorflow: loadTensorflow,
  native: loadNative,
  cpu: () => {
    setBackendNow('cpu');
    return 'pure JavaScript (slow: ~8 s per LeNet step at batch 256)';
  },
};

const asyncLoaders: Partial<Record<BackendName, AsyncLoader>> = {
  wasm: async () => {
    const d = await loadWasmBackend();
    return `SIMD ${d.simd ? 'on' : 'off'}, threads ${d.threads ? 'on' : 'off (tfjs disables wasm threads in Node)'}`;
  },
};

/**
 * Selects and initializes the backend on the first call (idempotent; later calls return the same name). After an
 * import-time selection, the first call checks it was made under the `D2L_BACKEND` set now, else selects again.
 * @returns `tf.getBackend()` after selection.
 * @throws only if `D2L_BACKEND` names an unknown backend or one that cannot load.
 */
export function ensureBackend(): Promise<string> {
  if (atImport !== null) {
    if (!forcedBackendIs(atImport.forced)) resetBackendSelection();
    atImport = null;
  }
  if (!pending) {
    pending = select().catch((err: unknown) => {
      pending = null; // let a later call retry (e.g. after the user fixed D2L_BACKEND)
      throw err;
    });
  }
  return pending;
}

function forcedBackendIs(forced: BackendName | null): boolean {
  try {
    return setting('D2L_BACKEND') === forced;
  } catch {
    return false; // a bad value now: select() reports it
  }
}

/**
 * Selects at import what can be selected synchronously (see the module comment); d2l calls it once, when
 * src/backend is imported. Idempotent.
 * @returns the backend selected, or null when the choice is left to `ensureBackend()`.
 * @throws SettingError for a bad `D2L_BACKEND` or `D2L_NUM_THREADS` (import fails with that one message).
 */
export function selectBackendAtImport(): string | null {
  if (pending) return state.selected;
  const forced = setting('D2L_BACKEND');
  state.candidates = [];
  for (const name of candidateOrder(forced)) {
    const load = syncLoaders[name];
    if (!load) break; // the next candidate initializes asynchronously: ensureBackend() continues from scratch
    if (attemptNow(name, load).available) {
      const selected = finish(name, forced);
      pending = Promise.resolve(selected);
      atImport = { forced };
      return selected;
    }
  }
  state.candidates = []; // a forced backend that failed is reported, with its reason, by ensureBackend()
  return null;
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
  atImport = null;
  state.selected = null;
  state.candidates = [];
  state.gpu = false;
}

function candidateOrder(forced: BackendName | null): readonly BackendName[] {
  return forced ? [forced] : BACKEND_NAMES;
}

async function select(): Promise<string> {
  const forced = setting('D2L_BACKEND');
  state.candidates = [];
  for (const name of candidateOrder(forced)) {
    const load = syncLoaders[name];
    const c = load ? attemptNow(name, load) : await attemptAsync(name, asyncLoaders[name]!);
    if (c.available) return finish(name, forced);
  }
  if (forced) {
    const c = state.candidates[0];
    const others = BACKEND_NAMES.filter((n) => n !== forced && installedCheck(n) === null);
    throw new Error(`D2L_BACKEND=${forced}: the '${forced}' backend could not be loaded: ${c.reason}. ` +
      `Backends that look available here: ${others.join(', ')}. Set D2L_BACKEND to one of them, or unset it.`);
  }
  // Unreachable in practice: cpu ships inside @tensorflow/tfjs.
  throw new Error(`no TensorFlow.js backend could be initialized: ${state.candidates.map((c) => `${c.name}: ${c.reason}`).join('; ')}`);
}

function attemptNow(name: BackendName, load: SyncLoader): BackendCandidate {
  let outcome: { detail?: string } | { error: unknown };
  try {
    outcome = { detail: load() };
  } catch (err) {
    outcome = { error: err };
  }
  return record(name, outcome);
}

async function attemptAsync(name: BackendName, load: AsyncLoader): Promise<BackendCandidate> {
  let outcome: { detail?: string } | { error: unknown };
  try {
    outcome = { detail: await load() };
  } catch (err) {
    outcome = { error: err };
  }
  return record(name, outcome);
}

function record(name: BackendName, outcome: { detail?: string } | { error: unknown }): BackendCandidate {
  let c: BackendCandidate;
  if ('error' in outcome) {
    // A bad setting (e.g. D2L_NUM_THREADS=x) is the user's to fix, not a reason to fall back to a slower backend.
    if (outcome.error instanceof SettingError) throw outcome.error;
    c = { name, available: false, reason: describeError(outcome.error) };
  } else {
    c = { name, available: true, ...(outcome.detail ? { detail: outcome.detail } : {}) };
  }
  state.candidates.push(c);
  return c;
}

function finish(name: BackendName, forced: BackendName | null): string {
  if (!forced) {
    for (const rest of BACKEND_NAMES.slice(BACKEND_NAMES.indexOf(name) + 1)) {
      const why = installedCheck(rest);
      state.candidates.push(why === null
        ? { name: rest, available: true, reason: `not initialized: '${name}' was selected first` }
        : { name: rest, available: false, reason: why });
    }
  }
  state.selected = name;
  return tf.getBackend();
}

/**
 * Makes `name` tfjs' backend now. For backends whose factory is synchronous only: tfjs' `setBackend` then does all
 * its work before it returns its promise (`findBackend` initializes the instance first, so a failure shows here).
 */
function setBackendNow(name: string): void {
  if (tf.findBackend(name) == null) throw new Error(`tf.setBackend('${name}') failed: the backend did not initialize`);
  void tf.setBackend(name);
  if (tf.getBackend() !== name) throw new Error(`tf.setBackend('${name}') did not take effect`);
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

function loadTensorflow(): string {
  const failures: string[] = [];
  for (const pkg of TFJS_NODE_PACKAGES) {
    try {
      requireQuietly(pkg);
      setBackendNow('tensorflow');
      const backend = tf.backend() as unknown as { isUsingGpuDevice?: boolean };
      state.gpu = pkg.endsWith('-gpu') && backend.isUsingGpuDevice === true;
      return `${pkg} on ${state.gpu ? 'GPU' : 'CPU'}`;
    } catch (err) {
      failures.push(describeTfjsNodeFailure(pkg, err));
    }
  }
  throw new Error(failures.join('; '));
}

function loadNative(): undefined {
  let mod: { loadNativeBackend?: () => void };
  try {
    mod = require(NATIVE_LOADER);
  } catch (err) {
    if (isMissingModule(err, 'native/load')) throw new Error('not built into this d2l (src/backend/native/load is missing)');
    throw err;
  }
  if (typeof mod.loadNativeBackend !== 'function') throw new Error('native/load does not export loadNativeBackend()');
  mod.loadNativeBackend();
  setBackendNow('native');
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
