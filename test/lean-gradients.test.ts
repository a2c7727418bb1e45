// The memory-lean backward pass (src/ops/lean-gradients.ts) against tfjs' own: identical gradients on
// graphs with fan-out (residual adds), pass-through gradients, a caller-supplied dy, unused inputs, higher-order
// gradients and a Keras model; no tensor left behind; fewer bytes alive during the backward pass.
import { strict as assert } from 'assert';
import * as tf from '@tensorflow/tfjs';
import '../src/backend';
import { installLeanGradients, uninstallLeanGradients } from '../src/ops/lean-gradients';
import { randn, relError } from './native-helpers';

/** Runs `f` with tfjs' own backward pass, then with the lean one; returns both results as plain arrays. */
function both(f: () => tf.Tensor[]): [Float32Array[], Float32Array[]] {
  const run = () => {
    const before = tf.memory().numTensors;
    const outs = tf.tidy(f);
    const data = outs.map((t) => Float32Array.from(t.dataSync()));
    tf.dispose(outs);
    assert.equal(tf.memory().numTensors, before, 'tensors left behind');
    return data;
  };
  uninstallLeanGradients();
  try {
    const stock = run();
    installLeanGradients();
    return [stock, run()];
  } finally {
    installLeanGradients();
  }
}

function expectSame(f: () => tf.Tensor[]): void {
  const [stock, lean] = both(f);
  assert.equal(lean.length, stock.length);
  stock.forEach((s, i) => assert.ok(relError(s, lean[i]) <= 1e-6, `output ${i} differs`));
}

const t = (shape: number[], seed: number) => tf.tensor(randn(shape.reduce((a, b) => a * b, 1), seed), shape);

describe('lean backward pass', function () {
  before(async () => { await tf.setBackend('cpu'); });

  it('residual fan-out, broadcasting and pass-through gradients', () => {
    expectSame(() => {
      const x = t([2, 5, 5, 3], 1), w = t([3, 3, 3, 3], 2), b = t([3], 3);
      const f = (a: tf.Tensor, ww: tf.Tensor, bb: tf.Tensor) => {
        const h = tf.relu(tf.conv2d(a as tf.Tensor4D, ww as tf.Tensor4D, 1, 'same').add(bb));
        const r = tf.relu(h.add(a)).reshape([2, -1]).clone(); // a is used twice: gradients accumulate
        return tf.sum(r.mul(r.mean(1, true)));
      };
      return tf.grads(f)([x, w, b]);
    });
  });

  it('a caller-supplied dy is neither released nor changed, and a zero-weighted input gets zeros', () => {
    expectSame(() => {
      const x = t([4, 3], 4), y = t([4, 3], 5), dy = t([4, 3], 6);
      const grads = tf.grads((a: tf.Tensor, b: tf.Tensor) => a.mul(2).add(b.mul(0)))([x, y], dy);
      assert.ok(!dy.isDisposed);
      return [...grads, dy];
    });
  });

  it('second-order gradients', () => {
    expectSame(() => {
      const x = t([6], 7);
      const g2 = tf.grad((a: tf.Tensor) => tf.grad((b: tf.Tensor) => tf.sum(b.mul(b).mul(b).sin()))(a).sum());
      return [g2(x)];
    });
  });

  it('a Keras model step (conv, batch norm, dense) gives the same variable gradients', () => {
    const model = tf.sequential({ layers: [
      tf.layers.conv2d({ inputShape: [8, 8, 2], filters: 4, kernelSize: 3, padding: 'same', activation: 'relu' }),
      tf.layers.batchNormalization(), tf.layers.maxPooling2d({ poolSize: 2 }), tf.layers.flatten(),
      tf.layers.dense({ units: 5 })] });
    const vars = model.trainableWeights.map((w) => w.read() as tf.Variable);
    expectSame(() => {
      const x = t([3, 8, 8, 2], 8), labels = tf.oneHot(tf.tensor1d([0, 3, 4], 'int32'), 5);
      const { value, grads } = tf.variableGrads(
        () => tf.losses.softmaxCrossEntropy(labels, model.apply(x, { training: true }) as tf.Tensor) as tf.Scalar, vars);
      return [value, ...vars.map((v) => grads[v.name])];
    });
    model.dispose();
  });

  it('holds fewer bytes at the peak of a deep chain', () => {
    // Peak of tf.memory().numBytes observed from inside the gradient functions of a 30-layer chain.
    const peak = (): number => {
      const base = tf.memory().numBytes; // other suites' tensors may still be alive
      let max = 0;
      const x = t([64, 256], 9);
      tf.tidy(() => {
        const probe = tf.customGrad((...args: Array<tf.Tensor | tf.GradSaveFunc>) => ({
          value: (args[0] as tf.Tensor).clone(),
          gradFunc: (dy: tf.Tensor) => { max = Math.max(max, tf.memory().numBytes); return dy.clone(); },
        }));
        tf.grad((a: tf.Tensor) => {
          let h = a;
          for (let i = 0; i < 30; i++) h = probe(tf.sigmoid(h.mul(1.01)));
          return tf.sum(h);
        })(x);
      });
      x.dispose();
      return max - base;
    };
    uninstallLeanGradients();
    const stock = peak();
    installLeanGradients();
    const lean = peak();
    assert.ok(lean < stock / 2, `lean peak ${lean} bytes is not well below tfjs' ${stock}`);
  });
});
