/**
 * Loads and initializes the tfjs wasm backend in Node, with d2l's training kernels installed.
 */
import * as path from 'path';
import * as fs from 'fs';
import * as tf from '@tensorflow/tfjs';
import { installPatches } from '../../ops/patches';

const WASM_PACKAGE = '@tensorflow/tfjs-backend-wasm';

/** What was learned while loading wasm (shown by `backendInfo()`). */
export interface WasmDetails { simd: boolean; threads: boolean; binaryDir: string | null }

/**
 * Requires the wasm backend package, points it at its `.wasm` binaries inside node_modules (so it works however
 * d2l itself was bundled or launched), installs the patched kernels and makes 'wasm' the active backend.
 * Throws an Error whose message says why wasm is unavailable.
 */
export async function loadWasmBackend(): Promise<WasmDetails> {
  // eslint-disable-next-line @typescript-eslint/no-var-requires
  const wasmPkg = require(WASM_PACKAGE) as typeof import('@tensorflow/tfjs-backend-wasm');
  const binaryDir = findBinaryDir();
  if (binaryDir) {
    try {
      wasmPkg.setWasmPaths(binaryDir + path.sep);
    } catch {
      // Only throws after a failed init; the error from setBackend below then explains it.
    }
  }
  installPatches('wasm'); // d2l's training kernels: the 'wasm-kernels' row of src/ops/patches.ts
  const ok = await tf.setBackend('wasm');
  if (!ok) throw new Error(`${WASM_PACKAGE} did not initialize (its .wasm binary could not be loaded from ${binaryDir ?? 'its package directory'})`);
  await tf.ready();
  const simd = Boolean(await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT'));
  // Threads need Web Workers + SharedArrayBuffer; tfjs disables them under Node by design.
  const threads = Boolean(await tf.env().getAsync('WASM_HAS_MULTITHREAD_SUPPORT'));
  return { simd, threads, binaryDir };
}

/** Directory of the installed wasm package's `.wasm` files, or null if it cannot be located. */
function findBinaryDir(): string | null {
  try {
    const main = require.resolve(WASM_PACKAGE); // …/tfjs-backend-wasm/dist/tf-backend-wasm.node.js
    const dir = path.dirname(main);
    return fs.existsSync(path.join(dir, 'tfjs-backend-wasm-simd.wasm')) ? dir : null;
  } catch {
    return null;
  }
}
