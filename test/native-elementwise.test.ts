// Native elementwise, reduction, tile and batch-norm kernels (forward and the gradients tfjs builds
// from them) against tfjs' cpu backend. Defined only when the addon is built (see native-kernels.test.ts).
import { strict as assert } from 'assert';
import * as tf from '@tensorflow/tfjs';
import '../src/backend'; // d2l's gradient overrides (ReLU in one kernel) as `import 'd2l'` installs them
import { describeNative, expectSameOnBackends, randn } from './native-helpers';

const t = (shape: number[], seed: number, scale = 1, shift = 0): tf.Tensor =>
  tf.add(tf.tensor(randn(shape.reduce((p, q) => p * q, 1), seed, scale), shape), shift);

describeNative('native backend elementwise kernels vs cpu', function () {
  after(async () => { await tf.setBackend('cpu'); });

  const broadcastPairs: Array<[number[], number[]]> = [
    [[4, 5, 5, 6], [4, 5, 5, 6]], [[4, 5, 5, 6], [6]], [[4, 5, 5, 6], [1, 1, 1, 6]], [[4, 5, 5, 6], []],
    [[4, 5, 5, 6], [4, 1, 1, 6]], [[4, 5, 5, 6], [4, 5, 5, 1]], [[6], [4, 5, 5, 6]], [[3, 1], [1, 7]],
    [[64, 10], [64, 1]],
  ];
  const binaries: Array<[string, (a: tf.Tensor, b: tf.Tensor) => tf.Tensor]> = [
    ['add', tf.add], ['sub', tf.sub], ['mul', tf.mul], ['div', tf.div], ['squaredDifference', tf.squaredDifference],
    ['maximum', tf.maximum], ['minimum', tf.minimum],
  ];
  for (const [name, op] of binaries) {
    for (const [as, bs] of broadcastPairs) {
      it(`${name} [${as}] with [${bs}] forward + gradients`, async () => {
        const f = (): tf.Tensor[] => {
          const a = t(as, 1), b = name === 'div' ? t(bs, 2, 0.2, 2) : t(bs, 2);
          const y = op(a, b);
          const r = t(y.shape, 3);
          // tfjs' gradients of these three do not reduce broadcast dims, on any backend.
          const broadcasts = as.join() !== bs.join();
          if (broadcasts && ['squaredDifference', 'maximum', 'minimum'].includes(name)) return [y];
          return [y, ...tf.grads((p: tf.Tensor, q: tf.Tensor) => tf.sum(tf.mul(op(p, q), r)))([a, b])];
        };
        await expectSameOnBackends(f, 1e-4, name);
      });
    }
  }

  const unaries: Array<[string, (x: tf.Tensor) => tf.Tensor, number]> = [
    ['relu', tf.relu, 0], ['sigmoid', tf.sigmoid, 0], ['step', (x) => tf.step(x, 0.3), 0], ['square', tf.square, 0],
    ['rsqrt', tf.rsqrt, 0.1], ['sqrt', tf.sqrt, 0.1], ['neg', tf.neg, 0], ['exp', tf.exp, 0], ['log', tf.log, 0.1],
  ];
  for (const [name, op, shift] of unaries) {
    it(`${name} forward + gradient`, async () => {
      const f = (): tf.Tensor[] => {
        const x = shift > 0 ? tf.add(tf.abs(t([8, 7, 7, 5], 4)), shift) : t([8, 7, 7, 5], 4);
        const r = t(x.shape, 5);
        return [op(x), tf.grad((p: tf.Tensor) => tf.sum(tf.mul(op(p), r)))(x)];
      };
      await expectSameOnBackends(f, 1e-4, name);
    });
  }

  it('relu gradient at 0, at NaN and with a NaN incoming gradient (the tfjs dy * step(x) rule)', async () => {
    await expectSameOnBackends(() => {
      const x = tf.tensor1d([-2, -0, 0, 1e-30, 3, NaN, -1, 2, Infinity, -Infinity, 1, -1, NaN]);
      const dy = tf.tensor1d([1, 2, 3, 4, 5, 6, NaN, NaN, 7, 8, Infinity, -Infinity, -Infinity]);
      return [tf.grad((p: tf.Tensor) => tf.relu(p))(x, dy)];
    }, 0, 'relu gradient edge cases');
  });

  it('relu gradient from its saved output gives the bits of dy * step(x), and lets the input go', async () => {
    for (const backend of ['native', 'cpu']) {
      await tf.setBackend(backend);
      tf.tidy(() => {
        const x = tf.tensor1d([-2, -0, 0, 1e-30, 3, NaN, -1, 2, Infinity, -Infinity, 1, -1, NaN]);
        const dy = tf.tensor1d([1, 2, 3, 4, 5, 6, NaN, NaN, 7, 8, Infinity, -Infinity, -Infinity]);
        const got = tf.grad((p: tf.Tensor) => tf.relu(p))(x, dy).dataSync();
        const want = tf.mul(dy, tf.cast(tf.step(x), 'float32')).dataSync();
        got.forEach((g, i) => assert.ok(Object.is(g, want[i]), `${backend} [${i}]: ${g} vs ${want[i]}`));
        // The tape keeps relu's output only, so its input's buffer goes when that tensor is disposed. (Buffers, not
        // tf.memory().numBytes, which counts every tensor, the tape's clones included.)
        let freed = -1;
        tf.grad((p: tf.Tensor) => {
          const h = tf.mul(p, 2);
          const y = tf.relu(h);
          const held = tf.memory().numDataBuffers;
          h.dispose();
          freed = held - tf.memory().numDataBuffers;
          return y;
        })(x, dy);
        assert.equal(freed, 1, `${backend}: disposing relu's input freed ${freed} buffers`);
      });
    }
  });

  it('relu gradient on a long odd-sized tensor of mixed signs with NaNs (vector body, tail and threads)', async () => {
    await expectSameOnBackends(() => {
      const n = 3 * 65537; // above the parallel threshold, not a multiple of any vector width
      const x = tf.tidy(() => tf.where(tf.less(tf.randomUniform([n], 0, 1, 'float32', 7), 0.01),
        tf.fill([n], NaN), tf.randomNormal([n], 0, 1, 'float32', 8)));
      const dy = tf.randomNormal([n], 0, 1, 'float32', 9);
      return [tf.grad((p: tf.Tensor) => tf.relu(p))(x, dy)];
    }, 0, 'relu gradient, long');
  });

  it('sigmoid gradient at saturation, at NaN and with a NaN incoming gradient (tfjs dy * (y * (1 - y)))', async () => {
    await expectSameOnBackends(() => {
      const x = tf.tensor1d([-100, -5, 0, 1e-30, 5, 100, NaN, 1]);
      const dy = tf.tensor1d([1, 2, 3, 4, 5, 6, 7, NaN]);
      return [tf.grad((p: tf.Tensor) => tf.sigmoid(p))(x, dy)];
    }, 1e-6, 'sigmoid gradient edge cases');
  });

  it('sigmoid (oneDNN eltwise) and exp on a long odd-sized tensor and at overflow, underflow and NaN', async () => {
    await expectSameOnBackends(() => {
      const long = t([100003], 6, 4); // past the parallel threshold, and a tail shorter than any vector
      const edges = tf.tensor1d([-1000, -104, -88, -20, -1e-30, 0, 20, 88, 89, 1000, NaN, Infinity, -Infinity]);
      return [tf.sigmoid(long), tf.exp(long), tf.sigmoid(edges), tf.exp(edges)];
    }, 1e-6, 'sigmoid/exp: long tensor and edge values');
  });

  const slices: Array<[number[], number[], number[]]> = [
    [[4, 9, 9, 6], [0, 1, 1, 0], [4, 7, 7, 6]], [[4, 9, 9, 6], [1, 0, 0, 2], [2, 9, 9, 3]], [[10, 7], [3, 2], [4, -1]],
    [[64, 5, 5, 16], [0, 0, 0, 0], [64, 5, 5, 16]], [[3, 4, 5, 6, 2], [1, 1, 0, 2, 1], [2, 2, 5, 3, 1]],
  ];
  for (const [shape, begin, sz] of slices) {
    it(`slice [${shape}] at [${begin}] size [${sz}], forward + gradient (a pad)`, async () => {
      await expectSameOnBackends(() => {
        const x = t(shape, 18);
        const y = tf.slice(x, begin, sz);
        const r = t(y.shape, 19);
        return [y, tf.grad((p: tf.Tensor) => tf.sum(tf.mul(tf.slice(p, begin, sz), r)))(x)];
      }, 1e-6, 'slice');
    });
  }
  const padCases: Array<[Array<[number, number]>, number]> = [
    [[[0, 0], [3, 3], [3, 3], [0, 0]], 0], [[[1, 0], [0, 2], [1, 1], [0, 3]], -1.5]];
  for (const [pads, value] of padCases) {
    it(`pad ${JSON.stringify(pads)} with ${value}, forward + gradient (a slice)`, async () => {
      await expectSameOnBackends(() => {
        const x = t([3, 6, 6, 4], 20);
        const y = tf.pad(x, pads, value);
        const r = t(y.shape, 21);
        return [y, tf.grad((p: tf.Tensor) => tf.sum(tf.mul(tf.pad(p, pads, value), r)))(x)];
      }, 1e-6, 'pad');
    });
  }
  for (const axis of [3, 0, 1, -1]) {
    it(`concat of 4 tensors along axis ${axis}, forward + gradient`, async () => {
      await expectSameOnBackends(() => {
        const shapes = [2, 3, 1, 5].map((k) => [3, 4, 5, 6].map((d, i) => (i === (axis + 4) % 4 ? k : d)));
        const xs = shapes.map((s, i) => t(s, 30 + i));
        const y = tf.concat(xs, axis);
        const r = t(y.shape, 40);
        return [y, ...tf.grads((...p: tf.Tensor[]) => tf.sum(tf.mul(tf.concat(p, axis), r)))(xs)];
      }, 1e-6, 'concat');
    });
  }

  it('split into unequal parts along channels and batch, forward + gradient', async () => {
    await expectSameOnBackends(() => {
      const x = t([4, 5, 6, 10], 41);
      const parts = [...tf.split(x, [3, 5, 2], 3), ...tf.split(x, 2, 0)];
      const rs = parts.map((p, i) => t(p.shape, 50 + i));
      const g = tf.grad((a: tf.Tensor) => tf.addN([...tf.split(a, [3, 5, 2], 3), ...tf.split(a, 2, 0)]
        .map((p, i) => tf.sum(tf.mul(p, rs[i])))))(x);
      return [...parts, g];
    }, 1e-6, 'split');
  });

  it('tile', async () => {
    await expectSameOnBackends(() => [tf.tile(t([1, 1, 1, 6], 6), [4, 3, 5, 1]), tf.tile(t([2, 3], 7), [3, 2])], 1e-6);
  });

  const reductions: Array<[number[], number | number[], boolean]> = [
    [[16, 6, 6, 8], [0, 1, 2], false], [[16, 6, 6, 8], [1, 2], false], [[16, 6, 6, 8], [1, 2], true],
    [[16, 6, 6, 8], 3, false], [[16, 6, 6, 8], 0, true], [[16, 6, 6, 8], [0, 2], false], [[64, 10], -1, false],
    [[300000], 0, false],
  ];
  for (const [shape, axis, keepDims] of reductions) {
    for (const [name, op] of [['sum', tf.sum], ['mean', tf.mean]] as const) {
      it(`${name} of [${shape}] over ${axis} keepDims=${keepDims}, forward + gradient`, async () => {
        const f = (): tf.Tensor[] => {
          const x = t(shape, 8);
          const y = op(x, axis, keepDims);
          const r = t(y.shape, 9);
          return [y, tf.grad((p: tf.Tensor) => tf.sum(tf.mul(op(p, axis, keepDims), r)))(x)];
        };
        await expectSameOnBackends(f, 1e-4, name);
      });
    }
  }

  it('batchNorm with per-channel parameters, forward + all gradients', async () => {
    const f = (): tf.Tensor[] => {
      const x = t([8, 5, 5, 6], 10), mean = t([6], 11, 0.1), variance = t([6], 12, 0.1, 1);
      const offset = t([6], 13), scale = t([6], 14, 0.2, 1);
      const fwd = (a: tf.Tensor, m: tf.Tensor, v: tf.Tensor, o: tf.Tensor, s: tf.Tensor): tf.Tensor =>
        tf.batchNorm(a, m, v, o, s, 1e-3);
      const y = fwd(x, mean, variance, offset, scale);
      const r = t(y.shape, 15);
      return [y, ...tf.grads((a: tf.Tensor, m: tf.Tensor, v: tf.Tensor, o: tf.Tensor, s: tf.Tensor) =>
        tf.sum(tf.mul(fwd(a, m, v, o, s), r)))([x, mean, variance, offset, scale])];
    };
    await expectSameOnBackends(f, 1e-4, 'batchNorm');
  });

  it('tf.layers.batchNormalization in training mode: output and gradients', async () => {
    const f = (): tf.Tensor[] => {
      const layer = tf.layers.batchNormalization({ axis: -1 });
      const x = t([16, 6, 6, 4], 16, 2, 0.5);
      layer.apply(x, { training: true });
      const r = t([16, 6, 6, 4], 17);
      const loss = (): tf.Scalar => tf.sum(tf.mul(layer.apply(x, { training: true }) as tf.Tensor, r));
      const { value, grads } = tf.variableGrads(loss, layer.trainableWeights.map((w) => w.read() as tf.Variable));
      const dx = tf.grad((a: tf.Tensor) => tf.sum(tf.mul(layer.apply(a, { training: true }) as tf.Tensor, r)))(x);
      const out = [value, dx, ...Object.values(grads)];
      layer.dispose();
      return out;
    };
    await expectSameOnBackends(f, 1e-4, 'batchNormalization layer');
  });
});
