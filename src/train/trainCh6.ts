/**
 * The book's `train_ch6`: trains a classifier with plain SGD on a GPU-or-whatever device, plotting train loss,
 * train accuracy and test accuracy. TensorFlow.js specifics are documented on `trainCh6`.
 */
import * as tf from '@tensorflow/tfjs';
import { ensureBackend, tryGpu } from '../backend';
import { setting } from '../settings';
import type { Device } from '../backend';
import { inNotebook } from '../display/protocol';
import { Animator } from '../plot/animator';
import type { DataIter } from '../types';
import { evaluateAccuracy } from './accuracy';
import { initWeights } from './init';
import type { InitScheme } from './init';
import { EpochProgress } from './progress';
import { withSeededRandom } from './seed';
import { TrainStep } from './step';
import { checkStop, stoppable } from './stop';
import { Accumulator, Timer } from './timer';

export interface TrainOptions {
  /**
   * Makes the run repeatable on the same backend: seeds the Xavier init and every unseeded tfjs random draw
   * (dropout). Create the data iterators with a seed too (`loadDataFashionMnist(…, {seed})`) so the shuffle
   * repeats; a fresh iterator per run replays the same epochs. Default: `D2L_SEED` when set (both read it, so
   * `D2L_SEED=1 d2l run notebooks` repeats every notebook), else unseeded.
   */
  seed?: number;
  /** false: print nothing and draw no progress bar (the Animator still records points). Default true. */
  verbose?: boolean;
  /**
   * How kernels are re-initialized before training: 'xavier' (default, the book's `init_weights`), 'kaiming'
   * (variance 2/fan_in, for deep ReLU stacks without batch norm) or 'kaiming-zero-head' (the same with a zero
   * classifier, for a ReLU head like NiN's; see `InitScheme`).
   */
  init?: InitScheme;
  /** Most bytes a training step may add; larger batches are split into micro-batches (see `TrainStep`). */
  maxStepBytes?: number;
}

/** Metrics of one epoch: running train loss/accuracy over the epoch and test accuracy at its end. */
export interface EpochRecord {
  epoch: number;
  trainLoss: number;
  trainAcc: number;
  testAcc: number;
  /** Seconds spent in training steps (data loading and evaluation excluded). */
  seconds: number;
  examples: number;
}

export interface TrainResult {
  /** The last epoch's values, as printed. */
  trainLoss: number;
  trainAcc: number;
  testAcc: number;
  examplesPerSec: number;
  history: EpochRecord[];
  /** The figure's data (`animator.series`). */
  animator: Animator;
}

/** One clear error for arguments `trainCh6` cannot use (instead of a NaN or a tfjs error deep inside). */
export function checkTrainArgs(net: unknown, numEpochs: number, lr: number): void {
  const model = net as Partial<tf.LayersModel> | null;
  if (!model || typeof model.apply !== 'function' || !Array.isArray(model.trainableWeights)) {
    throw new Error('trainCh6: net must be a tf.LayersModel (e.g. a tf.sequential); got '
      + `${model === null ? 'null' : typeof model}`);
  }
  if (!Number.isInteger(numEpochs) || numEpochs < 1) {
    throw new Error(`trainCh6: numEpochs must be a positive integer, got ${numEpochs}`);
  }
  if (typeof lr !== 'number' || !Number.isFinite(lr) || lr <= 0) {
    throw new Error(`trainCh6: lr must be a positive number, got ${lr}`);
  }
}

/**
 * Trains `net` as the book's `train_ch6`: Xavier-uniform re-init of every Conv2D/Dense kernel (biases
 * uniform(±1/√fan_in) as PyTorch; batch-norm parameters untouched), plain SGD, mean softmax cross-entropy,
 * running loss/accuracy per epoch, test accuracy after each epoch. Prints 'training on <device>', then
 * 'loss …, train acc …, test acc …' and '… examples/sec on <device>' (step time only: data loading and
 * evaluation excluded). The training step runs `net.apply(X, {training: true})` (dropout and batch norm in
 * training mode); evaluation uses `net.predict` (inference mode). The model need not be compiled.
 *
 * In a notebook the curves are a live figure; in a terminal a progress bar (TTY) or one line per epoch goes to
 * stderr. A NaN/Inf loss stops training with an error suggesting a smaller learning rate. On the wasm backend a
 * batch that would overflow the 4 GiB heap is split into micro-batches (batch-norm statistics are then per
 * micro-batch). Every tensor created per batch is disposed: `tf.memory().numTensors` is flat across epochs.
 */
export async function trainCh6(net: tf.LayersModel, trainIter: DataIter, testIter: DataIter, numEpochs: number,
  lr: number, device?: Device | string, opts: TrainOptions = {}): Promise<TrainResult> {
  checkTrainArgs(net, numEpochs, lr);
  await ensureBackend();
  const dev = String(device ?? tryGpu());
  const print = opts.verbose === false ? () => undefined : (...args: unknown[]) => console.log(...args);
  const seed = opts.seed ?? setting('D2L_SEED') ?? undefined;
  return withSeededRandom(seed, () => stoppable(async () => {
    initWeights(net, seed, opts.init); // Xavier-uniform kernels unless told otherwise, as init_weights
    print('training on', dev);
    const optimizer = tf.train.sgd(lr);
    const step = new TrainStep(net, optimizer, lr, { maxStepBytes: opts.maxStepBytes, log: print });
    const animator = new Animator({ xlabel: 'epoch', xlim: [1, numEpochs],
      legend: ['train loss', 'train acc', 'test acc'] });
    const numBatches = trainIter.numBatches;
    const progress = new EpochProgress(numEpochs, numBatches, opts.verbose !== false && !inNotebook());
    const timer = new Timer();
    const history: EpochRecord[] = [];
    let metric = new Accumulator(3);
    let trainL = NaN;
    let trainAcc = NaN;
    let testAcc = NaN;
    try {
      for (let epoch = 0; epoch < numEpochs; epoch++) {
        metric = new Accumulator(3); // sum of training loss, no. of correct predictions, no. of examples
        const epochStart = timer.sum();
        let i = 0;
        for await (const { X, y } of trainIter) {
          try {
            await step.prepare(X, y); // first batch only: sizes micro-batches where memory is limited
            timer.start();
            const { lossSum, correct, n } = await step.run(X, y, `epoch ${epoch + 1}, batch ${i + 1}`);
            metric.add(lossSum, correct, n);
            timer.stop();
          } finally {
            tf.dispose([X, y]);
          }
          checkStop(); // the stop button: between two steps, the model as the last step left it
          trainL = metric.get(0) / metric.get(2);
          trainAcc = metric.get(1) / metric.get(2);
          if ((i + 1) % Math.max(1, Math.floor(numBatches / 5)) === 0 || i === numBatches - 1) {
            animator.progress = { done: epoch + (i + 1) / numBatches, total: numEpochs, unit: 'epoch' };
            await animator.add(epoch + (i + 1) / numBatches, [trainL, trainAcc, null]);
          }
          progress.batch(epoch, i, trainL, trainAcc);
          i++;
        }
        testAcc = await evaluateAccuracy(net, testIter);
        await animator.add(epoch + 1, [null, null, testAcc]);
        const seconds = timer.sum() - epochStart;
        history.push({ epoch: epoch + 1, trainLoss: trainL, trainAcc, testAcc, seconds, examples: metric.get(2) });
        progress.epochEnd(epoch, trainL, trainAcc, testAcc, seconds);
      }
    } finally {
      optimizer.dispose();
      await animator.flush();
    }
    const examplesPerSec = (metric.get(2) * numEpochs) / timer.sum();
    print(`loss ${trainL.toFixed(3)}, train acc ${trainAcc.toFixed(3)}, test acc ${testAcc.toFixed(3)}`);
    print(`${examplesPerSec.toFixed(1)} examples/sec on ${dev}`);
    return { trainLoss: trainL, trainAcc, testAcc, examplesPerSec, history, animator };
  }));
}
