// Every native kernel against tfjs' cpu backend on seeded random data over the chapter's shapes,
// forward and gradient (normwise relative error <= 1e-4).
// The checks run whenever the addon is built. Without it, the suite asserts that the loader explains
// how to get it -- unless D2L_REQUIRE_NATIVE=1 (set by .ci/run, which installs libdnnl-dev): then a
// missing build fails.
import { strict as assert } from 'assert';
import * as tf from '@tensorflow/tfjs';
import { maxPoolWorkspaceCount } from '../src/backend/native/kernels/pool';
import { describeNative, expectSameOnBackends, nativeUnavailableReason, randn } from './native-helpers';

type Pad = 'same' | 'valid' | number;

const reason = nativeUnavailableReason;

describe('native backend availability', function () {
  it('is available, or explains how to get it', function () {
    if (process.env.D2L_REQUIRE_NATIVE === '1') assert.equal(reason, null, `D2L_REQUIRE_NATIVE=1 but ${reason}`);
    if (reason !== null) assert.match(reason, /libdnnl-dev/);
  });
});

describeNative('native backend kernels vs cpu', function () {
  after(async () => { await tf.setBackend('cpu'); });

  const t4 = (shape: [number, number, number, number], seed: number, scale = 1): tf.Tensor4D =>
    tf.tensor4d(randn(shape[0] * shape[1] * shape[2] * shape[3], seed, scale), shape);

  describe('conv2d forward + gradients', function () {
    // [batch, size, inC, outC, kernel, stride, pad]
    const cases: Array<[number, number, number, number, number, number, Pad]> = [
      [1, 9, 3, 4, 1, 1, 'valid'], [2, 12, 5, 6, 3, 1, 'same'], [2, 13, 4, 8, 3, 2, 'same'],
      [1, 15, 3, 5, 5, 1, 'same'], [2, 16, 6, 4, 5, 2, 'valid'], [1, 14, 3, 4, 7, 2, 'same'],
      [1, 35, 3, 8, 11, 4, 1], [2, 32, 3, 6, 11, 4, 'valid'], [1, 10, 4, 4, 3, 1, 1], [1, 11, 3, 3, 3, 4, 'same'],
      [64, 6, 8, 8, 3, 1, 'same'], [64, 8, 4, 6, 1, 2, 'valid'], [2, 8, 4, 6, 1, 2, 'valid'], [2, 9, 5, 3, 1, 2, 'same'],
      [1, 7, 3, 4, 1, 2, 1], [3, 16, 16, 32, 3, 2, 'same'],
    ];
    for (const [n, s, ci, co, k, st, pad] of cases) {
      it(`N${n} ${s}x${s}x${ci} -> ${co}, k${k} s${st} pad ${pad}`, async () => {
        const f = (): tf.Tensor[] => {
          const x = t4([n, s, s, ci], 1), w = t4([k, k, ci, co], 2, 0.3);
          const y = tf.conv2d(x, w, st, pad);
          const r = tf.tensor(randn(y.size, 3), y.shape);
          const [dx, dw] = tf.grads((a: tf.Tensor, b: tf.Tensor) =>
            tf.sum(tf.mul(tf.conv2d(a as tf.Tensor4D, b as tf.Tensor4D, st, pad), r)))([x, w]);
          return [y, dx, dw];
        };
        await expectSameOnBackends(f, 1e-4, 'conv2d');
      });
    }
    it('dilated conv forward', async () => {
      await expectSameOnBackends(() => tf.conv2d(t4([2, 12, 12, 3], 4), t4([3, 3, 3, 5], 5), 1, 'same', 'NHWC', 2), 1e-4);
    });
    for (const activation of ['linear', 'relu', 'sigmoid'] as const) {
      it(`fused conv2d + bias + ${activation}, forward and gradients`, async () => {
        const f = (): tf.Tensor[] => {
          const x = t4([3, 10, 10, 4], 6), w = t4([3, 3, 4, 5], 7, 0.3), b = tf.tensor1d(randn(5, 8));
          const fwd = (a: tf.Tensor, c: tf.Tensor, d: tf.Tensor): tf.Tensor => tf.fused.conv2d({
            x: a as tf.Tensor4D, filter: c as tf.Tensor4D, bias: d, strides: 1, pad: 'same', activation });
          const y = fwd(x, w, b);
          const r = tf.tensor(randn(y.size, 9), y.shape);
          return [y, ...tf.grads((a: tf.Tensor, c: tf.Tensor, d: tf.Tensor) => tf.sum(tf.mul(fwd(a, c, d), r)))([x, w, b])];
        };
        await expectSameOnBackends(f, 1e-4, `fused conv ${activation}`);
      });
    }
  });

  describe('matmul forward + gradients', function () {
    const cases: Array<[number[], number[], boolean, boolean]> = [
      [[7, 5], [5, 3], false, false], [[5, 7], [5, 3], true, false], [[7, 5], [3, 5], false, true],
      [[5, 7], [3, 5], true, true], [[4, 6, 5], [4, 5, 3], false, false], [[4, 6, 5], [1, 5, 3], false, false],
      [[1, 6, 5], [4, 3, 5], false, true], [[256, 120], [120, 84], false, false],
    ];
    for (const [as, bs, ta, tb] of cases) {
      it(`${as} x ${bs} transposeA=${ta} transposeB=${tb}`, async () => {
        const f = (): tf.Tensor[] => {
          const a = tf.tensor(randn(as.reduce((p, q) => p * q), 10), as);
          const b = tf.tensor(randn(bs.reduce((p, q) => p * q), 11), bs);
          const y = tf.matMul(a, b, ta, tb);
          const r = tf.tensor(randn(y.size, 12), y.shape);
          // tfjs' own gradient does not reduce broadcast batch dims, so only same-batch cases get one.
          if (as.length === 3 && as[0] !== bs[0]) return [y];
          return [y, ...tf.grads((p: tf.Tensor, q: tf.Tensor) => tf.sum(tf.mul(tf.matMul(p, q, ta, tb), r)))([a, b])];
        };
        await expectSameOnBackends(f, 1e-4, 'matmul');
      });
    }
    for (const activation of ['linear', 'relu', 'sigmoid'] as const) {
      it(`fused matmul + bias + ${activation}`, async () => {
        const f = (): tf.Tensor[] => {
          const a = tf.tensor2d(randn(64 * 30, 13), [64, 30]), b = tf.tensor2d(randn(30 * 10, 14), [30, 10]);
          const bias = tf.tensor1d(randn(10, 15));
          const fwd = (p: tf.Tensor, q: tf.Tensor, c: tf.Tensor): tf.Tensor =>
            tf.fused.matMul({ a: p as tf.Tensor2D, b: q as tf.Tensor2D, bias: c, activation });
          const y = fwd(a, b, bias);
          const r = tf.tensor(randn(y.size, 16), y.shape);
          return [y, ...tf.grads((p: tf.Tensor, q: tf.Tensor, c: tf.Tensor) => tf.sum(tf.mul(fwd(p, q, c), r)))([a, b, bias])];
        };
        await expectSameOnBackends(f, 1e-4, `fused matmul ${activation}`);
      });
    }
  });

  describe('pooling forward + gradients', function () {
    // [batch, size, channels, window, stride, pad]
    const cases: Array<[number, number, number, number, number, Pad]> = [
      [2, 8, 3, 2, 2, 'valid'], [2, 9, 4, 3, 2, 'valid'], [1, 9, 5, 3, 1, 'same'], [2, 13, 3, 3, 2, 'same'],
      [1, 12, 70, 3, 2, 'same'], [64, 6, 8, 2, 2, 'valid'], [1, 17, 2, 5, 4, 'same'], [2, 10, 3, 3, 1, 1],
      [2, 9, 3, 2, 2, 'valid'], [1, 12, 4, 3, 3, 'valid'], [2, 7, 3, 2, 2, 'same'], [1, 11, 5, 3, 3, 'same'],
    ];
    for (const [n, s, c, k, st, pad] of cases) {
      it(`max pool N${n} ${s}x${s}x${c}, k${k} s${st} pad ${pad}`, async () => {
        const f = (): tf.Tensor[] => {
          const x = t4([n, s, s, c], 20);
          const y = tf.maxPool(x, k, st, pad);
          const r = tf.tensor(randn(y.size, 21), y.shape);
          return [y, tf.grad((a: tf.Tensor) => tf.sum(tf.mul(tf.maxPool(a as tf.Tensor4D, k, st, pad), r)))(x)];
        };
        await expectSameOnBackends(f, 1e-4, 'maxPool');
      });
      it(`avg pool N${n} ${s}x${s}x${c}, k${k} s${st} pad ${pad}`, async () => {
        const x = t4([n, s, s, c], 22);
        const yShape = tf.avgPool(x, k, st, pad).shape;
        const r = tf.tensor(randn(yShape.reduce((p, q) => p * q), 23), yShape);
        await expectSameOnBackends(() => tf.avgPool(x, k, st, pad), 1e-4, 'avgPool');
        if (pad === 'valid') {
          await expectSameOnBackends(() => tf.grad((a: tf.Tensor) =>
            tf.sum(tf.mul(tf.avgPool(a as tf.Tensor4D, k, st, pad), r)))(x), 1e-4, 'avgPoolGrad');
        } else {
          // tfjs' cpu AvgPoolGrad divides padded windows by the full window size, unlike its forward
          // pass; check against avg pooling written as a depthwise conv divided by the in-image count.
          const viaConv = (a: tf.Tensor4D): tf.Tensor => {
            const ones = tf.ones([k, k, c, 1]) as tf.Tensor4D;
            const count = tf.depthwiseConv2d(tf.onesLike(a), ones, st, pad);
            return tf.div(tf.depthwiseConv2d(a, ones, st, pad), count);
          };
          const ref = await (async () => {
            await tf.setBackend('cpu');
            return tf.tidy(() => tf.grad((a: tf.Tensor) => tf.sum(tf.mul(viaConv(a as tf.Tensor4D), r)))(x).dataSync().slice());
          })();
          await tf.setBackend('native');
          const got = tf.tidy(() => tf.grad((a: tf.Tensor) => tf.sum(tf.mul(tf.avgPool(a as tf.Tensor4D, k, st, pad), r)))(x).dataSync().slice());
          let diff = 0, mag = 0;
          ref.forEach((v, i) => { diff = Math.max(diff, Math.abs(v - got[i])); mag = Math.max(mag, Math.abs(v)); });
          assert.ok(diff / mag <= 1e-4, `avgPoolGrad 'same': relative error ${diff / mag}`);
        }
        tf.dispose([x, r]);
      });
    }
    it('max pool gradient sends a tied window\'s gradient to its first maximum, as cpu does', async () => {
      // Rounded values tie often; a wrong tie rule moves whole gradients, far beyond the tolerance.
      for (const [k, st] of [[3, 1], [3, 2], [2, 2]] as const) {
        const f = (): tf.Tensor[] => {
          const x = tf.round(t4([2, 9, 9, 6], 25, 1.5));
          const r = tf.tensor(randn(2 * 9 * 9 * 6, 26), [2, 9, 9, 6]);
          const loss = (a: tf.Tensor) => tf.sum(tf.mul(tf.maxPool(a as tf.Tensor4D, k, st, 'same'),
            tf.slice(r, [0, 0, 0, 0], tf.maxPool(x, k, st, 'same').shape)));
          return [tf.grad(loss)(x)];
        };
        await expectSameOnBackends(f, 1e-6, `maxPoolGrad ties k${k} s${st}`);
      }
    });
    it('MaxPoolGrad without a saved workspace (output not from a recorded max pool) searches the windows', async () => {
      const f = (): tf.Tensor => {
        const x = t4([2, 12, 12, 70], 27);
        const y = tf.maxPool(x, 3, 1, 'same'); // outside tf.grad: no workspace
        const dy = tf.tensor(randn(y.size, 28), y.shape);
        return tf.engine().runKernel(tf.MaxPoolGrad, { dy, input: x, output: y },
          { filterSize: 3, strides: 1, pad: 'same' } as unknown as tf.NamedAttrMap) as tf.Tensor;
      };
      await expectSameOnBackends(f, 1e-4, 'MaxPoolGrad loop');
    });
    it('a max pool keeps a workspace only while gradients are recorded, and only as long as its output', async () => {
      await tf.setBackend('native');
      const before = maxPoolWorkspaceCount();
      const x = t4([4, 16, 16, 8], 29);
      tf.tidy(() => tf.maxPool(x, 3, 2, 'same'));
      assert.equal(maxPoolWorkspaceCount(), before, 'an inference max pool saved a workspace');
      let during = 0;
      const dx = tf.tidy(() => tf.grad((a: tf.Tensor) => {
        const y = tf.sum(tf.maxPool(a as tf.Tensor4D, 3, 2, 'same'));
        during = maxPoolWorkspaceCount();
        return y;
      })(x));
      assert.equal(during, before + 1, 'the recorded max pool saved no workspace');
      assert.equal(maxPoolWorkspaceCount(), before, 'the gradient\'s tidy left a workspace behind');
      tf.dispose([x, dx]);
    });
    it('max pool gradient routes correctly when every value is negative or tiny', async () => {
      const f = (): tf.Tensor[] => {
        const x = tf.sub(tf.mul(t4([2, 8, 8, 3], 24), 1e-39), 1e-38) as tf.Tensor4D;
        return [tf.grad((a: tf.Tensor) => tf.sum(tf.maxPool(a as tf.Tensor4D, 3, 2, 'same')))(tf.neg(tf.abs(x)))];
      };
      await expectSameOnBackends(f, 1e-4, 'maxPoolGrad negatives');
    });
  });
});
