/**
 * One `d2l bench` measurement in its own process (so its peak RSS is its own): builds a model on one
 * backend and times SGD training steps on random data, through one of two paths:
 * - `step`: what `trainCh6` does, `optimizer.minimize` over the forward pass and the loss;
 * - `fit`: tfjs' own training API as a tfjs user writes it, `net.compile({optimizer: tf.train.sgd(lr), loss})`
 *   then `net.trainOnBatch(x, oneHotLabels)` (`fit` runs the same train function per batch).
 * The first (warm-up) step runs under `tf.profile`, whose kernel list gives the step's FLOPs (./flops.ts).
 * Usage: node child.js '<ChildJob JSON>'.
 */
import * as tf from '@tensorflow/tfjs';
import { ensureBackend } from '../backend';
import { softmaxCrossEntropy } from '../train/step';
import { stepFlops } from './flops';
import { BENCH_MODELS, ChildJob, median, RESULT_PREFIX } from './specs';

/** A function that runs one training step and waits for its loss. */
function makeStep(job: ChildJob, net: tf.LayersModel, X: tf.Tensor, y: tf.Tensor): () => Promise<void> {
  if (job.path === 'fit') {
    net.compile({ optimizer: tf.train.sgd(0.01),
      loss: (labels: tf.Tensor, logits: tf.Tensor) => tf.losses.softmaxCrossEntropy(labels, logits) });
    const oneHot = tf.oneHot(y, 10).cast('float32');
    return async () => {
      await net.trainOnBatch(X, oneHot); // resolves once the loss is read, like the other path's dataSync
    };
  }
  const optimizer = tf.train.sgd(0.01);
  return async () => {
    const loss = optimizer.minimize(
      () => softmaxCrossEntropy(net.apply(X, { training: true }) as tf.Tensor, y), true) as tf.Scalar;
    loss.dataSync();
    loss.dispose();
  };
}

async function run(job: ChildJob): Promise<Record<string, unknown>> {
  process.env.D2L_BACKEND = job.backend;
  process.env.D2L_NUM_THREADS = String(job.threads);
  const backend = await ensureBackend();
  if (backend !== job.backend) throw new Error(`asked for backend ${job.backend}, got ${backend}`);
  const spec = BENCH_MODELS.find((m) => m.key === job.model);
  if (!spec) throw new Error(`unknown model ${job.model}`);
  const net = spec.build(job.size);
  const X = tf.randomNormal([job.batch, job.size, job.size, 1]);
  const y = tf.tensor1d(Array.from({ length: job.batch }, (_, i) => (i * 7) % 10), 'int32');
  const step = makeStep(job, net, X, y);
  const times: number[] = [];
  const t0 = Date.now();
  const profile = await tf.profile(step);
  const flopsPerStep = stepFlops(profile.kernels);
  for (let i = 1; i < job.warmup; i++) await step();
  const warmSec = (Date.now() - t0) / 1000;
  const deadline = Date.now() + job.budgetSec * 1000;
  const cpu0 = process.cpuUsage();
  for (let i = 0; i < job.steps; i++) {
    const s = process.hrtime.bigint();
    await step();
    times.push(Number(process.hrtime.bigint() - s) / 1e6);
    if (Date.now() > deadline) break;
  }
  const ms = median(times);
  const cpu = process.cpuUsage(cpu0);
  return {
    cpuMsPerStep: (cpu.user + cpu.system) / 1000 / times.length,
    flopsPerStep, msPerStep: ms, examplesPerSec: (job.batch * 1000) / ms, steps: times.length, warmupSec: warmSec,
    peakRssMiB: process.resourceUsage().maxRSS / 1024,
  };
}

async function main(): Promise<void> {
  const job = JSON.parse(process.argv[2] ?? '{}') as ChildJob;
  try {
    const r = await run(job);
    process.stdout.write(`\n${RESULT_PREFIX}${JSON.stringify(r)}\n`);
  } catch (e) {
    const msg = (e as Error).message.split('\n')[0];
    process.stdout.write(`\n${RESULT_PREFIX}${JSON.stringify({ error: msg, peakRssMiB: process.resourceUsage().maxRSS / 1024 })}\n`);
  }
  process.exit(0);
}

void main();
