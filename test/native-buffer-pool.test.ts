// The native backend's buffer pool (src/backend/native/buffer-pool.ts) and its arena (src/backend/native/arena.ts):
// large kernel outputs are reused once their tensor is gone, never while anything else can still see them, and
// kernels that only partly write their output are correct on a dirty recycled buffer. The per-size free lists
// are tested with the arena off (`D2L_NATIVE_ARENA=0`), as they serve where no arena can be had.
import { strict as assert } from 'assert';
import * as fs from 'fs';
import * as tf from '@tensorflow/tfjs';
import { loadAddon } from '../src/backend/native/addon';
import { Arena, defaultArena } from '../src/backend/native/arena';
import { configurePool, drainPool, isPinned, poolStats } from '../src/backend/native/buffer-pool';
import { describeNative, randn, relError, runOn } from './native-helpers';

/** The storage of a tensor, looked up without readSync (which would pin it). */
function storage(t: tf.Tensor): Float32Array {
  const backend = tf.backend() as unknown as { data: { get(id: object): { values: Float32Array } } };
  return backend.data.get(t.dataId).values;
}

const BIG: [number, number, number, number] = [4, 64, 64, 16]; // 1 MiB: above the pooling threshold

/** Kernels that write only part of their output, run on buffers full of garbage of the sizes they will take. */
async function dirtyBuffersCase(): Promise<void> {
  const f = (): tf.Tensor[] => {
    const x = tf.tensor4d(randn(4 * 64 * 64 * 16, 4), BIG);
    const w = tf.tensor4d(randn(16 * 8, 5, 0.3), [1, 1, 16, 8]);
    // Fill the pool with garbage of the sizes the gradients below will take.
    const padded = (a: tf.Tensor) => tf.pad(a as tf.Tensor4D, [[0, 0], [1, 1], [1, 1], [0, 0]]);
    tf.dispose([tf.add(x, 1e6), tf.add(x, -1e6)]);
    const r = tf.tensor(randn(4 * 32 * 32 * 16, 6), [4, 32, 32, 16]);
    const loss = (a: tf.Tensor) => tf.add(
      tf.sum(tf.mul(tf.maxPool(a as tf.Tensor4D, 3, 2, 'same'), r)),
      tf.sum(tf.mul(tf.avgPool(a as tf.Tensor4D, 2, 2, 'valid'), r))).add(
      tf.sum(tf.conv2d(a as tf.Tensor4D, w as tf.Tensor4D, 2, 'valid').square()));
    const dx = tf.grad(loss)(x);
    tf.add(padded(x), 1e6).dispose(); // a dirty buffer of the padded size, taken by the next pad
    return [dx, padded(x)];
  };
  const ref = await runOn('cpu', f);
  const got = await runOn('native', f);
  ref.forEach((r, i) => assert.ok(relError(r, got[i]) <= 1e-4, `output ${i}: relative error ${relError(r, got[i])}`));
}

/**
 * A user keeps `dataSync()` of a large output, disposes the tensor, and an output of the same size follows (it
 * takes the disposed tensor's memory if anything of it is reused): the kept array must not change. `how` asserts
 * the pool's own way of ensuring it, given the kept array and the next output's storage.
 */
function keepDataSyncThenReuse(how: (kept: Float32Array, next: Float32Array) => void): void {
  const x = tf.tensor4d(randn(4 * 64 * 64 * 16, 2), BIG);
  const a = tf.relu(x);
  const kept = a.dataSync() as Float32Array;
  const copy = Float32Array.from(kept);
  a.dispose();
  const b = tf.neg(x);
  how(kept, storage(b));
  assert.deepEqual(kept, copy, 'an array the user holds changed after dispose');
  tf.dispose([x, b]);
}

/** [start, end) of an array's bytes in its ArrayBuffer. */
function span(a: Float32Array): [number, number] {
  return [a.byteOffset, a.byteOffset + a.byteLength];
}
function overlaps(a: Float32Array, b: Float32Array): boolean {
  const [s, e] = span(a), [t, f] = span(b);
  return a.buffer === b.buffer && s < f && t < e;
}

describeNative('native buffer pool, arena', function () {
  before(async () => { await tf.setBackend('native'); drainPool(); });
  after(async () => { drainPool(); await tf.setBackend('cpu'); });

  it('carves large outputs out of the arena and gives the range of a disposed one to the next output of that size', () => {
    const x = tf.tensor4d(randn(4 * 64 * 64 * 16, 1), BIG);
    const a = tf.relu(x);
    const range = span(storage(a));
    assert.ok(defaultArena.holds(storage(a)), 'a large output is not arena storage');
    a.dispose();
    const b = tf.relu(x);
    assert.deepEqual(span(storage(b)), range, 'the freed range was not reused');
    const expect = Float32Array.from(storage(x), (v) => Math.max(0, v));
    assert.ok(relError(expect, storage(b)) === 0);
    tf.dispose([x, b]);
  });

  it('hands out copies from dataSync, so what the user keeps never changes', () => {
    keepDataSyncThenReuse((kept) => assert.ok(!defaultArena.holds(kept), 'dataSync returned arena storage'));
  });

  it('keeps a range while a view of it (a contiguous slice) is the storage of some tensor', () => {
    const x = tf.tensor4d(randn(4 * 64 * 64 * 16, 3), BIG);
    const a = tf.relu(x);
    const views = tf.unstack(a); // tfjs' cpu Unpack slices a's storage as subarray views
    const first = views[0];
    assert.ok(storage(first).buffer === storage(a).buffer, 'not a view: the test proves nothing');
    assert.ok(isPinned(storage(first)) && isPinned(storage(a)), 'a storage and its views are not seen as shared');
    const before = Float32Array.from(storage(first));
    a.dispose();
    const b = tf.neg(x);
    const c = tf.neg(first);
    assert.ok(!overlaps(storage(b), storage(first)) && !overlaps(storage(c), storage(first)),
      'a new output took memory a live view still shows');
    assert.deepEqual(storage(first), before, 'a view changed after its base tensor was disposed');
    tf.dispose(views.slice(1));
    const free0 = defaultArena.stats().freeBytes;
    first.dispose(); // the last tensor in a's range: it is free now
    assert.equal(defaultArena.stats().freeBytes - free0, 4 * 64 * 64 * 16 * 4, 'the range was not freed with its last view');
    tf.dispose([x, b, c]);
  });

  it('pad, pooling gradients and strided 1x1 conv input gradients are right on dirty recycled ranges', dirtyBuffersCase);
});

describe('native buffer pool, arena allocator', () => {
  const MiB = 1 << 18; // floats in a MiB
  // 16 MiB chunks of ordinary memory; resident memory may exceed the peak in use by `slack` floats
  const make = (slack = 64 * MiB) => new Arena(16 << 20, slack, (bytes) => new ArrayBuffer(bytes));
  const take = (arena: Arena, n: number) => {
    const v = arena.allocate(n, false)!;
    arena.adopt(v);
    return v;
  };

  it('merges a freed range with its free neighbours, so a larger size reuses the memory of two smaller ones', () => {
    const arena = make();
    const a = take(arena, 3 * MiB), b = take(arena, 5 * MiB), c = take(arena, MiB);
    assert.deepEqual([a.byteOffset, b.byteOffset, c.byteOffset], [0, 3 << 20, 8 << 20]);
    arena.disown(b);
    arena.disown(a); // merges with b's range before it
    const d = take(arena, 8 * MiB);
    assert.equal(d.byteOffset, 0, 'the merged range of a and b did not serve a request of their total size');
    assert.equal(arena.stats().reservedTopBytes, 9 << 20, 'the arena grew instead of reusing');
    arena.disown(c);
    arena.disown(d);
    assert.deepEqual([arena.stats().freeRanges, arena.stats().freeBytes], [1, 9 << 20], 'free ranges did not merge into one');
    const e = take(arena, 2 * MiB), f = take(arena, 2 * MiB); // [0, 2) and [2, 4) MiB; free: [4, 9)
    arena.disown(e);
    arena.disown(f); // merges with e's range before it and the free rest after it
    assert.deepEqual([arena.stats().freeRanges, arena.stats().freeBytes], [1, 9 << 20], 'a range freed between two free ones did not merge with both');
  });

  it('takes the smallest free range that fits, and a new chunk only when none does', () => {
    const arena = make();
    // separators keep the two free ranges apart
    const big = take(arena, 6 * MiB), small = (take(arena, 16), take(arena, 2 * MiB));
    take(arena, 16);
    arena.disown(big);
    arena.disown(small);
    assert.equal(take(arena, 2 * MiB).byteOffset, small.byteOffset, 'not the best fit');
    assert.equal(take(arena, 5 * MiB).byteOffset, big.byteOffset);
    const other = take(arena, 12 * MiB); // more than the first chunk has left
    assert.notEqual(other.buffer, big.buffer, 'no second chunk');
    assert.equal(arena.allocate(5 * MiB * 4, false), null, 'a request larger than a chunk is left to the caller');
  });

  it('gives free pages back, largest free range first, once resident memory would pass the peak in use plus the slack', () => {
    const arena = make(MiB);
    // page-sized separators keep the ranges apart and on whole pages
    const a = take(arena, 4 * MiB), b = take(arena, 1024), c = take(arena, 2 * MiB);
    take(arena, 1024);
    arena.disown(a);
    arena.disown(c); // in use now: two pages; resident: all of the 6 MiB and two pages
    assert.equal(arena.stats().releasedBytes, 0);
    take(arena, 3 * MiB); // from a's range (best fit: c's is too small)
    assert.equal(arena.stats().releasedBytes, 0, 'within the slack: nothing to give back');
    take(arena, 5 * MiB); // from the top: resident 3 + 5 + 1 (a's rest) + 2 (c's) MiB, 2 MiB over the new peak + slack
    const st = arena.stats();
    assert.equal(st.releasedBytes, 2 << 20, "c's range (the largest free one) was not given back");
    assert.equal(take(arena, 2 * MiB).byteOffset, c.byteOffset, 'a given-back range is still usable');
    arena.disown(b);
  });

  it('counts every storage in a range: the range is free only when the last one goes, and a second release is ignored', () => {
    const arena = make();
    const a = take(arena, MiB);
    const part = a.subarray(1024, 2048);
    arena.adopt(part); // a cpu kernel's slice of a, registered as another tensor
    assert.ok(arena.isShared(a) && arena.isShared(part));
    arena.disown(a);
    assert.equal(arena.stats().freeBytes, 0, 'freed while a slice was alive');
    arena.disown(part);
    assert.equal(arena.stats().freeBytes, 1 << 20);
    arena.disown(a); // stale: ignored
    const b = take(arena, MiB), c = take(arena, MiB);
    assert.ok(!overlaps(b, c), 'a double release handed the same range out twice');
    assert.throws(() => arena.adopt(a), /already freed/);
  });
});

describeNative('native buffer pool, per-size free lists (no arena)', function () {
  before(async () => {
    await tf.setBackend('native');
    process.env.D2L_NATIVE_ARENA = '0';
    configurePool();
    drainPool();
  });
  after(async () => {
    drainPool();
    delete process.env.D2L_NATIVE_ARENA;
    configurePool();
    await tf.setBackend('cpu');
  });

  it('reuses the storage of a disposed large output for the next output of that size', () => {
    const x = tf.tensor4d(randn(4 * 64 * 64 * 16, 1), BIG);
    const a = tf.relu(x);
    const buf = storage(a).buffer;
    a.dispose();
    assert.ok(poolStats().freeBytes >= 4 * 64 * 64 * 16 * 4);
    const b = tf.relu(x);
    assert.equal(storage(b).buffer, buf, 'the freed buffer was not reused');
    // and the reused buffer holds the right values
    const expect = Float32Array.from(storage(x), (v) => Math.max(0, v));
    assert.ok(relError(expect, storage(b)) === 0);
    tf.dispose([x, b]);
  });

  it('serves a smaller request from a free buffer up to twice its size, as a view that recycles like storage', () => {
    const x = tf.tensor4d(randn(4 * 64 * 64 * 16, 4), BIG);
    const small = tf.slice(x, [0, 0, 0, 0], [3, 64, 64, 16]); // 3/4 of the size: no free buffer matches exactly
    const a = tf.relu(x);
    const buf = storage(a).buffer;
    a.dispose();
    const b = tf.relu(small);
    assert.equal(storage(b).buffer, buf, 'the larger free buffer was not reused');
    assert.equal(storage(b).length, 3 * 64 * 64 * 16);
    const expect = Float32Array.from(storage(small), (v) => Math.max(0, v));
    assert.ok(relError(expect, storage(b)) === 0);
    b.dispose(); // the view's whole buffer goes back to the pool
    const c = tf.relu(x);
    assert.equal(storage(c).buffer, buf, 'the buffer behind a disposed view was not recycled');
    tf.dispose([x, small, c]);
  });

  it('never recycles storage that dataSync handed out', () => {
    keepDataSyncThenReuse((kept, next) => assert.notEqual(next.buffer, kept.buffer));
  });

  it('never recycles storage while a view of it (a contiguous slice) is alive', () => {
    const x = tf.tensor4d(randn(4 * 64 * 64 * 16, 3), BIG);
    const a = tf.relu(x);
    const views = tf.unstack(a); // tfjs' cpu Unpack slices a's storage as subarray views
    const first = views[0];
    assert.ok(storage(first).buffer === storage(a).buffer, 'not a view: the test proves nothing');
    const before = Float32Array.from(storage(first));
    a.dispose();
    const b = tf.neg(x);
    assert.notEqual(storage(b).buffer, storage(first).buffer);
    assert.deepEqual(storage(first), before, 'a view changed after its base tensor was disposed');
    tf.dispose([x, b, ...views]);
  });

  it('pad, pooling gradients and strided 1x1 conv input gradients are right on dirty recycled buffers', dirtyBuffersCase);
  it('asks Linux for huge pages for a fresh buffer of 4 MiB and more, and the kernel writing it is right', () => {
    const thp = fs.existsSync('/sys/kernel/mm/transparent_hugepage/enabled');
    const probe = new Float32Array(3 << 20); // 12 MiB: at least four whole 2 MiB pages whatever its alignment
    assert.equal(loadAddon().adviseHugePages(probe), process.platform === 'linux' && thp,
      'MADV_HUGEPAGE is accepted exactly where the kernel has transparent huge pages');
    assert.equal(loadAddon().adviseHugePages(new Float32Array(1024)), false, 'a 4 KiB buffer holds no whole huge page');
    drainPool();
    const shape: [number, number, number, number] = [8, 128, 128, 16]; // 8 MiB: a fresh, advised output
    const x = tf.tensor4d(randn(8 * 128 * 128 * 16, 5), shape);
    const before = poolStats().missBytes;
    const y = tf.relu(x);
    assert.ok(poolStats().missBytes - before >= 8 << 20, 'the output was not a fresh buffer');
    const expect = Float32Array.from(storage(x), (v) => Math.max(0, v));
    assert.ok(relError(expect, storage(y)) === 0);
    tf.dispose([x, y]);
  });
});
