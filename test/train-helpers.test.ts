import { strict as assert } from 'assert';
import * as tf from '@tensorflow/tfjs';
import { getDisplaySink, setDisplaySink } from '../src/display/protocol';
import type { MimeBundle } from '../src/display/protocol';
import {
  Accumulator, EpochProgress, Timer, formatBytes, accuracy, collectLayers, evaluateAccuracy, initWeights, kernelFans, measureStepBytes,
  trainCh6, ZERO_HEAD_BIAS,
} from '../src/train';
import { ArrayIter, captureOutput, makeQuadrantData, onCpuBackendInSuite, smallConvNet } from './train-fixtures';

describe('train helpers (cpu backend)', function () {
  onCpuBackendInSuite();

  it('Timer records intervals; avg, sum and cumsum agree with them', async () => {
    const timer = new Timer();
    await new Promise((r) => setTimeout(r, 5));
    const first = timer.stop();
    assert.ok(first > 0);
    timer.start();
    const second = timer.stop();
    assert.deepEqual(timer.times, [first, second]);
    assert.equal(timer.sum(), first + second);
    assert.equal(timer.avg(), (first + second) / 2);
    assert.deepEqual(timer.cumsum(), [first, first + second]);
  });

  it('Accumulator adds element-wise, resets, and rejects a wrong number of values', () => {
    const metric = new Accumulator(3);
    metric.add(1, 2, 3);
    metric.add(0.5, 0, 1);
    assert.deepEqual([metric.get(0), metric.get(1), metric.get(2)], [1.5, 2, 4]);
    metric.reset();
    assert.deepEqual(metric.data, [0, 0, 0]);
    assert.throws(() => metric.add(1, 2), /expected 3 values, got 2/);
  });

  it('accuracy counts correct argmax predictions (a count, not a ratio), also for label predictions', () => {
    const n0 = tf.memory().numTensors;
    const yHat = tf.tensor2d([[0.1, 0.9], [0.8, 0.2], [0.3, 0.7]]);
    const y = tf.tensor1d([1, 1, 1], 'int32');
    assert.equal(accuracy(yHat, y), 2);
    const labels = tf.tensor1d([1, 0, 1], 'int32');
    assert.equal(accuracy(labels, y), 2);
    tf.dispose([yHat, y, labels]);
    assert.equal(tf.memory().numTensors, n0);
  });

  it('evaluateAccuracy matches a direct count and disposes every batch', async () => {
    const data = makeQuadrantData(40, 3);
    const net = smallConvNet();
    const n0 = tf.memory().numTensors;
    const acc = await evaluateAccuracy(net, new ArrayIter(data, 16));
    assert.equal(tf.memory().numTensors, n0);
    const expected = tf.tidy(() => {
      const logits = net.predict(tf.tensor4d(data.X, [40, 8, 8, 1])) as tf.Tensor;
      return logits.argMax(1).equal(tf.tensor1d(data.y, 'int32')).sum().dataSync()[0] / 40;
    });
    assert.equal(acc, expected);
  });

  it('initWeights: Xavier-uniform kernels, PyTorch-style biases, recursing into nested blocks; BN untouched', () => {
    const inner = tf.sequential({ layers: [tf.layers.dense({ units: 6, inputShape: [5] }),
      tf.layers.batchNormalization({ gammaInitializer: 'ones' })] });
    const net = tf.sequential({ layers: [tf.layers.dense({ units: 5, inputShape: [20], biasInitializer: 'zeros' }), inner] });
    const layers = collectLayers(net);
    assert.deepEqual(layers.map((l) => l.getClassName()), ['Dense', 'Sequential', 'Dense', 'BatchNormalization']);
    const bnBefore = inner.layers[1].getWeights().map((w) => Array.from(w.dataSync()));
    assert.equal(initWeights(net, 3), 2);
    const [k1, b1] = net.layers[0].getWeights().map((w) => Array.from(w.dataSync()));
    const limit1 = Math.sqrt(6 / (20 + 5));
    assert.ok(k1.every((v) => Math.abs(v) <= limit1) && Math.max(...k1.map(Math.abs)) > 0.8 * limit1);
    assert.ok(b1.every((v) => Math.abs(v) <= 1 / Math.sqrt(20)) && b1.some((v) => v !== 0));
    const [k2] = inner.layers[0].getWeights().map((w) => Array.from(w.dataSync()));
    assert.ok(k2.every((v) => Math.abs(v) <= Math.sqrt(6 / 11)));
    assert.deepEqual(inner.layers[1].getWeights().map((w) => Array.from(w.dataSync())), bnBefore);
    // the same seed draws the same weights
    const again = net.layers[0].getWeights()[0].dataSync().slice();
    initWeights(net, 3);
    assert.deepEqual(Array.from(net.layers[0].getWeights()[0].dataSync()), Array.from(again));
  });

  it("initWeights 'kaiming': U(±√(6/fan_in)), so the variance is 2/fan_in; an unknown scheme is one clear error", () => {
    // A conv 3×3, 64 → 64: fan_in 576, Kaiming limit √(6/576) ≈ 0.102; Xavier's √(6/1152) ≈ 0.072
    const net = tf.sequential({ layers: [tf.layers.conv2d({ filters: 64, kernelSize: 3, inputShape: [8, 8, 64] })] });
    try {
      initWeights(net, 5, 'kaiming');
      const k = Array.from(net.layers[0].getWeights()[0].dataSync());
      const limit = Math.sqrt(6 / 576);
      assert.ok(k.every((v) => Math.abs(v) <= limit));
      assert.ok(Math.max(...k.map(Math.abs)) > Math.sqrt(6 / 1152), 'wider than Xavier');
      const variance = k.reduce((s, v) => s + v * v, 0) / k.length;
      assert.ok(Math.abs(variance - 2 / 576) < 0.05 * (2 / 576), `variance ${variance}`);
      assert.throws(() => initWeights(net, 5, 'he' as never), /unknown init scheme 'he'; use 'xavier' \(the book's\), 'kaiming' or 'kaiming-zero-head'/);
    } finally {
      net.dispose();
    }
  });

  it("initWeights 'kaiming-zero-head': Kaiming everywhere but the last layer, whose kernel is 0 and biases ZERO_HEAD_BIAS", () => {
    const block = tf.sequential({ layers: [tf.layers.conv2d({ filters: 8, kernelSize: 1, inputShape: [4, 4, 8] }),
      tf.layers.conv2d({ filters: 10, kernelSize: 1, activation: 'relu' })] });
    const net = tf.sequential({ layers: [tf.layers.conv2d({ filters: 8, kernelSize: 3, padding: 'same', inputShape: [4, 4, 3] }),
      block] });
    try {
      assert.equal(initWeights(net, 2, 'kaiming-zero-head'), 3);
      const first = Array.from(net.layers[0].getWeights()[0].dataSync());
      assert.ok(first.every((v) => Math.abs(v) <= Math.sqrt(6 / 27)) && first.some((v) => Math.abs(v) > Math.sqrt(6 / 99)),
        'the first conv is drawn as Kaiming');
      const middle = Array.from(block.layers[0].getWeights()[0].dataSync());
      assert.ok(middle.some((v) => v !== 0));
      const [kernel, bias] = block.layers[1].getWeights().map((w) => Array.from(w.dataSync()));
      assert.ok(kernel.every((v) => v === 0));
      assert.deepEqual(bias, new Array(10).fill(Math.fround(ZERO_HEAD_BIAS)));
      // every class starts at the same, positive score: the ReLU after the head passes gradient to all of them
      const out = tf.tidy(() => Array.from((net.predict(tf.randomUniform([2, 4, 4, 3])) as tf.Tensor).dataSync()));
      assert.ok(out.every((v) => Math.abs(v - ZERO_HEAD_BIAS) < 1e-7), `${out.slice(0, 4)}`);
    } finally {
      net.dispose();
    }
  });

  it('collectLayers follows custom layers\' subLayers; kernelFans uses receptive field × channels', () => {
    const dense = tf.layers.dense({ units: 2 });
    const custom = Object.assign(tf.layers.activation({ activation: 'linear' }), { subLayers: [dense] });
    const fake = { layers: [custom] } as unknown as tf.LayersModel;
    assert.deepEqual(collectLayers(fake), [custom, dense]);
    assert.deepEqual(kernelFans([3, 3, 4, 8]), { fanIn: 36, fanOut: 72 });
    assert.deepEqual(kernelFans([10, 4]), { fanIn: 10, fanOut: 4 });
  });

  it('rejects unusable arguments with one clear error each', async () => {
    const it8 = new ArrayIter(makeQuadrantData(8, 1), 8);
    await assert.rejects(trainCh6(smallConvNet(), it8, it8, 0, 0.1), /numEpochs must be a positive integer, got 0/);
    await assert.rejects(trainCh6(smallConvNet(), it8, it8, 1, -1), /lr must be a positive number, got -1/);
    await assert.rejects(trainCh6({} as tf.LayersModel, it8, it8, 1, 0.1), /net must be a tf.LayersModel/);
  });

  it('formats byte counts for the micro-batching notice', () => {
    assert.equal(formatBytes(4294901760), '4 GiB'); // the wasm heap limit: 4 GiB minus one 64 KiB page
    assert.equal(formatBytes(1536), '1.5 KiB');
    assert.equal(formatBytes(100), '100 B');
  });

  it('stops with a clear error when not even one example fits the step memory limit', async () => {
    const data = makeQuadrantData(16, 9);
    await assert.rejects(captureOutput(() => trainCh6(smallConvNet(), new ArrayIter(data, 8), new ArrayIter(data, 8),
      1, 0.1, 'cpu', { maxStepBytes: 1 })),
    /one training example needs about .* more than the step memory limit of 1 B allows: use a smaller image size/);
  });

  it('micro-batching inside trainCh6 logs once and still learns', async () => {
    const data = makeQuadrantData(96, 5);
    const net = smallConvNet();
    const X = tf.tensor4d(data.X.slice(0, 32 * 64), [32, 8, 8, 1]);
    const y = tf.tensor1d(data.y.slice(0, 32), 'int32');
    const cost = await measureStepBytes(net, X, y);
    tf.dispose([X, y]);
    const maxStepBytes = 1.25 * (cost.fixedBytes + 10.5 * cost.perExampleBytes);
    const out = await captureOutput(() => trainCh6(net, new ArrayIter(data, 32, true, 1), new ArrayIter(data, 32),
      2, 0.5, 'cpu', { seed: 2, maxStepBytes }));
    const notices = out.stdout.filter((l) => l.includes('micro-batches'));
    assert.equal(notices.length, 1);
    assert.match(notices[0], /^batch 32 split into 4 micro-batches of 8 to fit the step memory limit of /);
    assert.ok(out.result.history[1].trainLoss < out.result.history[0].trainLoss);
  });

  it("adds animator points at the book's period: 93, 186, 279, 372, 465, 469 of 469 batches", async () => {
    const data = makeQuadrantData(469, 6);
    const net = tf.sequential({ layers: [tf.layers.flatten({ inputShape: [8, 8, 1] }), tf.layers.dense({ units: 4 })] });
    const { animator } = await trainCh6(net, new ArrayIter(data, 1), new ArrayIter(data, 469), 1, 0.1, 'cpu',
      { verbose: false });
    const [loss, acc, test] = animator.series;
    const expected = [93, 186, 279, 372, 465, 469].map((i) => i / 469);
    assert.deepEqual(loss.x, expected);
    assert.deepEqual(acc.x, expected);
    assert.deepEqual(test.x, [1]);
    assert.deepEqual([loss.name, acc.name, test.name], ['train loss', 'train acc', 'test acc']);
  });

  it('draws a progress bar on a TTY and one line per epoch otherwise', () => {
    let tty = '';
    const bar = new EpochProgress(2, 4, true, { isTTY: true, columns: 100, write: (t: string) => { tty += t; } });
    for (let i = 0; i < 4; i++) bar.batch(0, i, 1 - i / 10, i / 4);
    bar.epochEnd(0, 0.7, 0.75, 0.5, 1.24);
    assert.match(tty, /\repoch 1\/2 \[#+\.*\] 1\/4 loss 1\.000, train acc 0\.000/);
    assert.match(tty, /\repoch 1\/2 \[#{30}\] 4\/4 loss 0\.700, train acc 0\.750/);
    assert.ok(tty.endsWith('\r\x1b[Kepoch 1/2: loss 0.700, train acc 0.750, test acc 0.500 (1.2 s)\n'));
    let log = '';
    const plain = new EpochProgress(2, 4, true, { isTTY: false, write: (t: string) => { log += t; } });
    for (let i = 0; i < 4; i++) plain.batch(1, i, 0.5, 0.5);
    plain.epochEnd(1, 0.5, 0.8, 0.75, 3);
    assert.equal(log, 'epoch 2/2: loss 0.500, train acc 0.800, test acc 0.750 (3.0 s)\n');
  });

  it('in a notebook: no terminal progress, one animator output updated in place', async () => {
    const saved = getDisplaySink();
    const calls: { data: MimeBundle; id?: string; update: boolean }[] = [];
    setDisplaySink({ display: (data, _m, id, update) => { calls.push({ data, id, update }); }, clearOutput: () => undefined });
    try {
      const data = makeQuadrantData(40, 8);
      const out = await captureOutput(() => trainCh6(smallConvNet(), new ArrayIter(data, 8), new ArrayIter(data, 20),
        2, 0.3, 'cpu', { seed: 1 }));
      assert.equal(out.stderr, '');
      assert.equal(out.stdout[0], 'training on cpu');
      assert.ok(calls.length >= 2);
      assert.equal(calls[0].update, false);
      assert.ok(calls.slice(1).every((c) => c.update && c.id === calls[0].id));
      const fig = calls[calls.length - 1].data['application/vnd.plotly.v1+json'] as { data: { y: number[] }[] };
      assert.equal(fig.data[2].y.length, 2); // test accuracy after each of the 2 epochs
    } finally {
      setDisplaySink(saved ?? null);
    }
  });

  it('seed makes dropout repeatable too', async () => {
    const data = makeQuadrantData(64, 7);
    const make = () => tf.sequential({ layers: [tf.layers.flatten({ inputShape: [8, 8, 1] }),
      tf.layers.dense({ units: 16, activation: 'relu' }), tf.layers.dropout({ rate: 0.5 }), tf.layers.dense({ units: 4 })] });
    const go = () => trainCh6(make(), new ArrayIter(data, 16), new ArrayIter(data, 16), 2, 0.3, 'cpu',
      { seed: 4, verbose: false });
    const [r1, r2] = [await go(), await go()];
    assert.equal(r1.trainLoss, r2.trainLoss);
    assert.equal(r1.testAcc, r2.testAcc);
  });
});

