/**
 * §7.4–7.7 building blocks: the scratch batch norm (function and layer), Residual, Inception, DenseBlock and the
 * block functions — semantics, parameter counts and shapes from chapter7.md §3/§8 (NCHW transposed to NHWC).
 */
import * as assert from 'assert';
import * as tf from '@tensorflow/tfjs';
import {
  BatchNorm, batchNorm, blockFlow, convBlock, DenseBlock, Inception, Residual, resnetBlock, transitionBlock,
} from '../src/layers';
import { countTrainableParams, layerShapes } from '../src/models';

/** A block on its own, with a declared input, as a model (for predict/apply/fit). */
const wrap = (layer: tf.layers.Layer, inputShape: number[]) =>
  tf.sequential({ layers: [tf.layers.inputLayer({ inputShape }), layer] });

const close = (a: tf.Tensor, b: tf.Tensor | number[] | number[][], tol = 1e-5) => {
  const d = tf.tidy(() => a.sub(b instanceof tf.Tensor ? b : tf.tensor(b)).abs().max().dataSync()[0]);
  assert.ok(d <= tol, `max |diff| ${d} > ${tol}`);
};

describe('layers: batchNorm (scratch function, §7.5)', () => {
  before(async () => { await tf.setBackend('cpu'); });

  it('training mode on 2-D input normalizes per feature with the biased variance', () => {
    tf.tidy(() => {
      const X = tf.tensor2d([[1, 10], [3, 30], [5, 20], [7, 40]]);
      const [Y, mm, mv] = batchNorm(X, tf.ones([1, 2]), tf.zeros([1, 2]), tf.zeros([1, 2]), tf.ones([1, 2]),
                                    1e-5, 0.9, true);
      // column 0: mean 4, biased var ((9+1+1+9)/4) = 5; column 1: mean 25, var (225+25+25+225)/4 = 125
      const deviations = [[-3, -15], [-1, 5], [1, -5], [3, 15]];
      close(Y, deviations.map(([a, b]) => [a / Math.sqrt(5 + 1e-5), b / Math.sqrt(125 + 1e-5)]));
      close(mm, [[0.1 * 4, 0.1 * 25]]);
      close(mv, [[0.9 + 0.1 * 5, 0.9 + 0.1 * 125]], 1e-4);
      assert.deepStrictEqual(mm.shape, [1, 2]);
    });
  });

  it('training mode on 4-D NHWC input normalizes per channel over N, H, W', () => {
    tf.tidy(() => {
      const X = tf.randomNormal([3, 4, 5, 2], 2, 3, 'float32', 1);
      const shape = [1, 1, 1, 2];
      const [Y, mm, mv] = batchNorm(X, tf.fill(shape, 2), tf.fill(shape, 0.5), tf.zeros(shape), tf.ones(shape),
                                    1e-5, 0.9, true);
      const { mean, variance } = tf.moments(Y, [0, 1, 2]);
      close(mean, [0.5, 0.5], 1e-4);
      close(variance, [4, 4], 1e-3);
      const m = tf.moments(X, [0, 1, 2]);
      close(mm, m.mean.mul(0.1).reshape(shape), 1e-5);
      close(mv, m.variance.mul(0.1).add(0.9).reshape(shape), 1e-4);
    });
  });

  it('prediction mode uses the moving statistics and returns them unchanged', () => {
    tf.tidy(() => {
      const X = tf.tensor2d([[1, 2], [3, 4]]);
      const mm = tf.tensor2d([[1, 1]]);
      const mv = tf.tensor2d([[4, 9]]);
      const [Y, m2, v2] = batchNorm(X, tf.ones([1, 2]), tf.zeros([1, 2]), mm, mv, 0, 0.9, false);
      close(Y, [[0, 1 / 3], [1, 1]]);
      assert.strictEqual(m2, mm);
      assert.strictEqual(v2, mv);
    });
  });

  it('rejects 3-D input in training mode with a clear message', () => {
    assert.throws(() => batchNorm(tf.zeros([2, 3, 4]), tf.ones([4]), tf.zeros([4]), tf.zeros([4]), tf.ones([4]),
                                  1e-5, 0.9, true), /2-D .* or 4-D NHWC/);
  });
});

describe('layers: BatchNorm layer', () => {
  before(async () => { await tf.setBackend('cpu'); });

  it('has gamma/beta trainable and moving statistics non-trainable, shaped as the book', () => {
    const net = wrap(new BatchNorm(6, 4), [5, 5, 6]);
    assert.deepStrictEqual(net.trainableWeights.map((w) => w.shape), [[1, 1, 1, 6], [1, 1, 1, 6]]);
    assert.deepStrictEqual(net.nonTrainableWeights.map((w) => w.originalName.split('/').pop()), ['moving_mean', 'moving_var']);
    assert.strictEqual(countTrainableParams(wrap(new BatchNorm(120, 2), [120])), 240);
  });

  it('updates moving statistics only in training calls; predict uses them', () => {
    const layer = new BatchNorm(3, 4);
    const net = wrap(layer, [4, 4, 3]);
    const X = tf.randomNormal([2, 4, 4, 3], 1, 2, 'float32', 2);
    tf.tidy(() => net.predict(X) as tf.Tensor);
    close(layer.movingMean.read(), tf.zeros([1, 1, 1, 3]));
    tf.tidy(() => net.apply(X, { training: true }) as tf.Tensor);
    const { mean } = tf.moments(X, [0, 1, 2], true);
    close(layer.movingMean.read(), mean.mul(0.1));
    // prediction now normalizes with those statistics
    const expected = X.sub(layer.movingMean.read()).div(layer.movingVar.read().add(1e-5).sqrt());
    close(net.predict(X) as tf.Tensor, expected, 1e-4);
  });

  it('trains under optimizer.minimize and fit without leaking tensors', async () => {
    const net = wrap(new BatchNorm(3, 4), [4, 4, 3]);
    const X = tf.randomNormal([8, 4, 4, 3], 0, 1, 'float32', 3);
    const target = tf.randomNormal([8, 4, 4, 3], 0, 1, 'float32', 4);
    const opt = tf.train.sgd(0.1);
    const loss = () => (net.apply(X, { training: true }) as tf.Tensor).sub(target).square().mean() as tf.Scalar;
    const first = tf.tidy(() => loss().dataSync()[0]);
    opt.minimize(loss); // warm-up: the optimizer allocates its learning-rate scalar once
    const before = tf.memory().numTensors;
    for (let i = 0; i < 5; i++) opt.minimize(loss);
    assert.strictEqual(tf.memory().numTensors, before);
    const last = tf.tidy(() => loss().dataSync()[0]);
    assert.ok(last < first, `loss ${first} → ${last}`);
    net.compile({ optimizer: tf.train.sgd(0.1), loss: 'meanSquaredError' });
    await net.trainOnBatch(X, target);
    const n0 = tf.memory().numTensors;
    for (let i = 0; i < 3; i++) await net.trainOnBatch(X, target);
    assert.strictEqual(tf.memory().numTensors, n0);
  });

  it('serializes numFeatures and numDims', () => {
    const config = new BatchNorm(84, 2).getConfig();
    assert.strictEqual(config.numFeatures, 84);
    assert.strictEqual(config.numDims, 2);
    assert.throws(() => new BatchNorm(3, 3 as 4), /numDims must be 2 or 4/);
  });
});

describe('layers: blocks (§7.4, 7.6, 7.7): shapes and parameter counts', () => {
  before(async () => { await tf.setBackend('cpu'); });

  it('Residual(3,3): 4×6×6×3 → same shape, 180 params', () => {
    const blk = new Residual(3);
    assert.deepStrictEqual(layerShapes(blk, [4, 6, 6, 3]).map((l) => l.shape), [[4, 6, 6, 3]]);
    const net = wrap(blk, [6, 6, 3]);
    assert.strictEqual(countTrainableParams(net), 180);
    const Y = net.predict(tf.randomUniform([4, 6, 6, 3])) as tf.Tensor;
    assert.deepStrictEqual(Y.shape, [4, 6, 6, 3]);
  });

  it('Residual(3,6, 1×1 conv, stride 2): 4×6×6×3 → 4×3×3×6, 546 params', () => {
    const blk = new Residual(6, { use1x1conv: true, strides: 2 });
    assert.deepStrictEqual(layerShapes(blk, [4, 6, 6, 3])[0].shape, [4, 3, 3, 6]);
    const net = wrap(blk, [6, 6, 3]);
    assert.strictEqual(countTrainableParams(net), 546);
    assert.deepStrictEqual((net.predict(tf.randomUniform([4, 6, 6, 3])) as tf.Tensor).shape, [4, 3, 3, 6]);
    assert.strictEqual(blk.subLayers.length, 6);
  });

  it('DenseBlock(2, 3→10): 4×8×8×3 → 4×8×8×23, 1,492 params; transitionBlock(23,10) → 4×4×4×10, 286', () => {
    const blk = new DenseBlock(2, 10);
    assert.deepStrictEqual(layerShapes(blk, [4, 8, 8, 3])[0].shape, [4, 8, 8, 23]);
    const net = wrap(blk, [8, 8, 3]);
    assert.strictEqual(countTrainableParams(net), 1492);
    assert.strictEqual(blk.subLayers.length, 2);
    const Y = net.predict(tf.randomNormal([4, 8, 8, 3])) as tf.Tensor;
    assert.deepStrictEqual(Y.shape, [4, 8, 8, 23]);
    const trans = transitionBlock(23, 10);
    assert.strictEqual(countTrainableParams(trans), 286);
    assert.deepStrictEqual((trans.predict(Y) as tf.Tensor).shape, [4, 4, 4, 10]);
  });

  it('Inception keeps H×W and concatenates c1 + c2[1] + c3[1] + c4 channels', () => {
    const blk = new Inception(64, [96, 128], [16, 32], 32);
    assert.deepStrictEqual(layerShapes(blk, [1, 12, 12, 192])[0].shape, [1, 12, 12, 256]);
    // conv = in·out·k² + out, per path: 192·64+64, 192·96+96 + 96·128·9+128, 192·16+16 + 16·32·25+32, 192·32+32
    const expected = (192 * 64 + 64) + (192 * 96 + 96) + (96 * 128 * 9 + 128) + (192 * 16 + 16) +
      (16 * 32 * 25 + 32) + (192 * 32 + 32);
    assert.strictEqual(countTrainableParams(wrap(blk, [12, 12, 192])), expected);
    assert.strictEqual(blk.subLayers.length, 7);
  });

  it('resnetBlock and convBlock build nestable sequential blocks', () => {
    const stage = tf.sequential({ layers: resnetBlock(64, 128, 2) });
    assert.deepStrictEqual(layerShapes(stage, [1, 24, 24, 64]).map((l) => l.shape), [[1, 12, 12, 128], [1, 12, 12, 128]]);
    const cb = convBlock(3, 10);
    assert.deepStrictEqual(cb.layers.map((l) => l.getClassName()), ['BatchNormalization', 'ReLU', 'Conv2D']);
  });

  it('names sub-layer weights after the block, so they are unique and stable', () => {
    const net = wrap(new Residual(6, { use1x1conv: true, strides: 2, name: 'res' }), [6, 6, 3]);
    const names = net.weights.map((w) => w.originalName);
    assert.ok(names.includes('res/res_conv1/kernel'), names.join(' '));
    assert.strictEqual(new Set(names).size, names.length);
    const dense = wrap(new DenseBlock(2, 4, { name: 'db' }), [4, 4, 3]);
    assert.ok(dense.weights.some((w) => w.originalName === 'db/db_conv1_conv/kernel'));
  });
});

describe('layers: CompositeLayer and registerLayer (what a block region leaves out)', () => {
  before(async () => { await tf.setBackend('cpu'); });

  it('finds the sub-layers among the fields, in the order the constructor assigns them (null fields skipped)', () => {
    const suffixes = (l: Residual) => l.subLayers.map((s) => s.name.slice(l.name.length + 1));
    assert.deepStrictEqual(suffixes(new Residual(6, { use1x1conv: true, strides: 2 })), ['pad1', 'conv1', 'conv2', 'conv3', 'bn1', 'bn2']);
    assert.deepStrictEqual(suffixes(new Residual(3)), ['pad1', 'conv1', 'conv2', 'bn1', 'bn2']);
    const inc = new Inception(1, [2, 3], [4, 5], 6);
    assert.deepStrictEqual(inc.subLayers, [inc.p1_1, inc.p2_1, inc.p2_2, inc.p3_1, inc.p3_2, inc.p4_1, inc.p4_2]);
  });

  it('owns its sub-layers\' weights, and freezing the block freezes them', () => {
    const blk = new Residual(3, { name: 'frozen' });
    const net = wrap(blk, [6, 6, 3]);
    const own = blk.subLayers.flatMap((l) => l.weights);
    assert.deepStrictEqual(blk.weights, [...blk.subLayers.flatMap((l) => l.trainableWeights), ...blk.subLayers.flatMap((l) => l.nonTrainableWeights)]);
    assert.strictEqual(blk.weights.length, own.length);
    assert.strictEqual(countTrainableParams(net), 180);
    blk.trainable = false;
    assert.deepStrictEqual([blk.trainableWeights.length, blk.nonTrainableWeights.length, countTrainableParams(net)], [0, own.length, 0]);
    assert.ok(blk.subLayers.every((l) => !l.trainable));
    blk.trainable = true;
    assert.strictEqual(countTrainableParams(net), 180);
    assert.throws(() => { blk.trainableWeights = []; }, /weights are those of its sub-layers/);
    net.dispose();
  });

  it('saves the constructor\'s arguments and rebuilds each chapter layer from its config', () => {
    const layers: tf.layers.Layer[] = [new BatchNorm(6, 4, { name: 'bn' }), new Residual(8, { use1x1conv: true, strides: 2, name: 'res' }),
      new Inception(1, [2, 3], [4, 5], 6, { name: 'inc' }), new DenseBlock(2, 10, { name: 'dense' })];
    for (const layer of layers) {
      const cls = tf.serialization.SerializationMap.getMap().classNameMap[layer.getClassName()][0] as unknown as typeof tf.layers.Layer;
      assert.strictEqual(cls, layer.constructor, `${layer.getClassName()} is registered with tfjs`);
      const config = layer.getConfig();
      const copy = (cls as any).fromConfig(cls, config) as tf.layers.Layer;
      assert.deepStrictEqual(copy.getConfig(), config);
      assert.strictEqual(copy.constructor, layer.constructor);
    }
    assert.deepStrictEqual(new Residual(8, { use1x1conv: true, strides: 2, name: 'res' }).getConfig(),
      { name: 'res', trainable: true, numChannels: 8, use1x1conv: true, strides: 2 });
  });

  it('gives the figures a block\'s data flow by class name, and none to an edited copy it would not cover', () => {
    // A notebook defines its own class from the region: same class name and fields, another class object
    class NotebookResidual extends Residual { static override className = 'Residual'; }
    class EditedResidual extends Residual {
      static override className = 'Residual';
      readonly conv4 = tf.layers.conv2d({ filters: 3, kernelSize: 1 });
    }
    assert.ok(blockFlow(new Residual(3)));
    assert.ok(blockFlow(new NotebookResidual(3)));
    assert.strictEqual(blockFlow(new EditedResidual(3)), undefined);
    assert.strictEqual(blockFlow(tf.layers.dense({ units: 1 })), undefined);
  });
});
