// Deferred zero padding (src/backend/native/deferred-pad.ts): zeroPadding2d → conv, forward and both gradients,
// against cpu; every other reader sees the padded values; the source may go first; nothing is left behind; and
// the padding written out on demand lands in dirty pooled buffers correctly.
import { strict as assert } from 'assert';
import * as tf from '@tensorflow/tfjs';
import type { MathBackendCPU } from '@tensorflow/tfjs-backend-cpu';
import '../src/backend';
import { deferredPad } from '../src/backend/native/deferred-pad';
import { describeNative, expectSameOnBackends, randn } from './native-helpers';

const t4 = (shape: [number, number, number, number], seed: number, scale = 1): tf.Tensor4D =>
  tf.tensor4d(randn(shape[0] * shape[1] * shape[2] * shape[3], seed, scale), shape);

type Pads = [[number, number], [number, number]];
const nhwc = ([h, w]: Pads): Array<[number, number]> => [[0, 0], h, w, [0, 0]];

function isDeferred(t: tf.Tensor): boolean {
  return deferredPad({ dataId: t.dataId, shape: t.shape, dtype: t.dtype }) !== undefined;
}

describeNative('native deferred zero padding vs cpu', function () {
  after(async () => { await tf.setBackend('cpu'); });

  // [batch, size, inC, outC, kernel, stride, pads on H and W, conv padding]
  const cases: Array<[number, number, number, number, number, number, Pads, 'valid' | 'same']> = [
    [2, 9, 3, 4, 3, 1, [[1, 1], [1, 1]], 'valid'], [2, 10, 3, 5, 3, 2, [[1, 1], [1, 1]], 'valid'],
    [1, 12, 1, 6, 7, 2, [[3, 3], [3, 3]], 'valid'], [2, 8, 4, 4, 3, 1, [[2, 0], [0, 1]], 'valid'],
    [2, 7, 3, 4, 3, 2, [[1, 1], [1, 1]], 'same'], [3, 8, 4, 6, 1, 2, [[1, 1], [1, 1]], 'valid'],
    [2, 11, 3, 4, 5, 3, [[2, 2], [2, 2]], 'valid'], [1, 6, 2, 3, 3, 1, [[0, 0], [0, 0]], 'valid'],
  ];
  for (const [n, s, ci, co, k, st, pads, convPad] of cases) {
    it(`pad ${JSON.stringify(pads)} then conv N${n} ${s}x${s}x${ci} -> ${co}, k${k} s${st} ${convPad}`, async () => {
      const f = (): tf.Tensor[] => {
        const x = t4([n, s, s, ci], 1), w = t4([k, k, ci, co], 2, 0.3), b = tf.tensor1d(randn(co, 3));
        const fwd = (a: tf.Tensor, c: tf.Tensor, d: tf.Tensor): tf.Tensor => tf.fused.conv2d({
          x: tf.pad(a, nhwc(pads)) as tf.Tensor4D, filter: c as tf.Tensor4D, bias: d, strides: st, pad: convPad,
          activation: 'relu' });
        const y = fwd(x, w, b);
        const r = tf.tensor(randn(y.size, 4), y.shape);
        return [y, ...tf.grads((a: tf.Tensor, c: tf.Tensor, d: tf.Tensor) => tf.sum(tf.mul(fwd(a, c, d), r)))([x, w, b])];
      };
      await expectSameOnBackends(f, 1e-4, 'pad + conv');
    });
  }

  it('is deferred only for zeros on height and width of a float32 NHWC tensor', async () => {
    await tf.setBackend('native');
    tf.tidy(() => {
      const x = t4([2, 4, 4, 3], 5);
      assert.ok(isDeferred(tf.pad(x, nhwc([[1, 1], [1, 1]]))));
      assert.ok(!isDeferred(tf.pad(x, nhwc([[1, 1], [1, 1]]), 2)), 'a non-zero constant');
      assert.ok(!isDeferred(tf.pad(x, [[1, 0], [1, 1], [1, 1], [0, 0]])), 'padding the batch');
      assert.ok(!isDeferred(tf.pad(x, [[0, 0], [1, 1], [1, 1], [0, 1]])), 'padding the channels');
      assert.ok(!isDeferred(tf.pad(x.reshape([2, 48]), [[0, 0], [1, 1]])), 'rank 2');
      assert.ok(!isDeferred(tf.pad(tf.pad(x, nhwc([[1, 1], [1, 1]])), nhwc([[1, 1], [1, 1]]))), 'a pad of a pad');
      assert.ok(!isDeferred(tf.pad(x.toInt(), nhwc([[1, 1], [1, 1]]))), 'int32');
    });
  });

  it('every other reader sees the padded values: dataSync, a cpu kernel, max pooling, a second conv', async () => {
    await expectSameOnBackends(() => {
      const x = t4([2, 5, 6, 3], 6);
      const p = tf.pad(x, nhwc([[2, 1], [0, 3]]));
      const q = tf.pad(x, nhwc([[1, 1], [1, 1]]));
      const w = t4([3, 3, 3, 2], 7);
      return [tf.cumsum(p, 2), tf.maxPool(q, 3, 2, 'valid'), tf.conv2d(q, w, 1, 'valid'), p];
    }, 0, 'readers of a deferred pad');
  });

  it('max pooling reads it without writing it out, in training too, with the gradients of cpu', async () => {
    const f = (): tf.Tensor[] => {
      const x = tf.relu(t4([2, 9, 9, 3], 12));
      const r = t4([2, 5, 5, 3], 13);
      const pooled = (a: tf.Tensor) => tf.maxPool(tf.pad(a, nhwc([[1, 1], [1, 1]])) as tf.Tensor4D, 3, 2, 'valid');
      return [pooled(x), tf.grad((a: tf.Tensor) => tf.sum(tf.mul(pooled(a), r)))(x)];
    };
    await expectSameOnBackends(f, 1e-6, 'pad + max pool'); // overlapping windows add up in another order
    await tf.setBackend('native');
    tf.tidy(() => {
      const p = tf.pad(t4([2, 9, 9, 3], 14), nhwc([[1, 1], [1, 1]]));
      tf.grad((a: tf.Tensor) => tf.sum(tf.maxPool(a as tf.Tensor4D, 3, 2, 'valid')))(p);
      assert.ok(isDeferred(p), 'the pool or its gradient wrote the padding out');
    });
  });

  it('outlives its disposed source, frees it once gone, and leaves no tensor or buffer behind', async () => {
    await tf.setBackend('native');
    const backend = tf.backend() as MathBackendCPU;
    const before = { tensors: tf.memory().numTensors, ids: backend.numDataIds() };
    const x = t4([2, 6, 6, 4], 8);
    const want = tf.tidy(() => Float32Array.from(tf.pad(x.clone(), nhwc([[1, 1], [1, 1]])).dataSync()));
    // conv on the source of a disposed tensor, then the padded values themselves
    const p = tf.pad(x, nhwc([[1, 1], [1, 1]]));
    x.dispose();
    assert.ok(isDeferred(p));
    const w = tf.ones([3, 3, 4, 1]) as tf.Tensor4D;
    const y = tf.conv2d(p as tf.Tensor4D, w, 1, 'valid');
    assert.deepEqual(Array.from(p.dataSync()), Array.from(want));
    assert.ok(!isDeferred(p), 'written out once read');
    tf.dispose([p, y, w]);
    // never written out: disposing it lets the source's storage go
    const x2 = t4([2, 6, 6, 4], 9);
    const p2 = tf.pad(x2, nhwc([[1, 1], [1, 1]]));
    x2.dispose();
    p2.dispose();
    assert.equal(tf.memory().numTensors, before.tensors);
    assert.equal(backend.numDataIds(), before.ids, 'a source or padded buffer left behind');
  });

  it('survives its source moving to another backend (tfjs then drops the source\'s storage here)', async () => {
    await tf.setBackend('cpu');
    const cpuIds = tf.backend().numDataIds();
    await tf.setBackend('native');
    const x = t4([2, 4, 4, 3], 15);
    const want = tf.tidy(() => Float32Array.from(tf.pad(x.clone(), nhwc([[1, 2], [0, 1]])).dataSync()));
    const p = tf.pad(x, nhwc([[1, 2], [0, 1]]));
    assert.ok(isDeferred(p));
    await tf.setBackend('cpu');
    tf.dispose(tf.add(x, 1)); // moves x's data to cpu
    await tf.setBackend('native');
    assert.deepEqual(Array.from(p.dataSync()), Array.from(want));
    tf.dispose([x, p]);
    await tf.setBackend('cpu');
    assert.equal(tf.backend().numDataIds(), cpuIds, 'the moved source stayed on cpu after its disposal');
  });

  it('an SGD step on a padded variable leaves the deferred pad with the old values', async () => {
    await tf.setBackend('native');
    tf.tidy(() => {
      const v = tf.variable(t4([1, 3, 3, 2], 10));
      const p = tf.pad(v, nhwc([[1, 1], [1, 1]]));
      const old = Float32Array.from(tf.pad(v.clone(), nhwc([[1, 1], [1, 1]])).dataSync());
      tf.train.sgd(0.5).minimize(() => tf.sum(tf.mul(v, v)) as tf.Scalar, false, [v]);
      assert.deepEqual(Array.from(p.dataSync()), Array.from(old));
      const moved = tf.sum(tf.abs(tf.sub(tf.slice(p, [0, 1, 1, 0], [1, 3, 3, 2]), v))).dataSync()[0];
      assert.ok(moved > 0, 'the step did not change the variable, so this test shows nothing');
      v.dispose();
    });
  });

  it('written out into dirty pooled buffers: every element, border zeros included', async () => {
    await tf.setBackend('native');
    for (let round = 0; round < 3; round++) {
      tf.tidy(() => {
        // leave big buffers full of NaN in the pool, then write padded tensors of the same sizes out
        tf.dispose(tf.fill([4, 34, 34, 16], NaN).add(0));
        const x = t4([4, 32, 32, 16], 11 + round);
        const p = tf.pad(x, nhwc([[1, 1], [1, 1]]));
        const v = p.dataSync();
        assert.ok(v.every((e) => Number.isFinite(e)), 'a NaN from the dirty buffer survived');
        assert.equal(tf.sum(tf.abs(tf.sub(tf.slice(p, [0, 1, 1, 0], [4, 32, 32, 16]), x))).dataSync()[0], 0);
      });
    }
  });
});
