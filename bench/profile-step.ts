/**
 * Where one training step of a chapter-7 model spends its time, kernel by kernel (tf.profile).
 * This is the profile `d2l bench`'s closing notes cite when a model is slower than PyTorch.
 *
 *   npx ts-node -T bench/profile-step.ts <model key> [--backend native] [--batch B] [--size S] [--top N]
 * Model keys as in `d2l bench` (lenet-bn, alexnet, vgg, nin, googlenet, resnet18, densenet); batch and size
 * default to the book's. Kernel times are wall times of the kernel calls; "outside kernels" is the rest of
 * the step (op bookkeeping, tape, garbage collection).
 */
import * as tf from '@tensorflow/tfjs';
import { ensureBackend } from '../src/backend';
import { BENCH_MODELS } from '../src/bench/specs';
import { softmaxCrossEntropy } from '../src/train/step';

function flag(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

async function main(): Promise<void> {
  const key = process.argv[2];
  const spec = BENCH_MODELS.find((m) => m.key === key);
  if (!spec) throw new Error(`usage: profile-step.ts <${BENCH_MODELS.map((m) => m.key).join('|')}> [--backend B]`);
  process.env.D2L_BACKEND = flag('backend') ?? 'native';
  const backend = await ensureBackend();
  const batch = Number(flag('batch') ?? spec.batch);
  const size = Number(flag('size') ?? spec.size);
  const top = Number(flag('top') ?? 16);
  const net = spec.build(size);
  const X = tf.randomNormal([batch, size, size, 1]);
  const y = tf.tensor1d(Array.from({ length: batch }, (_, i) => (i * 7) % 10), 'int32');
  const optimizer = tf.train.sgd(0.01);
  const step = (): void => {
    const loss = optimizer.minimize(() => softmaxCrossEntropy(net.apply(X, { training: true }) as tf.Tensor, y), true);
    loss?.dataSync();
    loss?.dispose();
  };
  step();
  step();
  const { poolStats } = await import('../src/backend/native/buffer-pool');
  const pool0 = poolStats();
  const t0 = performance.now();
  const info = await tf.profile(step);
  const wall = performance.now() - t0;
  const pool1 = poolStats();
  const byKernel = new Map<string, { ms: number; calls: number }>();
  let total = 0;
  for (const k of info.kernels) {
    const ms = k.kernelTimeMs as number;
    // tfjs also reports ops that run other kernels ("…__op"): count leaf kernels only.
    if (k.name.endsWith('__op')) continue;
    const e = byKernel.get(k.name) ?? { ms: 0, calls: 0 };
    e.ms += ms;
    e.calls++;
    byKernel.set(k.name, e);
    total += ms;
  }
  const rows = [...byKernel.entries()].sort((a, b) => b[1].ms - a[1].ms).slice(0, top);
  console.log(`${spec.label} on ${backend}, batch ${batch}, ${size}x${size}: one step ${wall.toFixed(0)} ms ` +
    `(profiled; kernels ${total.toFixed(0)} ms, outside kernels ${(wall - total).toFixed(0)} ms)`);
  if (backend === 'native') {
    console.log(`buffer pool in this step: ${pool1.hits - pool0.hits} reused, ${pool1.misses - pool0.misses} fresh ` +
      `(${((pool1.missBytes - pool0.missBytes) / 2 ** 20).toFixed(0)} MiB), ${(pool1.freeBytes / 2 ** 20).toFixed(0)} MiB held; ` +
      `not recyclable when freed: ${pool1.keptPinned - pool0.keptPinned} handed out, ${pool1.keptShared - pool0.keptShared} shared`);
  }
  console.log('kernel                          ms      %  calls');
  for (const [name, e] of rows) {
    console.log(`${name.padEnd(28)} ${e.ms.toFixed(1).padStart(7)} ${(100 * e.ms / wall).toFixed(1).padStart(5)}  ${e.calls}`);
  }
}

main().catch((e) => { console.error(e); process.exit(1); });
