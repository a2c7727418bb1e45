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
 * A request no free buffer matches exactly may take a free buffer up to `FIT_RATIO` times larger, as a view of
 * its first n elements (the pool's own view: it counts as the whole storage). Without that, GoogLeNet@96 (batch
 * 128), whose layers need hundreds of distinct sizes, allocated ~1.1 GB of fresh, page-faulting buffers per
 * step while ~0.8 GB of other sizes sat free (ratio 2: ~0.3 GB). Measured on AVX2 Zen 3, 2 threads, runs
 * interleaved: exact sizes only → ratio 2, GoogLeNet 5.2–5.6 s → 4.1–4.6 s a step (RSS 986 → 1,100 MiB),
 * ResNet-18 9.5 → 8.0–8.4 s (2,073 → 2,119), DenseNet 7.5 → 5.5–5.7 s (2,480 → 2,520); ratios 3 and 4 were no
 * faster and held more. Live bytes count whole buffers, so the peak rule above still holds.
 * Env D2L_NATIVE_POOL_MB caps the free lists (0 turns pooling off).
 *
 * All of the above is the fallback now: storage comes from the arena (./arena.ts), where memory any size gave
 * back serves every size, whenever it can be had (`D2L_NATIVE_ARENA`, unless pooling is off); these free
 * lists serve only where it cannot (a runtime without external ArrayBuffers, or a buffer above 4 GiB).
 */
import { setting } from '../../settings';
import { loadAddon } from './addon';
import { defaultArena as arena } from './arena';

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

/** A free buffer serves a request for n elements when it holds at most this many times n (see the file comment). */
const FIT_RATIO = 2;

/** Free buffers (whole) by their length, and those lengths in ascending order (for the best fit). */
const free = new Map<number, Float32Array[]>();
const freeLengths: number[] = [];
/** The view `allocate` handed out for a larger free buffer: it stands for that whole storage. */
const poolViews = new WeakMap<ArrayBufferLike, Float32Array>();
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

/**
 * Fresh buffers of at least this size are backed by 2 MiB pages where Linux allows it (`adviseHugePages`; its
 * default transparent-huge-page mode, "madvise", gives them only when asked). The pool still allocates ~600 MiB
 * fresh per step at ResNet-18's and DenseNet's book sizes, and each 4 KiB page costs its first writer a fault: a
 * ReLU gradient into a fresh 94 MB buffer took 56 ms, 14 ms into a reused one, 24–28 ms into a fresh advised one
 * (the first few advised ones 213 ms: the kernel compacts memory to find huge pages). DenseNet's step, seven runs
 * each, interleaved (AVX-512 Zen 4, 2 threads; before ReLU's gradient was vectorized): 2,740–2,966 ms (median
 * 2,880) → 2,602–2,793 (median 2,741), about 5%, same peak RSS; ResNet-18's moved within its noise (3,770–3,835 →
 * 3,627–3,931, two runs each).
 * `D2L_NATIVE_HUGE_PAGES=0` turns it off.
 */
const HUGE_PAGE_MIN_BYTES = 4 << 20;
let hugePages = true;
/** Whether large buffers come from the arena (`D2L_NATIVE_ARENA`, and pooling not turned off). */
let useArena = true;

/** Reads `D2L_NATIVE_POOL_MB`, `D2L_NATIVE_HUGE_PAGES` and `D2L_NATIVE_ARENA` (the native backend calls it when it registers). */
export function configurePool(): void {
  maxBytes = (setting('D2L_NATIVE_POOL_MB') ?? Infinity) * 1024 * 1024;
  hugePages = setting('D2L_NATIVE_HUGE_PAGES') ?? true;
  useArena = (setting('D2L_NATIVE_ARENA') ?? true) && maxBytes > 0;
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
  const carved = useArena ? arena.allocate(n, hugePages) : null;
  if (carved !== null) return carved;
  const reused = takeFree(n);
  const bytes = reused ? reused.byteLength : n * Float32Array.BYTES_PER_ELEMENT; // live bytes count whole buffers
  liveBytes += bytes;
  liveHighWater = Math.max(liveHighWater, liveBytes);
  if (reused) {
    stats.hits++;
    if (reused.length === n) return reused;
    const view = new Float32Array(reused.buffer, 0, n);
    poolViews.set(reused.buffer, view);
    return view;
  }
  stats.misses++;
  stats.missBytes += bytes;
  evict(liveBytes + freeBytes - liveHighWater - SLACK_BYTES);
  const fresh = new Float32Array(n);
  if (hugePages && fresh.byteLength >= HUGE_PAGE_MIN_BYTES) loadAddon().adviseHugePages(fresh);
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

/** Index of the first entry of `freeLengths` that is ≥ n. */
function firstLengthAtLeast(n: number): number {
  let lo = 0, hi = freeLengths.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (freeLengths[mid] < n) lo = mid + 1; else hi = mid;
  }
  return lo;
}

/** Takes a free buffer of n elements, else the smallest one of at most FIT_RATIO × n; undefined if none. */
function takeFree(n: number): Float32Array | undefined {
  const i = firstLengthAtLeast(n);
  if (i >= freeLengths.length || freeLengths[i] > FIT_RATIO * n) return undefined;
  const buf = free.get(freeLengths[i])!.pop()!;
  forgetFree(buf);
  return buf;
}

function addFree(buf: Float32Array): void {
  const list = free.get(buf.length);
  if (list) list.push(buf);
  else {
    free.set(buf.length, [buf]);
    freeLengths.splice(firstLengthAtLeast(buf.length), 0, buf.length);
  }
  freeOrder.add(buf);
  freeBytes += buf.byteLength;
}

/** Bookkeeping for a buffer that just left its free list. */
function forgetFree(buf: Float32Array): void {
  freeOrder.delete(buf);
  freeBytes -= buf.byteLength;
  if (free.get(buf.length)!.length === 0) {
    free.delete(buf.length);
    freeLengths.splice(firstLengthAtLeast(buf.length), 1);
  }
}

/** Drops the oldest free buffers until `bytes` are given back (or the pool is empty). */
function evict(bytes: number): void {
  let given = 0;
  for (const buf of freeOrder) {
    if (given >= bytes) break;
    const list = free.get(buf.length)!;
    list.splice(list.indexOf(buf), 1);
    forgetFree(buf);
    given += buf.byteLength;
    loadAddon().releasePages(buf);
  }
}

/** Whether `v` is all of its storage: the whole buffer, or the pool's own view of a larger free buffer. */
function isWhole(v: Float32Array): boolean {
  return (v.byteOffset === 0 && v.byteLength === v.buffer.byteLength) || poolViews.get(v.buffer) === v;
}

/** The backend registered `values` as a tensor's storage. */
export function noteRegistered(values: unknown): void {
  if (!(values instanceof Float32Array) || arena.adopt(values)) return;
  // Any storage (pooled or not) seen by two tensors, or as a view, is shared: `isPinned` says so.
  if (!isWhole(values) || registeredOnce.has(values.buffer)) pinned.add(values.buffer);
  else registeredOnce.add(values.buffer);
  const count = registrations.get(values.buffer);
  if (count === undefined) return;
  registrations.set(values.buffer, count + 1);
  if (count > 0 || !isWhole(values)) pinned.add(values.buffer);
}

/**
 * What the backend hands to the outside (readSync) for a tensor's storage: a copy of arena storage (whose range
 * is reused once its tensors are gone), else the storage itself, never recycled from now on.
 */
export function exportValues<T>(values: T): T {
  if (!(values instanceof Float32Array)) return values;
  if (arena.holds(values)) return arena.exportCopy(values) as T;
  pinned.add(values.buffer);
  return values;
}

/** The backend dropped the tensor whose storage is `values`. */
export function release(values: unknown): void {
  if (!(values instanceof Float32Array) || arena.disown(values)) return;
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
  poolViews.delete(values.buffer);
  const whole = values.byteLength === values.buffer.byteLength ? values : new Float32Array(values.buffer);
  if (whole.byteLength > maxBytes) {
    loadAddon().releasePages(whole); // not kept, and nothing else can see it: give the memory back now
    return;
  }
  if (freeBytes + whole.byteLength > maxBytes) evict(freeBytes + whole.byteLength - maxBytes);
  addFree(whole);
}

/** Drops every free buffer and gives the arena's free pages back (for tests and callers that want the memory now). */
export function drainPool(): void {
  arena.trim();
  free.clear();
  freeLengths.length = 0;
  freeOrder.clear();
  freeBytes = 0;
}

/** Pool counters since start (allocations of at least MIN_ELEMENTS floats, 4 KiB, only: smaller ones bypass the pool). */
export function poolStats(): typeof stats & { freeBytes: number } {
  const a = arena.stats();
  return { ...stats, hits: stats.hits + a.fromFree, misses: stats.misses + a.fromTop,
    missBytes: stats.missBytes + a.topBytes, freeBytes: freeBytes + a.freeBytes };
}

/**
 * Whether `values` may be seen from outside its one tensor: handed out by readSync/dataSync, registered as a
 * view or by two tensors (for any storage, pooled or not), or not a whole Float32Array.
 */
export function isPinned(values: unknown): boolean {
  if (!(values instanceof Float32Array)) return true;
  if (arena.holds(values)) return arena.isShared(values);
  return pinned.has(values.buffer) || !isWhole(values);
}
