// The in-place SGD update (src/ops/sgd-in-place.ts): bit-identical weights to tfjs' own SGD on the native
// backend, in place only where nothing else can see the weight's buffer, and no tensors or buffers left behind.
import { strict as assert } from 'assert';
import * as tf from '@tensorflow/tfjs';
import '../src'; // installs the patch table, this row among them
import { installSgdInPlace, sgdInPlaceInstalled, uninstallSgdInPlace } from '../src/ops/sgd-in-place';
import { describeNative, randn } from './native-helpers';

/** A small conv net with fixed weights, so two runs start from the same point. */
function smallNet(): tf.LayersModel {
  const net = tf.sequential({ layers: [
    tf.layers.conv2d({ inputShape: [8, 8, 1], filters: 4, kernelSize: 3, activation: 'relu' }),
    tf.layers.flatten(), tf.layers.dense({ units: 3 }),
  ] });
  const values = net.getWeights().map((w, i) => tf.tensor(randn(w.size, 10 + i, 0.3), w.shape));
  net.setWeights(values);
  tf.dispose(values); // until then the weights share their storage with these tensors
  return net;
}

/** Weights after `steps` SGD steps of `smallNet` on fixed data, via trainOnBatch (tfjs' own training API). */
async function train(steps: number): Promise<{ weights: Float32Array[]; keptStorage: boolean[] }> {
  const net = smallNet();
  const ids = net.trainableWeights.map((w) => w.read().dataId);
  net.compile({ optimizer: tf.train.sgd(0.05), loss: 'sparseCategoricalCrossentropy' });
  const x = tf.tensor(randn(6 * 64, 1), [6, 8, 8, 1]);
  const y = tf.tensor1d([0, 1, 2, 0, 1, 2]);
  for (let i = 0; i < steps; i++) await net.trainOnBatch(x, y);
  const keptStorage = net.trainableWeights.map((w, i) => w.read().dataId === ids[i]);
  const weights = net.getWeights().map((w) => w.dataSync().slice() as Float32Array);
  tf.dispose([x, y]);
  net.dispose();
  return { weights, keptStorage };
}

describeNative('sgd-in-place: tf.train.sgd updates weights in their own buffers', function () {
  this.timeout(60_000);
  let installedAtImport = false; // false when the process started with D2L_SGD_IN_PLACE=0
  before(async () => {
    installedAtImport = sgdInPlaceInstalled();
    installSgdInPlace();
    await tf.setBackend('native');
  });
  after(async () => {
    if (!installedAtImport) uninstallSgdInPlace();
    await tf.setBackend('cpu');
  });

  it('gives exactly the weights of tfjs\' own SGD after 5 steps', async () => {
    const { weights: ours, keptStorage } = await train(5);
    uninstallSgdInPlace();
    const { weights: theirs, keptStorage: tfjsKept } = await train(5);
    installSgdInPlace();
    assert.deepEqual(keptStorage, [true, true, true, true], 'every weight was updated in place');
    assert.deepEqual(tfjsKept, [false, false, false, false], "tfjs' SGD swaps each weight onto a new buffer");
    assert.equal(ours.length, theirs.length);
    ours.forEach((w, i) => assert.deepEqual(Array.from(w), Array.from(theirs[i]), `weight ${i} differs`));
    assert.ok(ours.some((w, i) => w.some((v, j) => v !== 0 && v === theirs[i][j])), 'weights are non-trivial');
  });

  it('updates an unshared weight in place: same storage, nothing allocated, no tensor left', () => {
    const init = tf.tensor1d([1, 2, 3]);
    const v = tf.variable(init, true, 'sgd-own');
    init.dispose(); // until then the variable shares its storage
    const g = tf.tensor1d([10, 20, 30]);
    const opt = tf.train.sgd(0.1);
    const id = v.dataId;
    const before = tf.memory().numTensors;
    opt.applyGradients({ 'sgd-own': g });
    assert.equal(v.dataId, id, 'the variable kept its storage');
    assert.equal(tf.memory().numTensors, before);
    assert.deepEqual(Array.from(v.dataSync()), [0, 0, 0].map((_, i) => Math.fround(Math.fround(i + 1)
      + Math.fround(Math.fround(-0.1) * (10 * (i + 1))))));
    tf.dispose([v, g]);
    opt.dispose();
  });

  it('leaves a clone and an array from dataSync as they were (tfjs semantics)', () => {
    const v = tf.variable(tf.tensor1d([1, 2, 3]), true, 'sgd-shared');
    const copy = v.clone(); // shares v's storage in tfjs
    const opt = tf.train.sgd(1);
    opt.applyGradients({ 'sgd-shared': tf.tensor1d([1, 1, 1]) });
    assert.deepEqual(Array.from(copy.dataSync()), [1, 2, 3], 'the clone kept the old values');
    assert.deepEqual(Array.from(v.dataSync()), [0, 1, 2]);
    const held = v.dataSync(); // the cpu-style backend hands out its storage itself
    opt.applyGradients({ 'sgd-shared': tf.tensor1d([1, 1, 1]) });
    assert.deepEqual(Array.from(held), [0, 1, 2], 'an array read before the step is not changed under the reader');
    assert.deepEqual(Array.from(v.dataSync()), [-1, 0, 1]);
    tf.dispose([v, copy]);
    opt.dispose();
  });

  it('takes the array form of applyGradients as tfjs does', () => {
    const v = tf.variable(tf.tensor1d([4, 4]), true, 'sgd-other');
    const opt = tf.train.sgd(0.5);
    opt.applyGradients([{ name: 'sgd-other', tensor: tf.tensor1d([2, 2]) }]); // the array form
    assert.deepEqual(Array.from(v.dataSync()), [3, 3]);
    v.dispose();
    opt.dispose();
  });
});
