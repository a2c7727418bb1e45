import { strict as assert } from 'assert';
import * as tf from '@tensorflow/tfjs';
import { ensureBackend } from '../src/backend';
import { loadWasmBackend } from '../src/backend/wasm/load';
import { TrainStep, formatBytes, initWeights, measureStepBytes, trainCh6 } from '../src/train';
import type { TrainResult } from '../src/train';
import type { DataIter } from '../src/types';
import { ArrayIter, captureOutput, makeQuadrantData, smallConvNet } from './train-fixtures';

/** A train iterator that records tf.memory().numTensors whenever an epoch starts. */
function countingIter(inner: DataIter, counts: number[]): DataIter {
  return {
    numBatches: inner.numBatches, numExamples: inner.numExamples, batchSize: inner.batchSize,
    [Symbol.asyncIterator]() {
      counts.push(tf.memory().numTensors);
      return inner[Symbol.asyncIterator]();
    },
  };
}

const trainData = makeQuadrantData(256, 1);
const testData = makeQuadrantData(64, 2);

async function run(seed: number | undefined, counts: number[] = [], epochs = 3, lr = 0.5) {
  const net = smallConvNet();
  const trainIter = countingIter(new ArrayIter(trainData, 32, true, 11), counts);
  const testIter = new ArrayIter(testData, 32);
  const out = await captureOutput(() => trainCh6(net, trainIter, testIter, epochs, lr, 'test:cpu:0', { seed }));
  return { ...out, net };
}

for (const backend of ['cpu', 'wasm']) {
  describe(`trainCh6 on the ${backend} backend`, function () {
    let previous: string;
    before(async () => {
      await ensureBackend();
      previous = tf.getBackend();
      if (backend === 'wasm') await loadWasmBackend();
      else assert.ok(await tf.setBackend('cpu'));
      assert.equal(tf.getBackend(), backend);
    });
    after(async () => { await tf.setBackend(previous); });

    let first: { result: TrainResult; stdout: string[]; stderr: string; net: tf.LayersModel };
    const counts: number[] = [];
    let before0 = 0;
    it('learns the synthetic task: the epoch loss decreases and accuracy rises', async () => {
      before0 = tf.memory().numTensors;
      first = await run(5, counts);
      const h = first.result.history;
      assert.equal(h.length, 3);
      assert.ok(h[2].trainLoss < h[0].trainLoss, `loss ${h.map((e) => e.trainLoss)}`);
      assert.ok(first.result.trainAcc > 0.6, `train acc ${first.result.trainAcc}`);
      assert.ok(first.result.testAcc > 0.6, `test acc ${first.result.testAcc}`);
      assert.equal(h[2].examples, 256);
    });

    it("prints the book's lines: 'training on', loss/acc with 3 decimals, examples/sec", () => {
      const { stdout, result } = first;
      assert.equal(stdout[0], 'training on test:cpu:0');
      const f = (v: number) => v.toFixed(3);
      assert.equal(stdout[stdout.length - 2],
        `loss ${f(result.trainLoss)}, train acc ${f(result.trainAcc)}, test acc ${f(result.testAcc)}`);
      assert.match(stdout[stdout.length - 1], /^\d+\.\d examples\/sec on test:cpu:0$/);
      assert.ok(result.examplesPerSec > 0);
      // without a notebook, progress goes to stderr: one line per epoch when stderr is not a TTY
      if (!process.stderr.isTTY) assert.equal(first.stderr.trim().split('\n').length, 3);
    });

    it('keeps tf.memory().numTensors identical at the start of every epoch and after training', () => {
      assert.equal(counts.length, 3);
      assert.ok(counts.every((c) => c === counts[0]), `numTensors per epoch: ${counts}`);
      // what remains are the net's own weights
      assert.equal(tf.memory().numTensors, before0 + first.net.weights.length);
    });

    it('repeats a run exactly with the same seed (and differs with another)', async () => {
      const again = await run(5);
      assert.deepEqual(again.result.history.map(({ seconds, ...m }) => m),
        first.result.history.map(({ seconds, ...m }) => m));
      const other = await run(6);
      assert.notEqual(other.result.history[0].trainLoss, first.result.history[0].trainLoss);
    });

    it('takes D2L_SEED as the seed of a run given none, so a notebook run repeats', async () => {
      const saved = process.env.D2L_SEED;
      process.env.D2L_SEED = '5';
      try {
        const fromEnv = await run(undefined);
        assert.deepEqual(fromEnv.result.history.map(({ seconds, ...m }) => m),
          first.result.history.map(({ seconds, ...m }) => m));
        fromEnv.net.dispose();
        process.env.D2L_SEED = 'five';
        await assert.rejects(run(undefined), /D2L_SEED must be a non-negative integer, got 'five'/);
      } finally {
        if (saved === undefined) delete process.env.D2L_SEED; else process.env.D2L_SEED = saved;
      }
    });

    it('stops on a NaN loss with a message suggesting a smaller learning rate', async () => {
      const bad = { X: Float32Array.from(trainData.X), y: trainData.y };
      bad.X[5] = NaN;
      const net = smallConvNet();
      const start = tf.memory().numTensors;
      const netTensors = net.weights.length;
      await assert.rejects(
        captureOutput(() => trainCh6(net, new ArrayIter(bad, 32), new ArrayIter(testData, 32), 2, 0.1, 'cpu', { seed: 1 })),
        /loss is NaN at epoch 1, batch 1: training diverged\. Try a smaller learning rate than lr=0\.1/);
      assert.equal(tf.memory().numTensors, start);
      assert.equal(net.weights.length, netTensors);
      // the failed step did not write NaN into the weights
      assert.ok(net.getWeights().every((w) => w.dataSync().every(Number.isFinite)));
    });

    it('splits a batch into micro-batches whose summed gradients equal the full-batch step (1e-5)', async () => {
      const X = tf.tensor4d(trainData.X.slice(0, 10 * 64), [10, 8, 8, 1]);
      const y = tf.tensor1d(trainData.y.slice(0, 10), 'int32');
      const full = smallConvNet();
      initWeights(full, 21);
      const split = smallConvNet();
      split.setWeights(full.getWeights());
      const cost = await measureStepBytes(split, X, y);
      const maxStepBytes = 1.25 * (cost.fixedBytes + 4.5 * cost.perExampleBytes); // room for 4 of 10
      const logs: string[] = [];
      const optimizers = [tf.train.sgd(0.5), tf.train.sgd(0.5)];
      const a = await new TrainStep(full, optimizers[0], 0.5).run(X, y);
      const step = new TrainStep(split, optimizers[1], 0.5, { maxStepBytes, log: (m) => logs.push(m) });
      const n0 = tf.memory().numTensors;
      const b = await step.run(X, y);
      assert.equal(tf.memory().numTensors, n0);
      assert.deepEqual(logs, [`batch 10 split into 3 micro-batches of 4 to fit the step memory limit of ${formatBytes(maxStepBytes)}`]);
      assert.equal(b.correct, a.correct);
      assert.ok(Math.abs(a.lossSum - b.lossSum) < 1e-4, `${a.lossSum} vs ${b.lossSum}`);
      const [wa, wb] = [full.getWeights(), split.getWeights()];
      wa.forEach((w, i) => {
        const diff = tf.tidy(() => w.sub(wb[i]).abs().max().dataSync()[0]);
        assert.ok(diff <= 1e-5, `weight ${i} differs by ${diff}`);
      });
      tf.dispose([X, y]);
      optimizers.forEach((o) => o.dispose());
    });

    it('reports an exploding learning rate as a non-finite loss', async () => {
      const net = smallConvNet();
      await assert.rejects(
        captureOutput(() => trainCh6(net, new ArrayIter(trainData, 32), new ArrayIter(testData, 32), 5, 1e30, 'cpu', { seed: 1 })),
        /loss is (NaN|Infinity|-Infinity) at epoch \d+, batch \d+: training diverged\. Try a smaller learning rate/);
    });
  });
}
