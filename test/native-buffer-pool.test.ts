// The native backend's buffer pool (src/backend/native/buffer-pool.ts): large kernel outputs are reused once
// their tensor is gone, never while anything else can still see them, and kernels that only partly write their
// output are correct on a dirty recycled buffer.
import { strict as assert } from 'assert';
import * as fs from 'fs';
import * as tf from '@tensorflow/tfjs';
import { loadAddon } from '../src/backend/native/addon';
import { drainPool, poolStats } from '../src/backend/native/buffer-pool';
import { describeNative, randn, relError, runOn } from './native-helpers';

/** The storage of a tensor, looked up without readSync (which would pin it). */
function storage(t: tf.Tensor): Float32Array {
  const backend = tf.backend() as unknown as { data: { get(id: object): { values: Float32Array } } };
  return backend.data.get(t.dataId).values;
}

const BIG: [number, number, number, number] = [4, 64, 64, 16]; // 1 MiB: above the pooling threshold

describeNative('native buffer pool', function () {
  before(async () => { await tf.setBackend('native'); drainPool(); });
  after(async () => { drainPool(); await tf.setBackend('cpu'); });

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
    const x = tf.tensor4d(randn(4 * 64 * 64 * 16, 2), BIG);
    const a = tf.relu(x);
    const kept = a.dataSync() as Float32Array;
    const copy = Float32Array.from(kept);
    a.dispose();
    const b = tf.neg(x); // same size: would take a's buffer if it were pooled
    assert.notEqual(storage(b).buffer, kept.buffer);
    assert.deepEqual(kept, copy, 'an array the user holds changed after dispose');
    tf.dispose([x, b]);
  });

  it('never recycles storage while a view of it (a contiguous slice) is alive', () => {
    const x = tf.tensor4d(randn(4 * 64 * 64 * 16, 3), BIG);
    const a = tf.relu(x);
    const [first] = tf.split(a, 4, 0); // tfjs' cpu split returns subarray views of a's storage
    const before = Float32Array.from(storage(first));
    a.dispose();
    const b = tf.neg(x);
    assert.notEqual(storage(b).buffer, storage(first).buffer);
    assert.deepEqual(storage(first), before, 'a view changed after its base tensor was disposed');
    tf.dispose([x, b, first]);
  });

  it('pad, pooling gradients and strided 1x1 conv input gradients are right on dirty recycled buffers', async () => {
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
  });
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
