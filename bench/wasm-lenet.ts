/**
 * Benchmark: one LeNet-BN training step (book §7.5 layout, tf.layers.batchNormalization) at batch 256 on wasm.
 * Prints the median ms/step over 20 steps after 3 warm-up steps (target: ≤ 120 ms on a 2-core machine).
 *
 *   npx ts-node -T bench/wasm-lenet.ts [--steps N] [--batch B] [--profile]
 * --profile also prints the kernels that took the most time per step (averaged over 5 steps: one step is noisy).
 * Like `import 'd2l'`, it installs d2l's backend patches (fused training batch norm, …), not only the wasm kernels.
 */
import * as tf from '@tensorflow/tfjs';
import { loadWasmBackend } from '../src/backend/wasm/load';
import '../src/backend'; // what importing d2l installs: fused training batch norm, lean backprop

function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : fallback;
}

function lenetBN(): tf.Sequential {
  const bn = () => tf.layers.batchNormalization({ momentum: 0.9, epsilon: 1e-5 });
  const sigmoid = () => tf.layers.activation({ activation: 'sigmoid' });
  return tf.sequential({ layers: [
    tf.layers.conv2d({ inputShape: [28, 28, 1], filters: 6, kernelSize: 5 }), bn(), sigmoid(),
    tf.layers.averagePooling2d({ poolSize: 2, strides: 2 }),
    tf.layers.conv2d({ filters: 16, kernelSize: 5 }), bn(), sigmoid(),
    tf.layers.averagePooling2d({ poolSize: 2, strides: 2 }), tf.layers.flatten(),
    tf.layers.dense({ units: 120 }), bn(), sigmoid(),
    tf.layers.dense({ units: 84 }), bn(), sigmoid(),
    tf.layers.dense({ units: 10 })] });
}

async function main(): Promise<void> {
  const steps = arg('steps', 20);
  const batch = arg('batch', 256);
  await loadWasmBackend();
  const net = lenetBN();
  const opt = tf.train.sgd(1.0);
  const X = tf.randomUniform([batch, 28, 28, 1]);
  const Y = tf.oneHot(tf.randomUniform([batch], 0, 10, 'int32'), 10);
  const step = () => {
    const vars = net.trainableWeights.map((w) => w.read() as tf.Variable);
    const { value, grads } = tf.variableGrads(
      () => tf.losses.softmaxCrossEntropy(Y, net.apply(X, { training: true }) as tf.Tensor) as tf.Scalar, vars);
    opt.applyGradients(grads);
    const loss = value.dataSync()[0]; // forces the step to finish, as trainCh6's metrics do
    tf.dispose([value, ...Object.values(grads)]);
    return loss;
  };
  for (let i = 0; i < 3; i++) step();
  const tensorsBefore = tf.memory().numTensors;
  const times: number[] = [];
  const cpuTimes: number[] = [];
  for (let i = 0; i < steps; i++) {
    const t0 = performance.now();
    const c0 = process.cpuUsage();
    step();
    const c = process.cpuUsage(c0);
    times.push(performance.now() - t0);
    cpuTimes.push((c.user + c.system) / 1000);
  }
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  const wall = median(times);
  // wasm runs on one thread: on a busy machine CPU time per step is the better estimate of an idle machine's wall time.
  console.log(`LeNet-BN training step on wasm, batch ${batch}: median ${wall.toFixed(1)} ms/step wall ` +
    `(min ${Math.min(...times).toFixed(1)}, ${(batch / wall * 1000).toFixed(0)} examples/s), ` +
    `median ${median(cpuTimes).toFixed(1)} ms/step CPU time, over ${steps} steps; load average ${require('os').loadavg()[0].toFixed(1)}; ` +
    `tensors leaked per step: ${(tf.memory().numTensors - tensorsBefore) / steps}`);
  if (process.argv.includes('--profile')) {
    const profiled = 5;
    const info = await tf.profile(() => { for (let i = 0; i < profiled; i++) step(); });
    const byKernel = new Map<string, { ms: number; calls: number }>();
    for (const k of info.kernels) {
      const e = byKernel.get(k.name) ?? { ms: 0, calls: 0 };
      e.ms += (k.kernelTimeMs as number) / profiled;
      e.calls += 1 / profiled;
      byKernel.set(k.name, e);
    }
    const top = [...byKernel.entries()].sort((a, b) => b[1].ms - a[1].ms).slice(0, 14);
    console.log(`slowest kernels per step (ms, calls; mean of ${profiled} steps):\n` +
      top.map(([n, e]) => `  ${n.padEnd(24)} ${e.ms.toFixed(1).padStart(7)} ${String(Math.round(e.calls)).padStart(4)}`).join('\n'));
  }
}

main().catch((err) => { console.error(err); process.exit(1); });
