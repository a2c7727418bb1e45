// The fused training-mode batch norm (src/ops) against tfjs' own composition (tf.moments + tf.batchNorm,
// differentiated by tfjs) on the cpu backend: forward, statistics and all gradients, on every backend that has
// the fused kernels (cpu, wasm, and native when built), relative error <= 1e-4. Then the patched
// tf.layers.batchNormalization against the unpatched one, and tensor bookkeeping.
import { strict as assert } from 'assert';
import * as tf from '@tensorflow/tfjs';
import '../src/backend'; // installs the fused batch norm, as `import 'd2l'` does
import { loadWasmBackend } from '../src/backend/wasm/load';
import { batchNormTraining, hasFusedBatchNorm } from '../src/ops/batch-norm-training';
import { useFusedBatchNorm } from '../src/ops/keras-batch-norm';
import { nativeUnavailableReason, randn, relError } from './native-helpers';

const EPS = 1e-5;

/** [x shape, mean offset of x, std of x] */
const CASES: Array<[number[], number, number]> = [
  [[8, 6, 6, 6], 0, 1], [[256, 120], 0.5, 2], [[4, 3, 3, 64], -1, 0.5], [[2, 5, 5, 3], 100, 0.1],
  [[3, 1, 1, 16], 0, 1], [[5, 4], 0, 1],
  // past the native kernels' parallel threshold, rows per thread not a multiple of their 8-row stretches
  [[37, 13, 13, 6], 3, 0.5],
];

function inputs(shape: number[], offset: number, std: number, seed: number) {
  const c = shape[shape.length - 1];
  const n = shape.reduce((a, b) => a * b, 1);
  const x = tf.tensor(randn(n, seed, std).map((v) => v + offset), shape);
  const gamma = tf.tensor1d(randn(c, seed + 1, 0.5).map((v) => v + 1));
  const beta = tf.tensor1d(randn(c, seed + 2));
  // Weights for the three outputs, so the gradient also flows through mean and variance.
  const r = tf.tensor(randn(n, seed + 3), shape);
  const rm = tf.tensor1d(randn(c, seed + 4));
  const rv = tf.tensor1d(randn(c, seed + 5));
  return { x, gamma, beta, r, rm, rv };
}

type Outputs = Float32Array[];

/** y, mean, variance and d/dx, d/dgamma, d/dbeta of Σ(y·r) + withStats·(Σ mean·rm + Σ var·rv). */
function compute(impl: 'stock' | 'fused', shape: number[], offset: number, std: number, withStats: boolean): Outputs {
  return tf.tidy(() => {
    const { x, gamma, beta, r, rm, rv } = inputs(shape, offset, std, 7);
    const axes = shape.slice(0, -1).map((_, i) => i);
    const forward = (a: tf.Tensor, g: tf.Tensor, b: tf.Tensor): tf.Tensor[] => {
      if (impl === 'fused') {
        const { y, mean, variance } = batchNormTraining(a, g, b, EPS);
        return [y, mean, variance];
      }
      const { mean, variance } = tf.moments(a, axes);
      return [tf.batchNorm(a, mean, variance, b, g, EPS), mean, variance];
    };
    const [y, mean, variance] = forward(x, gamma, beta);
    const loss = (a: tf.Tensor, g: tf.Tensor, b: tf.Tensor): tf.Scalar => {
      const [yy, m, v] = forward(a, g, b);
      const main = tf.sum(tf.mul(yy, r));
      return (withStats ? main.add(tf.sum(m.mul(rm))).add(tf.sum(v.mul(rv))) : main) as tf.Scalar;
    };
    const grads = tf.grads(loss)([x, gamma, beta]);
    return [y, mean, variance, ...grads].map((t) => Float32Array.from(t.dataSync()));
  });
}

const NAMES = ['y', 'mean', 'variance', 'dx', 'dgamma', 'dbeta'];

function fusedBackends(): string[] {
  return ['cpu', 'wasm', ...(nativeUnavailableReason === null ? ['native'] : [])];
}

describe('fused training-mode batch norm vs tfjs moments + batchNorm', function () {
  before(async () => { await loadWasmBackend(); });
  after(async () => { await tf.setBackend('cpu'); });

  it('has the fused kernels on cpu, wasm (and native when built)', async () => {
    for (const b of fusedBackends()) {
      await tf.setBackend(b);
      assert.ok(hasFusedBatchNorm(), `no fused batch norm kernels on ${b}`);
    }
  });

  for (const [shape, offset, std] of CASES) {
    for (const withStats of [false, true]) {
      it(`x [${shape}] (mean ${offset}, std ${std})${withStats ? ', gradient through mean/variance too' : ''}`, async () => {
        await tf.setBackend('cpu');
        const ref = compute('stock', shape, offset, std, withStats);
        for (const b of fusedBackends()) {
          await tf.setBackend(b);
          const got = compute('fused', shape, offset, std, withStats);
          ref.forEach((r, i) => {
            // variance of a single row is exactly 0: compare absolutely there
            const err = relError(r, got[i], 1e-3);
            assert.ok(err <= 1e-4, `${b}: ${NAMES[i]} relative error ${err.toExponential(2)}`);
          });
        }
      });
    }
  }

  it('rejects parameters that do not match the channel axis', () => {
    tf.tidy(() => {
      assert.throws(() => batchNormTraining(tf.zeros([2, 3, 3, 4]), tf.ones([3]), tf.zeros([4]), EPS),
        /gamma and beta of C values.*\[2,3,3,4\]/);
    });
  });
});

describe('tf.layers.batchNormalization with the fused path', function () {
  before(async () => { await loadWasmBackend(); });
  after(async () => { useFusedBatchNorm(true); await tf.setBackend('cpu'); });

  /** Output, x/gamma/beta gradients and the moving statistics after two training calls. */
  function layerRun(fused: boolean, shape: number[]): Outputs {
    useFusedBatchNorm(fused);
    try {
      return tf.tidy(() => {
        const layer = tf.layers.batchNormalization({ momentum: 0.9, epsilon: 1e-5 });
        const n = shape.reduce((a, b) => a * b, 1);
        const x = tf.tensor(randn(n, 11, 2).map((v) => v + 0.3), shape);
        const r = tf.tensor(randn(n, 12), shape);
        layer.apply(x, { training: true }); // first call builds the layer and updates the moving statistics
        const f = (a: tf.Tensor): tf.Scalar => tf.sum(tf.mul(layer.apply(a, { training: true }) as tf.Tensor, r));
        const vars = layer.trainableWeights.map((w) => w.read() as tf.Variable);
        const { grads } = tf.variableGrads(() => f(x), vars);
        const dx = tf.grad(f)(x);
        const y = layer.apply(x, { training: true }) as tf.Tensor;
        const inference = layer.apply(x) as tf.Tensor;
        const moving = layer.getWeights().slice(2);
        return [y, inference, dx, ...vars.map((v) => grads[v.name]), ...moving].map((t) => Float32Array.from(t.dataSync()));
      });
    } finally {
      useFusedBatchNorm(true);
    }
  }

  for (const shape of [[6, 5, 5, 4], [32, 10]]) {
    it(`same outputs, gradients and moving statistics as tfjs' own code, x [${shape}]`, async () => {
      for (const b of fusedBackends()) {
        await tf.setBackend(b);
        const stock = layerRun(false, shape);
        const fused = layerRun(true, shape);
        const names = ['y', 'inference y', 'dx', 'dgamma', 'dbeta', 'moving mean', 'moving variance'];
        assert.equal(fused.length, names.length);
        stock.forEach((s, i) => {
          const err = relError(s, fused[i]);
          assert.ok(err <= 1e-4, `${b}: ${names[i]} relative error ${err.toExponential(2)}`);
        });
      }
    });
  }

  it('keeps tf.memory().numTensors flat over training steps', async () => {
    for (const b of fusedBackends()) {
      await tf.setBackend(b);
      const layer = tf.layers.batchNormalization();
      const x = tf.randomNormal([16, 4, 4, 8]);
      const step = () => {
        const vars = layer.trainableWeights.map((w) => w.read() as tf.Variable);
        const { value, grads } = tf.variableGrads(() => tf.sum(layer.apply(x, { training: true }) as tf.Tensor), vars);
        tf.dispose([value, ...Object.values(grads)]);
      };
      tf.tidy(() => { layer.apply(x, { training: true }); });
      step();
      const before = tf.memory().numTensors;
      for (let i = 0; i < 5; i++) step();
      assert.equal(tf.memory().numTensors, before, `${b}: tensors leaked`);
      x.dispose();
      layer.dispose();
    }
  });
});
