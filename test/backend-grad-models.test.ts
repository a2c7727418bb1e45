/**
 * Whole-model gradient checks: a small network of each kind in chapter 7 (LeNet-BN, AlexNet, VGG, NiN, GoogLeNet,
 * ResNet, DenseNet), built from tf.layers exactly as the models are, trained one step's worth of gradients on wasm
 * and on cpu from the same weights and data. Rel err per weight = max|wasm − cpu| / max(max|cpu|, 1e-6) ≤ 1e-4.
 * Exception: a gradient that is zero in exact arithmetic (the bias of a conv/dense layer feeding BatchNorm, which
 * subtracts the batch mean) is pure float noise on both backends; it is checked to be "zero" on both, i.e. below
 * 1e-5 of the model's largest gradient, instead.
 */
import { strict as assert } from 'assert';
import * as tf from '@tensorflow/tfjs';
import { ensureBackend } from '../src/backend';
import { loadWasmBackend } from '../src/backend/wasm/load';

const TOLERANCE = 1e-4;
const L = tf.layers;
type Sym = tf.SymbolicTensor;

function randn(n: number, seed: number): Float32Array {
  let s = seed >>> 0;
  const u = () => { s = (s * 1664525 + 1013904223) >>> 0; return (s + 0.5) / 4294967296; };
  return Float32Array.from({ length: n }, () => Math.sqrt(-2 * Math.log(u())) * Math.cos(2 * Math.PI * u()));
}

const conv = (filters: number, kernelSize: number, strides = 1, padding: 'same' | 'valid' = 'same', activation: 'relu' | 'linear' = 'linear') =>
  L.conv2d({ filters, kernelSize, strides, padding, activation });
const bn = () => L.batchNormalization({ momentum: 0.9, epsilon: 1e-5 });
const relu = () => L.reLU();

/** Builders of small networks, each with the chapter's layer kinds and conv/pool configurations. */
const models: Record<string, { input: number[]; build: () => tf.LayersModel }> = {
  'LeNet-BN': { input: [28, 28, 1], build: () => tf.sequential({ layers: [
    L.conv2d({ inputShape: [28, 28, 1], filters: 6, kernelSize: 5 }), bn(), L.activation({ activation: 'sigmoid' }),
    L.averagePooling2d({ poolSize: 2, strides: 2 }),
    conv(16, 5, 1, 'valid'), bn(), L.activation({ activation: 'sigmoid' }), L.averagePooling2d({ poolSize: 2, strides: 2 }),
    L.flatten(), L.dense({ units: 12 }), bn(), L.activation({ activation: 'sigmoid' }), L.dense({ units: 10 }),
  ] }) },
  AlexNet: { input: [63, 63, 1], build: () => tf.sequential({ layers: [
    L.zeroPadding2d({ inputShape: [63, 63, 1], padding: 1 }), conv(8, 11, 4, 'valid', 'relu'), L.maxPooling2d({ poolSize: 3, strides: 2 }),
    conv(12, 5, 1, 'same', 'relu'), L.maxPooling2d({ poolSize: 3, strides: 2 }), conv(12, 3, 1, 'same', 'relu'),
    L.flatten(), L.dense({ units: 16, activation: 'relu' }), L.dropout({ rate: 0 }), L.dense({ units: 10 }),
  ] }) },
  VGG: { input: [16, 16, 1], build: () => tf.sequential({ layers: [
    L.conv2d({ inputShape: [16, 16, 1], filters: 4, kernelSize: 3, padding: 'same', activation: 'relu' }),
    L.maxPooling2d({ poolSize: 2, strides: 2 }), conv(8, 3, 1, 'same', 'relu'), conv(8, 3, 1, 'same', 'relu'),
    L.maxPooling2d({ poolSize: 2, strides: 2 }), L.flatten(), L.dense({ units: 10 }),
  ] }) },
  NiN: { input: [39, 39, 1], build: () => tf.sequential({ layers: [
    L.conv2d({ inputShape: [39, 39, 1], filters: 8, kernelSize: 11, strides: 4, activation: 'relu' }),
    conv(8, 1, 1, 'valid', 'relu'), conv(8, 1, 1, 'valid', 'relu'), L.maxPooling2d({ poolSize: 3, strides: 2 }),
    conv(10, 3, 1, 'same', 'relu'), conv(10, 1, 1, 'valid', 'relu'), L.globalAveragePooling2d({}),
  ] }) },
  GoogLeNet: { input: [24, 24, 1], build: () => {
    const x = tf.input({ shape: [24, 24, 1] });
    let y = L.maxPooling2d({ poolSize: 3, strides: 2, padding: 'same' }).apply(conv(8, 7, 2, 'same', 'relu').apply(x)) as Sym;
    const p1 = conv(4, 1, 1, 'valid', 'relu').apply(y) as Sym;
    const p2 = conv(6, 3, 1, 'same', 'relu').apply(conv(4, 1, 1, 'valid', 'relu').apply(y)) as Sym;
    const p3 = conv(4, 5, 1, 'same', 'relu').apply(conv(2, 1, 1, 'valid', 'relu').apply(y)) as Sym;
    const p4 = conv(4, 1, 1, 'valid', 'relu').apply(L.maxPooling2d({ poolSize: 3, strides: 1, padding: 'same' }).apply(y)) as Sym;
    y = L.concatenate().apply([p1, p2, p3, p4]) as Sym;
    y = L.dense({ units: 10 }).apply(L.globalAveragePooling2d({}).apply(y)) as Sym;
    return tf.model({ inputs: x, outputs: y });
  } },
  ResNet: { input: [24, 24, 1], build: () => {
    const x = tf.input({ shape: [24, 24, 1] });
    let y = relu().apply(bn().apply(conv(8, 7, 2).apply(x))) as Sym;
    y = L.maxPooling2d({ poolSize: 3, strides: 2, padding: 'same' }).apply(y) as Sym;
    const padded = L.zeroPadding2d({ padding: 1 }).apply(y) as Sym;
    let r = relu().apply(bn().apply(conv(12, 3, 2, 'valid').apply(padded))) as Sym;
    r = bn().apply(conv(12, 3).apply(r)) as Sym;
    const shortcut = conv(12, 1, 2, 'valid').apply(y) as Sym;
    y = relu().apply(L.add().apply([r, shortcut])) as Sym;
    y = L.dense({ units: 10 }).apply(L.globalAveragePooling2d({}).apply(y)) as Sym;
    return tf.model({ inputs: x, outputs: y });
  } },
  DenseNet: { input: [24, 24, 1], build: () => {
    const x = tf.input({ shape: [24, 24, 1] });
    let y = L.maxPooling2d({ poolSize: 3, strides: 2, padding: 'same' }).apply(relu().apply(bn().apply(conv(8, 7, 2).apply(x)))) as Sym;
    for (let i = 0; i < 2; i++) {
      const z = conv(4, 3).apply(relu().apply(bn().apply(y))) as Sym;
      y = L.concatenate().apply([y, z]) as Sym;
    }
    y = L.averagePooling2d({ poolSize: 2, strides: 2 }).apply(conv(8, 1, 1, 'valid').apply(relu().apply(bn().apply(y)))) as Sym;
    y = L.dense({ units: 10 }).apply(L.globalAveragePooling2d({}).apply(relu().apply(bn().apply(y)))) as Sym;
    return tf.model({ inputs: x, outputs: y });
  } },
};

/** Gradients of the mean cross-entropy w.r.t. every trainable weight, in training mode, on the current backend. */
function modelGrads(name: string, weights: Float32Array[] | null, x: Float32Array, labels: number[]): { grads: Float32Array[]; weights: Float32Array[]; leaked: number } {
  const spec = models[name];
  const model = spec.build();
  // Seeded weights (He-scaled normal kernels; biases/BN parameters keep their fixed defaults) make runs repeatable.
  const init = weights ?? model.getWeights().map((w, i) => (w.rank < 2 ? w.dataSync() as Float32Array
    : randn(w.size, 1000 + i).map((v) => v * Math.sqrt(2 / (w.size / w.shape[w.rank - 1])))));
  tf.tidy(() => model.setWeights(model.getWeights().map((w, i) => tf.tensor(init[i], w.shape))));
  const own = model.getWeights().map((w) => w.dataSync().slice() as Float32Array);
  const before = tf.memory().numTensors;
  const grads = tf.tidy(() => {
    const xs = tf.tensor(x, [labels.length, ...spec.input]);
    const ys = tf.oneHot(tf.tensor1d(labels, 'int32'), 10);
    const vars = model.trainableWeights.map((w) => w.read() as tf.Variable);
    const { grads: g } = tf.variableGrads(() => {
      const logits = model.apply(xs, { training: true }) as tf.Tensor;
      return tf.losses.softmaxCrossEntropy(ys, logits) as tf.Scalar;
    }, vars);
    return vars.map((v) => g[v.name].dataSync().slice() as Float32Array);
  });
  const leaked = tf.memory().numTensors - before;
  model.dispose();
  return { grads, weights: own, leaked };
}

function relErr(a: Float32Array, b: Float32Array): number {
  let diff = 0; let ref = 0;
  for (let i = 0; i < b.length; i++) { diff = Math.max(diff, Math.abs(a[i] - b[i])); ref = Math.max(ref, Math.abs(b[i])); }
  return diff / Math.max(ref, 1e-6);
}

describe('backend: wasm model gradients match cpu, one small net per chapter-7 architecture', function () {
  this.timeout(300000);
  const rows: string[] = [];
  let previous = '';
  before(async () => { previous = await ensureBackend(); await loadWasmBackend(); });
  after(async () => {
    await tf.setBackend(previous);
    console.log(`      ${'model'.padEnd(10)} weights  worst rel err\n      ${rows.join('\n      ')}`);
  });

  Object.keys(models).forEach((name, k) => it(name, async () => {
    const batch = 3;
    const x = randn(batch * models[name].input.reduce((a, b) => a * b, 1), 10 + k);
    const labels = Array.from({ length: batch }, (_, i) => (i * 7 + k) % 10);
    await tf.setBackend('cpu');
    const ref = modelGrads(name, null, x, labels);
    await tf.setBackend('wasm');
    const got = modelGrads(name, ref.weights, x, labels);
    assert.equal(got.leaked, 0, 'gradient computation leaked tensors');
    assert.equal(got.grads.length, ref.grads.length);
    const scale = (g: Float32Array) => g.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
    const modelScale = Math.max(...ref.grads.map(scale));
    const zero = ref.grads.map((g) => scale(g) < 1e-5 * modelScale);
    const errs = got.grads.map((g, i) => (zero[i] ? 0 : relErr(g, ref.grads[i])));
    got.grads.forEach((g, i) => {
      if (zero[i]) assert.ok(scale(g) < 1e-5 * modelScale, `${name}: weight ${i} should have a zero gradient, got ${scale(g)}`);
      else assert.ok(errs[i] <= TOLERANCE, `${name}: weight ${i} rel err ${errs[i]} > ${TOLERANCE}`);
    });
    if (process.env.D2L_DEBUG_GRADS) console.log(name, errs.map((e) => e.toExponential(1)).join(' '));
    const nZero = zero.filter(Boolean).length;
    rows.push(`${name.padEnd(10)} ${String(errs.length).padStart(7)}  ${Math.max(...errs).toExponential(1)}` +
      (nZero ? `  (${nZero} exactly-zero bias gradients: ≈0 on both)` : ''));
  }));
});
