/**
 * Locates and loads the compiled oneDNN addon (`native/build/Release/d2l_native.node`), or explains
 * why it cannot be loaded. The addon is built at install time by `scripts/build-native.js`.
 */
import * as fs from 'fs';
import * as path from 'path';
import { setting } from '../../settings';

/** Functions exported by the C++ addon (see native/src/*.cc). Buffers are written in place. */
export interface NativeAddon {
  setNumThreads(n: number): number;
  getNumThreads(): number;
  onednnVersion(): string;
  /** The ISA oneDNN's kernels use (e.g. 'avx2', 'avx512_core'): the CPU's best unless ONEDNN_MAX_CPU_ISA caps it. */
  cpuIsa(): string;
  /** The core clock (GHz) with `threads` cores busy, timed on a chain of dependent adds; 0 where it cannot tell. */
  measureClockGhz?(threads: number): number;
  /** Asks Linux for 2 MiB pages for a fresh buffer's whole huge pages (MADV_HUGEPAGE); false where it cannot. */
  adviseHugePages(buffer: Float32Array): boolean;
  releasePages(buffer: Float32Array): boolean;
  /** An ArrayBuffer of `bytes` over reserved address space for the pool's arena (native/src/arena.cc); null if refused. */
  arenaChunk(bytes: number, hugePages: boolean): ArrayBuffer | null;
  conv2d(x: Float32Array, w: Float32Array, bias: Float32Array | null, out: Float32Array, p: number[], act: number): void;
  conv2dBackwardData(dy: Float32Array, w: Float32Array, dx: Float32Array, p: number[]): void;
  conv2dBackwardWeights(x: Float32Array, dy: Float32Array, dw: Float32Array, p: number[]): void;
  matmul(a: Float32Array, b: Float32Array, bias: Float32Array | null, out: Float32Array, p: number[], act: number): void;
  pool(x: Float32Array, out: Float32Array, p: number[], isMax: boolean): void;
  maxPoolGrad(dy: Float32Array, x: Float32Array, dx: Float32Array, p: number[]): void;
  maxPoolWorkspaceBytes(p: number[]): number;
  maxPoolForTraining(x: Float32Array, y: Float32Array, ws: Float32Array, p: number[]): void;
  maxPoolGradFromWorkspace(dy: Float32Array, ws: Float32Array, dx: Float32Array, p: number[]): void;
  avgPoolGrad(dy: Float32Array, dx: Float32Array, p: number[], excludePadding: boolean): void;
  binary(op: number, a: Float32Array, b: Float32Array, out: Float32Array, outShape: number[], aShape: number[], bShape: number[]): void;
  unary(op: number, x: Float32Array, out: Float32Array, alpha: number): void;
  tile(x: Float32Array, out: Float32Array, xShape: number[], reps: number[]): void;
  batchNorm(x: Float32Array, mean: Float32Array, variance: Float32Array, offset: Float32Array | null,
    scale: Float32Array | null, out: Float32Array, channels: number, epsilon: number): void;
  batchNormTraining(x: Float32Array, gamma: Float32Array, beta: Float32Array, y: Float32Array, mean: Float32Array,
    variance: Float32Array, channels: number, epsilon: number): void;
  batchNormTrainingGrad(dy: Float32Array, x: Float32Array, gamma: Float32Array, mean: Float32Array,
    variance: Float32Array, dx: Float32Array, dgamma: Float32Array, dbeta: Float32Array, channels: number,
    epsilon: number): void;
  slice(x: Float32Array, out: Float32Array, xShape: number[], begin: number[], size: number[]): void;
  pad(x: Float32Array, out: Float32Array, xShape: number[], before: number[], outShape: number[], constant: number): void;
  concat(inputs: Float32Array[], widths: number[], out: Float32Array, outer: number): void;
  reduceSum(x: Float32Array, out: Float32Array, outer: number, r: number, inner: number, scale: number): void;
}

const HOW_TO_FIX =
  'Install oneDNN (Debian/Ubuntu: `apt-get install libdnnl-dev`; macOS: `brew install onednn`), then run ' +
  '`npm rebuild d2l` or `node scripts/build-native.js` in the d2l package directory.';

/** The d2l package root: the nearest ancestor directory with a package.json named "d2l". */
export function packageRoot(): string {
  let dir = __dirname;
  for (;;) {
    const pj = path.join(dir, 'package.json');
    if (fs.existsSync(pj)) {
      try {
        if (JSON.parse(fs.readFileSync(pj, 'utf8')).name === 'd2l') return dir;
      } catch {
        // unreadable package.json: keep walking up
      }
    }
    const parent = path.dirname(dir);
    if (parent === dir) throw new Error('d2l native backend: cannot find the d2l package root above ' + __dirname);
    dir = parent;
  }
}

/** Path of the compiled addon (env D2L_NATIVE_ADDON overrides, for tests of other builds). */
export function addonPath(): string {
  return setting('D2L_NATIVE_ADDON') ?? path.join(packageRoot(), 'native', 'build', 'Release', 'd2l_native.node');
}

let cached: NativeAddon | null = null;

/** Loads the addon once; throws an Error saying why it is unavailable and how to get it. */
export function loadAddon(): NativeAddon {
  if (cached) return cached;
  const file = addonPath();
  if (!fs.existsSync(file)) {
    let reason = 'the native addon was not built';
    const reasonFile = path.join(path.dirname(file), '..', 'REASON.txt');
    if (fs.existsSync(reasonFile)) reason = fs.readFileSync(reasonFile, 'utf8').trim().split('\n')[0];
    throw new Error(`native backend unavailable: ${reason}. ${HOW_TO_FIX}`);
  }
  try {
    // eslint-disable-next-line @typescript-eslint/no-var-requires
    cached = require(file) as NativeAddon;
  } catch (e) {
    throw new Error(`native backend unavailable: loading ${file} failed (${(e as Error).message}). ${HOW_TO_FIX}`);
  }
  return cached;
}
