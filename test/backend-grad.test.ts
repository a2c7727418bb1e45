/**
 * Gradient checks: every conv/pool configuration chapter 7 uses, wasm (with d2l's kernels) vs the cpu backend.
 *
 * Each case computes d(Σ op(inputs) ⊙ R)/d(inputs) for random inputs and a random cotangent R (so dy has both
 * signs), on cpu and on wasm from identical data. Relative error = max|wasm − cpu| / max(max|cpu|, 1e-6)
 * (max-norm, so a single misrouted gradient shows up at full size); it must be ≤ 1e-4.
 */
import { strict as assert } from 'assert';
import * as tf from '@tensorflow/tfjs';
import { ensureBackend } from '../src/backend';
import { loadWasmBackend } from '../src/backend/wasm/load';
import { col2imLimits } from '../src/backend/wasm/conv2d-backprop-input';
import { blockedLimits } from '../src/backend/wasm/conv-blocked';

const TOLERANCE = 1e-4;
type Pad = 'valid' | 'same' | number | [[number, number], [number, number], [number, number], [number, number]];

/** Deterministic pseudo-random normal data (so a failure is reproducible). */
function randn(n: number, seed: number): Float32Array {
  let s = seed >>> 0;
  const u = () => { s = (s * 1664525 + 1013904223) >>> 0; return (s + 0.5) / 4294967296; };
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = Math.sqrt(-2 * Math.log(u())) * Math.cos(2 * Math.PI * u());
  return out;
}

interface Case { title: string; shapes: number[][]; f: (...xs: tf.Tensor[]) => tf.Tensor; transform?: (a: Float32Array) => Float32Array }

/** Gradients of Σ f(xs) ⊙ R on the current backend, as plain arrays. */
function gradsOn(c: Case, data: Float32Array[], cot: Float32Array): Float32Array[] {
  return tf.tidy(() => {
    const xs = data.map((d, i) => tf.tensor(d, c.shapes[i]));
    const g = tf.grads((...ins: tf.Tensor[]) => {
      const y = c.f(...ins);
      return tf.sum(tf.mul(y, tf.tensor(cot.subarray(0, y.size), y.shape)));
    });
    return g(xs).map((t) => t.dataSync() as Float32Array);
  });
}

function relErr(a: Float32Array, b: Float32Array): number {
  let diff = 0; let ref = 0;
  for (let i = 0; i < b.length; i++) { diff = Math.max(diff, Math.abs(a[i] - b[i])); ref = Math.max(ref, Math.abs(b[i])); }
  return diff / Math.max(ref, 1e-6);
}

const table: string[] = [];

async function check(c: Case, seed: number): Promise<void> {
  const data = c.shapes.map((s, i) => {
    const d = randn(s.reduce((a, b) => a * b, 1), seed + 7919 * i);
    return c.transform ? c.transform(d) : d;
  });
  const cot = randn(1 << 16, seed + 1);
  await tf.setBackend('cpu');
  const expected = gradsOn(c, data, cot);
  await tf.setBackend('wasm');
  const before = tf.memory().numTensors;
  const got = gradsOn(c, data, cot);
  assert.equal(tf.memory().numTensors, before, `${c.title}: tensors leaked`);
  const errs = got.map((g, i) => relErr(g, expected[i]));
  table.push(`${c.title.padEnd(52)} ${errs.map((e) => e.toExponential(1)).join('  ')}`);
  errs.forEach((e, i) => assert.ok(e <= TOLERANCE, `${c.title}: input ${i} rel err ${e} > ${TOLERANCE}`));
}

const conv = (k: number, s: number, pad: Pad, h: number, ci = 3, co = 4, b = 2): Case => ({
  title: `conv k${k} s${s} pad ${JSON.stringify(pad)} on ${h}x${h}x${ci}`,
  shapes: [[b, h, h, ci], [k, k, ci, co]],
  f: (x, w) => tf.conv2d(x as tf.Tensor4D, w as tf.Tensor4D, s, pad as 'valid'),
});
/** Explicit PyTorch-style padding as the models build it: zeroPadding2d (tf.pad) then a 'valid' conv. */
const convPadded = (k: number, s: number, p: number, h: number, ci = 3, co = 4): Case => ({
  title: `conv k${k} s${s} zeroPad ${p} + valid on ${h}x${h}x${ci}`,
  shapes: [[2, h, h, ci], [k, k, ci, co]],
  f: (x, w) => tf.conv2d(tf.pad(x, [[0, 0], [p, p], [p, p], [0, 0]]) as tf.Tensor4D, w as tf.Tensor4D, s, 'valid'),
});
const pool = (kind: 'max' | 'avg', k: number, s: number, pad: Pad, h: number, transform?: Case['transform'], note = ''): Case => ({
  title: `${kind}Pool ${k}/s${s} pad ${JSON.stringify(pad)} on ${h}x${h}${note}`,
  shapes: [[2, h, h, 3]],
  f: (x) => kind === 'max' ? tf.maxPool(x as tf.Tensor4D, k, s, pad as 'valid') : tf.avgPool(x as tf.Tensor4D, k, s, pad as 'valid'),
  transform,
});
const negative = (a: Float32Array) => a.map((v) => -Math.abs(v) - 0.01);
const reluLike = (a: Float32Array) => a.map((v) => Math.max(v, 0));

const convCases: Case[] = [
  conv(1, 1, 'valid', 6),                 // NiN / Inception 1×1
  conv(1, 2, 'valid', 8),                 // ResNet 1×1 shortcut, stride 2
  conv(3, 1, 'same', 7),                  // VGG / ResNet / DenseNet 3×3 p1
  conv(3, 2, 'same', 8),                  // tf 'same' with stride 2 (asymmetric pad)
  conv(3, 1, 'valid', 7),
  conv(3, 2, [[0, 0], [1, 1], [1, 1], [0, 0]], 8), // ResNet downsample, PyTorch p1
  convPadded(3, 2, 1, 9),
  conv(5, 1, 'valid', 12, 1, 6, 4),       // LeNet conv1
  conv(5, 1, 'same', 8),                  // AlexNet conv2 / Inception 5×5 p2
  convPadded(5, 1, 2, 8),
  conv(7, 2, 'same', 16),                 // b1 of GoogLeNet/ResNet/DenseNet
  convPadded(7, 2, 3, 16),
  conv(11, 4, 'valid', 29, 1, 4),         // NiN first conv (crops unused trailing rows)
  convPadded(11, 4, 1, 27, 1, 4),         // AlexNet first conv k11 s4 p1
  conv(11, 4, 'same', 24, 1, 4),
  // more input channels
  conv(1, 2, 'valid', 6, 12, 8),
  conv(3, 1, 'same', 6, 12, 8),
  conv(3, 2, [[0, 0], [1, 1], [1, 1], [0, 0]], 8, 12, 8),
  conv(3, 2, 'same', 7, 12, 8),
  conv(5, 1, 'same', 6, 12, 8),
  convPadded(5, 1, 2, 6, 12, 8),
  conv(7, 2, 'same', 10, 12, 4),
  conv(5, 4, 'valid', 13, 12, 4),
];
const poolCases: Case[] = [
  pool('max', 3, 2, 'valid', 13),                           // AlexNet / NiN
  pool('max', 3, 2, 'same', 12),                            // tf 'same' stride 2
  pool('max', 3, 2, 1, 12),                                 // PyTorch MaxPool(3,s2,p1)
  pool('max', 3, 1, 'same', 7),                             // Inception branch 4
  pool('max', 2, 2, 'valid', 8),                            // VGG
  pool('max', 3, 2, 'valid', 9, negative, ', all < 0'),     // the stock-wasm bug
  pool('max', 3, 1, 'same', 7, negative, ', all < 0'),
  pool('max', 3, 2, 1, 9, reluLike, ', ReLU zeros (ties)'),
  pool('avg', 2, 2, 'valid', 8),                            // LeNet / DenseNet transition
  pool('avg', 3, 2, 'same', 9),
  pool('avg', 3, 1, 'same', 6),
  pool('avg', 3, 2, 1, 9),
  pool('avg', 2, 2, 'valid', 9),                            // odd size: last row/col dropped
  // windows that tile the input (stride = window): the upsampling route
  pool('avg', 3, 3, 'valid', 10),                           // last row/col dropped
  pool('avg', 2, 2, 'same', 9),                             // last window half in the bottom/right padding
  pool('avg', 2, 2, 'same', 8),
];

describe('backend: wasm gradients match cpu (rel err ≤ 1e-4)', function () {
  this.timeout(300000);
  let previous = '';
  before(async () => { previous = await ensureBackend(); await loadWasmBackend(); });
  after(async () => {
    await tf.setBackend(previous); // other test files expect the automatically selected backend
    console.log(`      ${'case'.padEnd(52)} rel err per input\n      ${table.join('\n      ')}`);
  });

  convCases.forEach((c, i) => it(c.title, () => check(c, 100 + i)));
  poolCases.forEach((c, i) => it(c.title, () => check(c, 200 + i)));

  it('col2im dX split into batch chunks (as for AlexNet at batch 128) gives the same gradients', async () => {
    const saved = col2imLimits.chunkElements;
    col2imLimits.chunkElements = 2 * 4 * 4 * 121; // dy is 4×4 per image: two images per chunk → chunks of 2, 2, 1
    try {
      await check({ ...convPadded(11, 4, 1, 21, 1, 4), title: 'conv k11 s4 zeroPad 1 on 21x21x1, batch 5 in 3 chunks', shapes: [[5, 21, 21, 1], [11, 11, 1, 4]] }, 310);
    } finally {
      col2imLimits.chunkElements = saved;
    }
  });

  it('conv with stride 4 and 3 input channels backprops to its input (col2im)', () =>
    check(conv(5, 4, 'valid', 17), 300));

  it('col2im forced at stride 1 (normally stride ≥ 2 only) gives the same gradients', async () => {
    const saved = col2imLimits.maxInChannels;
    col2imLimits.maxInChannels = 1000;
    try {
      const cases = [conv(5, 1, 'valid', 12, 1, 6, 4), conv(3, 2, 'same', 8), conv(3, 1, 'same', 6, 12, 8), convPadded(7, 2, 3, 16)];
      for (const [i, c] of cases.entries()) await check({ ...c, title: `${c.title} (col2im)` }, 320 + i);
    } finally {
      col2imLimits.maxInChannels = saved;
    }
  });

  it('blocked dX at stride 1 for 1-3 input channels: block sizes 4 and 2, cropping, padding kinds', async () => {
    const cases: Case[] = [
      conv(5, 1, 'same', 28, 1, 6, 3),                                 // the book's LeNet conv1 (pad 2), r = 4
      conv(5, 1, 'valid', 13, 1, 6, 2),                                // 9×9 dx rows: r = 4 does not divide, cropped
      conv(3, 1, [[0, 0], [2, 0], [0, 1], [0, 0]], 10, 1, 5),          // asymmetric explicit padding
      conv(5, 1, 'valid', 11, 2, 7),                                   // ci = 2, r = 2, odd size
      conv(7, 1, 'same', 9, 3, 9),                                     // ci = 3, filter larger than a block
      conv(1, 1, 'valid', 5, 1, 3),                                    // 1×1 filter
      { title: 'conv k3×5 s1 valid on 9x14x1 (non-square)', shapes: [[2, 9, 14, 1], [3, 5, 1, 4]],
        f: (x, w) => tf.conv2d(x as tf.Tensor4D, w as tf.Tensor4D, 1, 'valid') },
    ];
    for (const [i, c] of cases.entries()) await check({ ...c, title: `${c.title} (blocked)` }, 340 + i);
  });

  it('flipped-filter conv dX still right for few input channels when blocking is off', async () => {
    const saved = blockedLimits.maxInChannels;
    blockedLimits.maxInChannels = 0;
    try {
      const cases = [conv(5, 1, 'valid', 12, 1, 6, 4), conv(3, 1, 'same', 7), convPadded(5, 1, 2, 8)];
      for (const [i, c] of cases.entries()) await check({ ...c, title: `${c.title} (flipped conv)` }, 360 + i);
    } finally {
      blockedLimits.maxInChannels = saved;
    }
  });

  it('avgPool with a non-square window tiling a non-square input (upsampling route)', () =>
    check({ title: 'avgPool [2,3]/s[2,3] valid on 7x11', shapes: [[2, 7, 11, 3]],
      f: (x) => tf.avgPool(x as tf.Tensor4D, [2, 3], [2, 3], 'valid') }, 230));

  it('tile, as the BatchNorm gradient uses it, and an int32 / multi-axis tile', async () => {
    await check({ title: 'tile [1,1,1,C] → [B,H,W,C]', shapes: [[1, 1, 1, 5]], f: (x) => tf.tile(x, [3, 4, 2, 1]) }, 400);
    await check({ title: 'tile [2,3,2] by [2,1,3]', shapes: [[2, 3, 2]], f: (x) => tf.tile(x, [2, 1, 3]) }, 401);
    const xs = [[1, 2], [3, 4]];
    await tf.setBackend('cpu');
    const want = tf.tidy(() => tf.tile(tf.tensor2d(xs, undefined, 'int32'), [2, 3]).arraySync());
    await tf.setBackend('wasm');
    assert.deepEqual(tf.tidy(() => tf.tile(tf.tensor2d(xs, undefined, 'int32'), [2, 3]).arraySync()), want);
  });

  it('matMul with transposed operands (dense-layer gradients)', async () => {
    for (const [ta, tb] of [[false, false], [true, false], [false, true], [true, true]]) {
      await check({
        title: `matMul transposeA=${ta} transposeB=${tb}`,
        shapes: [ta ? [7, 5] : [5, 7], tb ? [3, 7] : [7, 3]],
        f: (a, b) => tf.matMul(a as tf.Tensor2D, b as tf.Tensor2D, ta, tb),
      }, 450);
    }
    await check({ title: 'batched matMul aᵀ·b', shapes: [[2, 6, 4], [2, 6, 3]], f: (a, b) => tf.matMul(a as tf.Tensor3D, b as tf.Tensor3D, true, false) }, 460);
  });

  it('per-channel broadcast arithmetic and Sum/Mean over leading axes (batch-norm arithmetic)', async () => {
    const ops = (x: tf.Tensor, c: tf.Tensor) => {
      const pos = tf.exp(c);
      return tf.concat([tf.add(x, c), tf.sub(x, c), tf.sub(c, x), tf.mul(x, c), tf.div(x, pos), tf.div(pos, tf.add(tf.abs(x), 1)),
      ], 3);
    };
    await check({ title: 'x ∘ c, x [4,8,8,16], c [16]', shapes: [[4, 8, 8, 16], [16]], f: ops }, 470);
    await check({ title: 'x ∘ c, x [4,8,8,16], c [1,1,1,16]', shapes: [[4, 8, 8, 16], [1, 1, 1, 16]], f: ops }, 471);
    await check({ title: 'x ∘ c, x [4,8,8,16], c [8,16]', shapes: [[4, 8, 8, 16], [8, 16]], f: ops }, 472);
    await check({ title: 'x [64,128] ∘ c [128] (dense BN)', shapes: [[64, 128], [128]], f: (x, c) => tf.concat([tf.mul(x, c), tf.sub(c, x)], 1) }, 473);
    // squaredDifference: forward only (tfjs-core's gradient does not reduce broadcast inputs, on any backend).
    const [xd, cd] = [randn(4 * 8 * 8 * 16, 474), randn(16, 475)];
    const sqd = () => tf.tidy(() => {
      const [x, c] = [tf.tensor(xd, [4, 8, 8, 16]), tf.tensor(cd, [16])];
      return tf.concat([tf.squaredDifference(x, c), tf.squaredDifference(c, x)]).dataSync() as Float32Array;
    });
    await tf.setBackend('cpu');
    const want = sqd();
    await tf.setBackend('wasm');
    const got = sqd();
    assert.ok(relErr(got, want) <= 1e-6, `squaredDifference rel err ${relErr(got, want)}`);
    await check({
      title: 'sum/mean over (0,1,2), (0,1), (0), keepDims',
      shapes: [[4, 8, 8, 16]],
      f: (x) => tf.concat([tf.sum(x, [0, 1, 2]), tf.mean(x, [0, 1, 2]), tf.sum(x, [0, 1]).reshape([-1]),
        tf.mean(x, [2, 1, 0], true).reshape([-1]), tf.sum(x, 0).reshape([-1]), tf.sum(x, [1, 2]).reshape([-1])]),
    }, 480);
  });

  it('zero-copy clone: a clone outlives its source and does not follow a variable\'s assignment', () => {
    const before = tf.memory().numTensors;
    const x = tf.tensor([1, 2, 3]);
    const y = tf.clone(x);
    x.dispose();
    assert.deepEqual(Array.from(y.dataSync()), [1, 2, 3]);
    const [init, next] = [tf.tensor([4, 5]), tf.tensor([6, 7])];
    const v = tf.variable(init);
    const snapshot = v.clone();
    v.assign(next);
    assert.deepEqual(Array.from(snapshot.dataSync()), [4, 5]);
    assert.deepEqual(Array.from(v.dataSync()), [6, 7]);
    tf.dispose([y, v, snapshot, init, next]);
    assert.equal(tf.memory().numTensors, before);
  });

  it('batchNorm in training mode (moments + FusedBatchNorm), ReLU and sigmoid', () =>
    check({
      title: 'BN(train) → relu, sigmoid',
      shapes: [[3, 5, 5, 4], [4], [4]],
      f: (x, gamma, beta) => {
        const { mean, variance } = tf.moments(x, [0, 1, 2]);
        const y = tf.batchNorm(x, mean, variance, beta, gamma, 1e-5);
        return tf.concat([tf.relu(y), tf.sigmoid(y)], 3);
      },
    }, 500));
});
