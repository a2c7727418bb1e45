/**
 * Fast `Tile` for the wasm backend.
 *
 * The stock kernel computes every output element's source index one by one; the FusedBatchNorm gradient tiles a
 * [1,1,1,C] vector to the full activation shape on every step, which made it one of the slowest ops in a training
 * step. Tiling is block copying: build the innermost axis once, then repeat whole blocks with `copyWithin`
 * (a memmove), outermost axes last. Works for every numeric dtype; strings use the stock kernel.
 */
import * as tf from '@tensorflow/tfjs';
import { run, WasmBackendLike } from './kernel-utils';

type Numeric = Float32Array | Int32Array | Uint8Array;

function tileWasm(args: { inputs: tf.NamedTensorInfoMap; attrs?: tf.NamedAttrMap; backend: unknown }): tf.TensorInfo {
  const backend = args.backend as WasmBackendLike;
  const { x } = args.inputs as { x: tf.TensorInfo };
  const { reps } = args.attrs as unknown as { reps: number[] };
  if (x.dtype === 'string' || x.shape.length === 0) return run(backend, 'Tile', { x }, { reps });
  const inShape = x.shape;
  const outShape = inShape.map((d, i) => d * reps[i]);
  const out = backend.makeOutput(outShape, x.dtype);
  if (outShape.some((d) => d === 0)) return out;
  const dst = backend.typedArrayFromHeap(out) as Numeric; // views after the allocation: it may have grown the heap
  const src = backend.typedArrayFromHeap(x) as Numeric;
  const rank = inShape.length;
  const inStrides = stridesOf(inShape);
  const outStrides = stridesOf(outShape);

  /** Writes x[prefix…] tiled along axes ≥ axis at dst[dstOff…]. */
  const fill = (axis: number, srcOff: number, dstOff: number): void => {
    const d = inShape[axis];
    if (axis === rank - 1) {
      if (d === 1) dst.fill(src[srcOff], dstOff, dstOff + reps[axis]);
      else {
        dst.set(src.subarray(srcOff, srcOff + d), dstOff);
        copyRepeats(dst, dstOff, d, reps[axis]);
      }
      return;
    }
    for (let j = 0; j < d; j++) fill(axis + 1, srcOff + j * inStrides[axis], dstOff + j * outStrides[axis]);
    copyRepeats(dst, dstOff, d * outStrides[axis], reps[axis]);
  };
  fill(0, 0, 0);
  return out;
}

/** dst[off + k·block … ] = dst[off … off+block) for k = 1 … times−1, doubling the copied span each round. */
function copyRepeats(dst: Numeric, off: number, block: number, times: number): void {
  let have = 1;
  while (have < times) {
    const n = Math.min(have, times - have);
    dst.copyWithin(off + have * block, off, off + n * block);
    have += n;
  }
}

function stridesOf(shape: number[]): number[] {
  const s = new Array<number>(shape.length).fill(1);
  for (let i = shape.length - 2; i >= 0; i--) s[i] = s[i + 1] * shape[i + 1];
  return s;
}

/** Kernel config registered for backend 'wasm' (replaces the stock one, kept for strings). */
export const tileConfig: tf.KernelConfig = {
  kernelName: 'Tile',
  backendName: 'wasm',
  kernelFunc: tileWasm as unknown as tf.KernelFunc,
};
