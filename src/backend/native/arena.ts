/**
 * The arena: large native buffers carved out of a few big reserved ArrayBuffers (native/src/arena.cc), each
 * tensor's storage a Float32Array view of its range; a range is free again the moment its last tensor goes, and
 * merges with its free neighbours, so memory that one size of tensor gave back serves any size next.
 *
 * Why: a training step needs hundreds of distinct buffer sizes (GoogLeNet@96, batch 128: ~360 buffers a step),
 * and with one ArrayBuffer per tensor memory only comes back in the same sizes. The per-size pool
 * (./buffer-pool.ts) could keep only what fits in the peak of live tensors plus a slack, so each step allocated
 * hundreds of MiB of fresh ArrayBuffers (GoogLeNet 560–660 MiB, ResNet-18 ~890 MiB at the book's sizes), whose
 * every page the OS faults in and zeroes on first write, while the other core waits in a barrier: with a slack
 * big enough for no fresh buffers at all, steps were 15–20% faster (AVX2 cap on Zen 4, interleaved runs:
 * GoogLeNet 2.17–2.28 s → 1.76–1.77 s, ResNet-18 4.16 s → 3.33–3.65 s), but the RSS rose by 250–550 MiB, past
 * PyTorch's on ResNet-18. Here free memory serves any size, so after the first step almost nothing is faulted in
 * again, and the resident memory stays within the peak of the ranges in use plus 32 MiB (`SLACK_FLOATS`: past
 * it, free pages go back to the OS). Views of one ArrayBuffer also leave V8's external-memory count alone: one
 * external ArrayBuffer per fresh buffer (~360 a step) made it run a full collection about twenty times a step.
 *
 * A range is free only when no tensor's storage lies in it: every registration (`adopt`) of an array that lies
 * in a range counts, the issued view or a `subarray` of it that a cpu kernel made (tfjs' Slice of a contiguous
 * block), and every `disown` uncounts. Nothing else may keep a view: `readSync` hands out a copy (`exportCopy`).
 * A range that never becomes a tensor's storage (a kernel that threw between `allocate` and registering its
 * output) stays taken: memory, not a tensor, and only on an error path.
 */
import { loadAddon } from './addon';

/** Each chunk's size: Node 20 holds at most 4 GiB in one external ArrayBuffer (buffer.constants.MAX_LENGTH). */
const CHUNK_BYTES = 2 ** 32;
/** Ranges start on 64-byte boundaries (a cache line, as oneDNN's own allocations do). */
const ALIGN_FLOATS = 16;
/** Floats in a 4 KiB page: only whole pages go back to the OS. */
const PAGE_FLOATS = 1024;
/**
 * Resident memory (ranges in use plus free ranges whose pages were not given back) may exceed the high-water mark
 * of the ranges in use by this much; beyond it, free pages go back to the OS, largest free ranges first.
 * Without the bound, fragmentation around VGG's and NiN's 100–400 MB tensors held ~400–600 MiB more than their
 * live peak (RSS over PyTorch's); with it, a range that must be faulted in again is the exception.
 */
const SLACK_FLOATS = 8 << 20; // 32 MiB

interface Range { start: number; length: number } // in floats
interface Chunk {
  buffer: ArrayBuffer;
  floats: number;
  /** Floats in [0, top) have been handed out at least once (and may be resident). */
  top: number;
  /** Free ranges below `top`, by start. */
  free: Range[];
  /** Parts of free ranges whose pages went back to the OS (whole pages), by start. */
  released: Range[];
  /** Ranges in use, by start: each with how many registered tensors' storage lies in it. */
  used: Map<number, Block>;
}
interface Block {
  chunk: Chunk; start: number; length: number;
  /** Registered tensors whose storage lies in the range. */
  refs: number;
  /** The range went back to the free list: the issued view is stale (a second release of it is ignored). */
  freed: boolean;
}

/** Index of the first range in `ranges` that starts at or after `start`. */
function firstAtOrAfter(ranges: Range[], start: number): number {
  let lo = 0, hi = ranges.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (ranges[mid].start < start) lo = mid + 1; else hi = mid;
  }
  return lo;
}

/** Removes [start, end) from a sorted list of disjoint spans; returns how many floats were in it. */
function removeSpan(spans: Range[], start: number, end: number): number {
  let removed = 0;
  let i = firstAtOrAfter(spans, start);
  if (i > 0 && spans[i - 1].start + spans[i - 1].length > start) i--; // a span that begins before start
  while (i < spans.length && spans[i].start < end) {
    const r = spans[i], rEnd = r.start + r.length;
    const cutLo = Math.max(r.start, start), cutHi = Math.min(rEnd, end);
    removed += cutHi - cutLo;
    const left = cutLo - r.start, right = rEnd - cutHi;
    if (left > 0 && right > 0) {
      r.length = left;
      spans.splice(i + 1, 0, { start: cutHi, length: right });
      break;
    }
    if (left > 0) { r.length = left; i++; } else if (right > 0) { r.start = cutHi; r.length = right; break; } else spans.splice(i, 1);
  }
  return removed;
}

/** Adds [start, end), which overlaps none of them, to a sorted list of disjoint spans, merged with its neighbours. */
function insertSpan(spans: Range[], start: number, end: number): void {
  const i = firstAtOrAfter(spans, start);
  const prev = spans[i - 1], next = spans[i];
  if (prev !== undefined && prev.start + prev.length === start) {
    prev.length += end - start;
    if (next !== undefined && next.start === end) { prev.length += next.length; spans.splice(i, 1); }
  } else if (next !== undefined && next.start === end) {
    next.start = start;
    next.length += end - start;
  } else spans.splice(i, 0, { start, length: end - start });
}

/** Chunks of reserved memory and the ranges carved out of them (one per process: `defaultArena`; tests make their own). */
export class Arena {
  private readonly chunks: Chunk[] = [];
  /** The view `allocate` handed out for each block. */
  private readonly issued = new WeakMap<Float32Array, Block>();
  private refused = false;
  private readonly counters = { fromFree: 0, fromTop: 0, topBytes: 0, releasedBytes: 0 };
  /** Floats in ranges in use, their high-water mark, free, and free but given back to the OS. */
  private used = 0;
  private usedHighWater = 0;
  private freeFloats = 0;
  private releasedFloats = 0;

  /** `reserve(bytes, hugePages)` gives one chunk's ArrayBuffer, or null (then the arena allocates nothing more). */
  constructor(
    private readonly chunkBytes = CHUNK_BYTES,
    private readonly slackFloats = SLACK_FLOATS,
    private readonly reserve: (bytes: number, hugePages: boolean) => ArrayBuffer | null =
      (bytes, huge) => loadAddon().arenaChunk(bytes, huge),
  ) {}

  private newChunk(hugePages: boolean): Chunk | null {
    if (this.refused) return null;
    const buffer = this.reserve(this.chunkBytes, hugePages);
    if (buffer === null) {
      this.refused = true; // not this runtime, or no address space: the pool's own buffers serve from now on
      return null;
    }
    const chunk: Chunk = { buffer, floats: buffer.byteLength / 4, top: 0, free: [], released: [], used: new Map() };
    this.chunks.push(chunk);
    return chunk;
  }

  /**
   * n floats (unspecified contents) from the arena, not yet counted as any tensor's storage; null when n does not
   * fit in a chunk or no chunk can be had (the caller allocates an ordinary buffer).
   */
  allocate(n: number, hugePages: boolean): Float32Array | null {
    const length = Math.ceil(n / ALIGN_FLOATS) * ALIGN_FLOATS;
    if (length * 4 > this.chunkBytes) return null;
    let best: { chunk: Chunk; index: number } | null = null;
    for (const chunk of this.chunks) {
      for (let i = 0; i < chunk.free.length; i++) {
        const r = chunk.free[i];
        if (r.length >= length && (best === null || r.length < best.chunk.free[best.index].length)) best = { chunk, index: i };
      }
    }
    let chunk: Chunk, start: number;
    if (best !== null) {
      chunk = best.chunk;
      const r = chunk.free[best.index];
      start = r.start;
      if (r.length === length) chunk.free.splice(best.index, 1);
      else { r.start += length; r.length -= length; }
      this.freeFloats -= length;
      this.releasedFloats -= removeSpan(chunk.released, start, start + length); // resident again once written
      this.counters.fromFree++;
    } else {
      const room = this.chunks.find((c) => c.floats - c.top >= length) ?? this.newChunk(hugePages);
      if (room === null) return null;
      chunk = room;
      start = chunk.top;
      chunk.top += length;
      this.counters.fromTop++;
      this.counters.topBytes += length * 4;
    }
    this.used += length;
    this.usedHighWater = Math.max(this.usedHighWater, this.used);
    const resident = this.used + this.freeFloats - this.releasedFloats;
    if (resident > this.usedHighWater + this.slackFloats) this.release(resident - this.usedHighWater - this.slackFloats);
    const block: Block = { chunk, start, length, refs: 0, freed: false };
    chunk.used.set(start, block);
    const view = new Float32Array(chunk.buffer, start * 4, n);
    this.issued.set(view, block);
    return view;
  }

  /** The block whose range holds `values`, if `values` lies in the arena. */
  private blockOf(values: Float32Array): Block | undefined {
    const own = this.issued.get(values);
    if (own !== undefined) return own;
    const chunk = this.chunks.find((c) => c.buffer === values.buffer);
    if (chunk === undefined) return undefined;
    const start = values.byteOffset / 4, end = start + values.length;
    for (const block of chunk.used.values()) {
      if (block.start <= start && end <= block.start + block.length) return block;
    }
    return undefined;
  }

  /** Whether `values` lies in the arena. */
  holds(values: Float32Array): boolean {
    return this.chunks.some((c) => c.buffer === values.buffer);
  }

  /** A tensor's storage now lies in `values`' range (false if `values` is not the arena's). */
  adopt(values: Float32Array): boolean {
    const block = this.blockOf(values);
    if (block === undefined) return false;
    if (block.freed) throw new Error('d2l native arena: a tensor was registered on storage whose range was already freed');
    block.refs++;
    return true;
  }

  /** A tensor whose storage lay in `values`' range is gone; its range is free when none is left. */
  disown(values: Float32Array): boolean {
    const block = this.blockOf(values);
    if (block === undefined) return false;
    if (!block.freed && --block.refs <= 0) this.freeBlock(block);
    return true;
  }

  /** Whether another tensor may see `values`' memory: its range holds more than one storage, or it is a view of part of one. */
  isShared(values: Float32Array): boolean {
    const block = this.blockOf(values);
    return block === undefined || block.refs > 1 || this.issued.get(values) !== block;
  }

  /** What `readSync` hands out for arena storage: a copy, so no view of a range outlives its tensors. */
  exportCopy(values: Float32Array): Float32Array {
    return values.slice();
  }

  private freeBlock(block: Block): void {
    block.freed = true;
    block.chunk.used.delete(block.start);
    insertSpan(block.chunk.free, block.start, block.start + block.length);
    this.used -= block.length;
    this.freeFloats += block.length;
  }

  /** Gives back the pages of at least `floats` free floats still resident (if there are), largest free ranges first. */
  private release(floats: number): void {
    const ranges = this.chunks.flatMap((chunk) => chunk.free.map((r) => ({ chunk, r })));
    ranges.sort((a, b) => b.r.length - a.r.length);
    let given = 0;
    for (const { chunk, r } of ranges) {
      if (given >= floats) break;
      given += this.releaseRange(chunk, r.start, r.start + r.length);
    }
  }

  /** Gives back the whole pages of [start, end) not given back already; returns how many floats that was. */
  private releaseRange(chunk: Chunk, start: number, end: number): number {
    const lo = Math.ceil(start / PAGE_FLOATS) * PAGE_FLOATS, hi = Math.floor(end / PAGE_FLOATS) * PAGE_FLOATS;
    if (hi <= lo) return 0;
    const fresh = hi - lo - removeSpan(chunk.released, lo, hi); // what of it was resident
    insertSpan(chunk.released, lo, hi);
    if (fresh > 0) loadAddon().releasePages(new Float32Array(chunk.buffer, lo * 4, hi - lo));
    this.releasedFloats += fresh;
    this.counters.releasedBytes += fresh * 4;
    return fresh;
  }

  /** Gives the pages of every free range back to the OS (they stay usable); returns the bytes released. */
  trim(): number {
    let released = 0;
    for (const chunk of this.chunks) {
      for (const r of chunk.free) released += this.releaseRange(chunk, r.start, r.start + r.length) * 4;
    }
    return released;
  }

  /** Counters: allocations served by free ranges and from the top, bytes from the top; bytes in use, free, and top. */
  stats(): { fromFree: number; fromTop: number; topBytes: number; releasedBytes: number; usedBytes: number;
    freeBytes: number; reservedTopBytes: number; freeRanges: number } {
    return { ...this.counters, usedBytes: this.used * 4, freeBytes: this.freeFloats * 4,
      reservedTopBytes: this.chunks.reduce((sum, c) => sum + c.top * 4, 0),
      freeRanges: this.chunks.reduce((sum, c) => sum + c.free.length, 0) };
  }
}

/** The arena the native backend's buffer pool carves from. */
export const defaultArena = new Arena();
