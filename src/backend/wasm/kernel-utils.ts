/**
 * Small helpers for writing wasm kernels out of other wasm kernels.
 *
 * Kernels here call the wasm backend's own kernel functions directly (not tf ops): that keeps every
 * intermediate outside the engine's tensor bookkeeping (so nothing shows up on a gradient tape or in
 * `tf.memory()`), and it makes disposal explicit: every intermediate is released with `free()`.
 */
import * as tf from '@tensorflow/tfjs';

/** The parts of tfjs-backend-wasm's `BackendWasm` these kernels use (kept structural: no runtime import). */
export interface WasmBackendLike {
  dataIdMap: { get(dataId: object): { id: number; memoryOffset: number; refCount: number } | undefined };
  makeOutput(shape: number[], dtype: tf.DataType, memoryOffset?: number): tf.TensorInfo;
  disposeData(dataId: object, force?: boolean): boolean;
  typedArrayFromHeap(info: tf.TensorInfo): Float32Array | Int32Array | Uint8Array;
  wasm: { HEAPU8: Uint8Array };
}

/** Kernel functions captured before any d2l patch was registered, keyed by kernel name. */
const originals = new Map<string, tf.KernelConfig>();

/** Remembers the wasm kernel registered under `name` so a patch can still delegate to it. */
export function rememberOriginal(name: string): tf.KernelConfig | undefined {
  if (!originals.has(name)) {
    const k = tf.getKernel(name, 'wasm');
    if (k) originals.set(name, k);
  }
  return originals.get(name);
}

/** The stock wasm kernel `name` (the original one if d2l replaced it). Throws if wasm has no such kernel. */
export function wasmKernel(name: string): tf.KernelConfig {
  const k = originals.get(name) ?? tf.getKernel(name, 'wasm');
  if (!k) throw new Error(`d2l wasm patches: the wasm backend has no '${name}' kernel to build on`);
  return k;
}

/** Runs the stock wasm kernel `name`. The caller owns (and must `free`) the result. */
export function run(
  backend: WasmBackendLike, name: string, inputs: Record<string, tf.TensorInfo>, attrs: object = {},
): tf.TensorInfo {
  const out = wasmKernel(name).kernelFunc({
    inputs: inputs as unknown as tf.NamedTensorInfoMap,
    backend: backend as unknown as tf.KernelBackend,
    attrs: attrs as unknown as tf.NamedAttrMap,
  });
  if (Array.isArray(out)) throw new Error(`d2l wasm patches: kernel '${name}' returned several outputs`);
  return out;
}

/** Releases an intermediate made by `run` or `makeOutput` (reference-counted, like the engine does). */
export function free(backend: WasmBackendLike, ...infos: tf.TensorInfo[]): void {
  for (const info of infos) backend.disposeData(info.dataId);
}

/** Float32 view of a tensor's data in the wasm heap. Take views *after* the last allocation (the heap may grow). */
export function f32(backend: WasmBackendLike, info: tf.TensorInfo): Float32Array {
  return backend.typedArrayFromHeap(info) as Float32Array;
}

/** Transpose via the wasm kernel. */
export function transpose(backend: WasmBackendLike, x: tf.TensorInfo, perm: number[]): tf.TensorInfo {
  return run(backend, 'Transpose', { x }, { perm });
}

/** 2-D convolution (NHWC, HWIO filter) via the wasm XNNPACK kernel, explicit or named padding. */
export function conv2d(
  backend: WasmBackendLike, x: tf.TensorInfo, filter: tf.TensorInfo,
  opts: { strides?: number; dilations?: number; pad: 'valid' | 'same' | [[number, number], [number, number], [number, number], [number, number]] },
): tf.TensorInfo {
  return run(backend, 'Conv2D', { x, filter }, {
    strides: opts.strides ?? 1, pad: opts.pad, dataFormat: 'NHWC', dilations: opts.dilations ?? 1,
    dimRoundingMode: undefined,
  });
}

type Pair = [number, number];

/** The inputs of MaxPoolGrad / AvgPoolGrad (dy, the forward input) and the pooling geometry they imply. */
export function poolGradArgs(args: { inputs: tf.NamedTensorInfoMap; attrs?: tf.NamedAttrMap; backend: unknown }) {
  const backend = args.backend as WasmBackendLike;
  const { dy, input } = args.inputs as { dy: tf.TensorInfo; input: tf.TensorInfo };
  const attrs = args.attrs as unknown as {
    filterSize: number | Pair; strides: number | Pair; pad: 'valid' | 'same' | number | tf.backend_util.ExplicitPadding;
    dimRoundingMode?: 'floor' | 'round' | 'ceil';
  };
  const info = tf.backend_util.computePool2DInfo(
    input.shape as [number, number, number, number], attrs.filterSize, attrs.strides, 1, attrs.pad, attrs.dimRoundingMode);
  return { backend, dy, input, info };
}
