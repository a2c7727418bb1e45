/**
 * Zero padding of height and width, deferred: `PadV2` returns a tensor that only records its source and its
 * pads, and the convolutions read it as the unpadded source with wider padding of their own.
 *
 * Why: the chapter's models pad like PyTorch with an explicit `zeroPadding2d` before a 'valid' conv (a stride-2
 * 'same' conv in tfjs would pad only bottom and right). Written out, that padding is a copy of every ResNet block's
 * input, kept until the backward pass (the conv's filter gradient needs its input), and oneDNN runs the padded
 * problem slower than the same conv with padding: ResNet-18's 512-channel backward-filter pass at 5×5 'valid' took
 * 187 ms against 130 ms at 3×3 with padding 1 (AVX2, Zen 4).
 *
 * Every other reader gets the padded values: the tensor's storage is a getter that writes them out on first use
 * (a cpu kernel, `dataSync`, another backend), after which the tensor is an ordinary one. The source's storage is
 * held with a backend reference until then, so the source may be disposed, and in-place updates (SGD on a
 * variable) leave storage alone while a second reference exists.
 */
import * as tf from '@tensorflow/tfjs';
import type { MathBackendCPU } from '@tensorflow/tfjs-backend-cpu';
import { allocate, allocateScratch, noteRegistered, release } from './buffer-pool';
import { addon, f32, size, TensorInfo } from './util';

/**
 * What a deferred padded tensor stands for: its source, that source's NHWC shape, and the pads before H and W (those
 * after follow from the padded tensor's own shape).
 */
export interface DeferredPad {
  source: tf.DataId;
  sourceShape: [number, number, number, number];
  top: number;
  left: number;
}

interface StorageEntry { values: unknown; dtype: string; refCount: number }

const deferred = new WeakMap<tf.DataId, DeferredPad>();
/** The deferred pads still reading each source (for `settleReadersOf`). */
const readers = new WeakMap<tf.DataId, Set<tf.DataId>>();

/** The deferred pad behind `t`, or undefined when `t` is an ordinary tensor. */
export function deferredPad(t: TensorInfo | undefined | null): DeferredPad | undefined {
  return t == null ? undefined : deferred.get(t.dataId);
}

/** The source's storage of a deferred pad (never itself deferred: `deferPadding` refuses such sources). */
export function sourceValues(backend: MathBackendCPU, d: DeferredPad): Float32Array {
  return (backend.data.get(d.source) as StorageEntry).values as Float32Array;
}

/**
 * `x` zero-padded by `paddings`, deferred, when it is a float32 NHWC tensor padded on height and width only;
 * else null (the caller pads now).
 */
export function deferPadding(backend: MathBackendCPU, x: TensorInfo, paddings: Array<[number, number]>,
                             constantValue: number): TensorInfo | null {
  if (x.dtype !== 'float32' || x.shape.length !== 4 || constantValue !== 0 || deferred.has(x.dataId)) return null;
  const [[n0, n1], [t, b], [l, r], [c0, c1]] = paddings;
  if (n0 !== 0 || n1 !== 0 || c0 !== 0 || c1 !== 0 || t < 0 || b < 0 || l < 0 || r < 0) return null;
  if (f32(backend, x) == null) return null;
  const outShape = x.shape.map((d, i) => paddings[i][0] + d + paddings[i][1]);
  const placeholder = new Float32Array(0);
  const out = backend.makeTensorInfo(outShape, 'float32', placeholder);
  const entry = backend.data.get(out.dataId) as StorageEntry;
  const d: DeferredPad = { source: x.dataId, sourceShape: x.shape.slice() as DeferredPad['sourceShape'], top: t, left: l };
  backend.incRef(x.dataId);
  deferred.set(out.dataId, d);
  const set = readers.get(x.dataId) ?? new Set<tf.DataId>();
  set.add(out.dataId);
  readers.set(x.dataId, set);
  Object.defineProperty(entry, 'values', {
    configurable: true, enumerable: true,
    get: () => {
      const values = writePadded(backend, d, allocate(size(outShape)), outShape);
      settle(backend, out.dataId, entry, values);
      release(placeholder);
      noteRegistered(values);
      return values;
    },
    set: (values: unknown) => settle(backend, out.dataId, entry, values),
  });
  return out;
}

/**
 * Runs `f` on the values of `t`. A deferred pad is written out into a scratch buffer for the call only and stays
 * deferred, so a reader that keeps nothing of its input (max pooling: its gradient uses the saved argmax) does not
 * turn the pad into storage that lives as long as the tape (164 MB at ResNet-18's stem pool, batch 256).
 */
export function withValues<T>(backend: MathBackendCPU, t: TensorInfo, f: (values: Float32Array | null) => T): T {
  const d = deferred.get(t.dataId);
  if (d === undefined) return f(f32(backend, t));
  const scratch = allocateScratch(size(t.shape));
  try {
    return f(writePadded(backend, d, scratch, t.shape));
  } finally {
    release(scratch);
  }
}

/** Writes the padded values of `d` (padded shape `shape`) into `out`, every element, and returns it. */
function writePadded(backend: MathBackendCPU, d: DeferredPad, out: Float32Array, shape: number[]): Float32Array {
  addon().pad(sourceValues(backend, d), out, d.sourceShape, [0, d.top, d.left, 0], shape, 0);
  return out;
}

/** Makes `entry` an ordinary storage entry holding `values` and lets go of the source. */
function settle(backend: MathBackendCPU, id: tf.DataId, entry: StorageEntry, values: unknown): void {
  Object.defineProperty(entry, 'values', { value: values, writable: true, configurable: true, enumerable: true });
  forgetDeferred(backend, id);
}

/** Called as the backend drops `id`'s storage: true (and the source let go) if it was a deferred pad. */
export function forgetDeferred(backend: MathBackendCPU, id: tf.DataId): boolean {
  const d = deferred.get(id);
  if (d === undefined) return false;
  deferred.delete(id);
  readers.get(d.source)?.delete(id);
  backend.disposeData(d.source);
  return true;
}

/** How many of `source`'s backend references are deferred pads' (not its users': see `NativeBackend.refCount`). */
export function readerCount(source: tf.DataId): number {
  return readers.get(source)?.size ?? 0;
}

/**
 * Writes out every deferred pad that reads `source`. The backend calls it before it drops `source`'s storage
 * whatever its references (tfjs does that when it moves a tensor to another backend: `disposeData(id, true)`).
 */
export function settleReadersOf(backend: MathBackendCPU, source: tf.DataId): void {
  const ids = readers.get(source);
  if (ids === undefined) return;
  for (const id of [...ids]) void (backend.data.get(id) as StorageEntry | undefined)?.values; // the getter settles it
  readers.delete(source);
}
