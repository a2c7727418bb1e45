/**
 * Recycles the output buffers (≥ 4 KiB) of native kernels.
 *
 * Why: every fresh ArrayBuffer counts toward V8's garbage-collection triggers (see `MIN_ELEMENTS`), and a fresh
 * `new Float32Array(n)` of a few hundred MB is mapped lazily by the OS, so the kernel that first writes it pays a
 * page fault per 4 KiB: measured 184 ms for a ReLU over 411 MB into a fresh buffer versus 34 ms
 * into a reused one. Training steps allocate the same sizes every step, so buffers released by tfjs (the tensor
 * was disposed and nothing else refers to its storage) go back to a per-size free list and the next kernel that
 * needs that size takes one.
 *
 * A buffer is only recycled when nothing else can still see its memory:
 * - it was allocated here, and is registered as exactly one tensor's storage, never as a view or twice
 *   (tfjs' cpu kernels make `subarray` views for contiguous slices);
 * - it was never handed out by `readSync`/`dataSync` (the cpu backend returns its storage itself, and a
 *   student may keep that array after disposing the tensor).
 * Memory: the bytes of live pooled-size buffers plus the free lists never exceed the high-water mark of the live
 * bytes alone plus 32 MiB (`SLACK_BYTES`). When an allocation would break that, the oldest free buffers are
 * dropped, and their pages go back to the OS at once (madvise, `releasePages` in the addon) rather than whenever
 * V8 collects them. So the pool costs at most 32 MiB of peak memory: the RSS is about the peak of live tensors, as
 * with a perfect garbage collector. (A pool without that rule held ~400 MB more at ResNet-18's peak: a backward
 * pass frees buffers sized for later layers.)
 * Env D2L_NATIVE_POOL_MB caps the free lists (0 turns pooling off).
 */
import { setting } from '../../settings';
import { loadAddon } from './addon';

/**
 * Buffers smaller than this (in elements) are not pooled. Small, because allocating is not what costs: every new
 * ArrayBuffer counts toward V8's external-memory trigger, and GoogLeNet@32 (batch 32: most tensors 4–256 KiB)
 * ran a full mark of the heap about every step with only ≥ 256 KiB buffers pooled (131 mark-compacts in 2,048
 * examples; 8 with ≥ 4 KiB pooled and the slack below; 94 → 150 examples/s on 2 cores, Zen 3).
 */
const MIN_ELEMENTS = 1 << 10; // 4 KiB

/**
 * How far live + free bytes may exceed the live high-water mark. With none, the buffers a step needs cannot all
 * stay: sizes peak at different times (activations in the forward pass, gradients in the backward), so the
 * per-size peaks add up to more than the overall peak, and each step evicted and re-allocated ~37 MB (GoogLeNet@32:
 * 48 misses a step; none with 32 MiB).
 */
const SLACK_BYTES = 32 * 1024 * 1024;

const free = new Map<number, Float32Array[]>();
/** Every free buffer, oldest first (a Set keeps insertion order). */
const freeOrder = new Set<Float32Array>();
let freeBytes = 0;
/** Bytes of allocated, not yet released buffers of pooled size, and their high-water mark. */
let liveBytes = 0;
let liveHighWater = 0;
/** Counters for `d2l bench`-style diagnostics: allocations served from the pool, and fresh ones (bytes). */
const stats = { hits: 0, misses: 0, missBytes: 0, keptPinned: 0, keptShared: 0 };
/** Cap of the free lists in bytes (`D2L_NATIVE_POOL_MB`), set by `configurePool` when the backend registers. */
let maxBytes = Infinity;

/** Reads the pool's cap from `D2L_NATIVE_POOL_MB` (the native backend calls it when it registers). */
export function configurePool(): void {
  maxBytes = (setting('D2L_NATIVE_POOL_MB') ?? Infinity) * 1024 * 1024;
}

/** Buffers allocated by `allocate`, with how many tensors register them (should be 0 or 1). */
const registrations = new WeakMap<ArrayBufferLike, number>();
/** Buffers that may be seen from outside a single tensor: never recycled, never written in place. */
const pinned = new WeakSet<ArrayBufferLike>();
/** Buffers registered (whole) as some tensor's storage at least once. */
const registeredOnce = new WeakSet<ArrayBufferLike>();

/** A Float32Array of `n` elements with unspecified contents (recycled when possible). */
export function allocate(n: number): Float32Array {
  if (n < MIN_ELEMENTS) return new Float32Array(n);
  const list = free.get(n);
  const reused = list?.pop();
  const bytes = n * Float32Array.BYTES_PER_ELEMENT;
  liveBytes += bytes;
  liveHighWater = Math.max(liveHighWater, liveBytes);
  if (reused) {
    stats.hits++;
    freeOrder.delete(reused);
    freeBytes -= reused.byteLength;
    return reused;
  }
  stats.misses++;
  stats.missBytes += bytes;
  evict(liveBytes + freeBytes - liveHighWater - SLACK_BYTES);
  const fresh = new Float32Array(n);
  registrations.set(fresh.buffer, 0);
  return fresh;
}

/**
 * A buffer a kernel keeps beside a tensor (max pooling's workspace), never a tensor's storage itself: it counts
 * as registered once, so `release` recycles it like a disposed tensor's storage.
 */
export function allocateScratch(n: number): Float32Array {
  const buffer = allocate(n);
  noteRegistered(buffer);
  return buffer;
}

/** Drops the oldest free buffers until `bytes` are given back (or the pool is empty). */
function evict(bytes: number): void {
  let given = 0;
  for (const buf of freeOrder) {
    if (given >= bytes) break;
    freeOrder.delete(buf);
    const list = free.get(buf.length)!;
    list.splice(list.indexOf(buf), 1);
    freeBytes -= buf.byteLength;
    given += buf.byteLength;
    loadAddon().releasePages(buf);
  }
}

function isWhole(v: Float32Array): boolean {
  return v.byteOffset === 0 && v.byteLength === v.buffer.byteLength;
}

/** The backend registered `values` as a tensor's storage. */
export function noteRegistered(values: unknown): void {
  if (!(values instanceof Float32Array)) return;
  // Any storage (pooled or not) seen by two tensors, or as a view, is shared: `isPinned` says so.
  if (!isWhole(values) || registeredOnce.has(values.buffer)) pinned.add(values.buffer);
  else registeredOnce.add(values.buffer);
  const count = registrations.get(values.buffer);
  if (count === undefined) return;
  registrations.set(values.buffer, count + 1);
  if (count > 0 || !isWhole(values)) pinned.add(values.buffer);
}

/** The backend handed `values` to the outside (readSync). */
export function notePinned(values: unknown): void {
  if (values instanceof Float32Array) pinned.add(values.buffer);
}

/** The backend dropped the tensor whose storage is `values`. */
export function release(values: unknown): void {
  if (!(values instanceof Float32Array)) return;
  registeredOnce.delete(values.buffer); // a storage seen twice stays pinned; a recycled one starts afresh
  const count = registrations.get(values.buffer);
  if (count === undefined) return;
  registrations.set(values.buffer, Math.max(0, count - 1));
  if (count === 1) liveBytes -= values.buffer.byteLength; // its last tensor is gone
  if (count !== 1 || !isWhole(values)) {
    stats.keptShared++;
    return;
  }
  if (pinned.has(values.buffer)) {
    stats.keptPinned++;
    return;
  }
  if (values.byteLength > maxBytes) {
    loadAddon().releasePages(values); // not kept, and nothing else can see it: give the memory back now
    return;
  }
  if (freeBytes + values.byteLength > maxBytes) evict(freeBytes + values.byteLength - maxBytes);
  const list = free.get(values.length) ?? [];
  list.push(values);
  free.set(values.length, list);
  freeOrder.add(values);
  freeBytes += values.byteLength;
}

/** Drops every free buffer (for tests and for callers that want the memory back now). */
export function drainPool(): void {
  free.clear();
  freeOrder.clear();
  freeBytes = 0;
}

/** Pool counters since start (allocations of at least 256 KiB only). */
export function poolStats(): typeof stats & { freeBytes: number } {
  return { ...stats, freeBytes };
}

/**
 * Whether `values` may be seen from outside its one tensor: handed out by readSync/dataSync, registered as a
 * view or by two tensors (for any storage, pooled or not), or not a whole Float32Array.
 */
export function isPinned(values: unknown): boolean {
  if (!(values instanceof Float32Array)) return true;
  return pinned.has(values.buffer) || !isWhole(values);
}
