/**
 * Benchmark: d2l's wasm training kernels against the stock tfjs-backend-wasm kernels they replace, on the shapes
 * of chapter-7 training steps. Prints CPU ms per call (median of 5; wasm is single-threaded, so CPU time is
 * robust on a busy machine) and the speed-up.
 *
 *   npx ts-node -T bench/wasm-kernels.ts
 */
import * as tf from '@tensorflow/tfjs';
import { loadWasmBackend } from '../src/backend/wasm/load';
import { wasmKernel } from '../src/backend/wasm/kernel-utils';

type Inputs = Record<string, tf.Tensor>;

function cpuMsPerCall(f: () => void, n = 5): number {
  f(); // warm-up (XNNPACK operator creation, JIT)
  const samples: number[] = [];
  for (let i = 0; i < n; i++) {
    const c0 = process.cpuUsage();
    f();
    const c = process.cpuUsage(c0);
    samples.push((c.user + c.system) / 1000);
  }
  return samples.sort((a, b) => a - b)[Math.floor(n / 2)];
}

async function main(): Promise<void> {
  await loadWasmBackend();
  const backend = tf.backend() as unknown as { disposeData(id: object): void };
  const convAttrs = (inputShape: number[], strides: number, pad: string) => ({ strides, pad, dataFormat: 'NHWC', inputShape });
  const cases: [string, string, Inputs, object][] = [
    ['LeNet conv2 dX [256,8,8,16]→[256,12,12,6]', 'Conv2DBackpropInput',
      { dy: tf.randomNormal([256, 8, 8, 16]), filter: tf.randomNormal([5, 5, 6, 16]) }, convAttrs([256, 12, 12, 6], 1, 'valid')],
    ['LeNet conv1 dX of the image [256,28,28,1]', 'Conv2DBackpropInput',
      { dy: tf.randomNormal([256, 24, 24, 6]), filter: tf.randomNormal([5, 5, 1, 6]) }, convAttrs([256, 28, 28, 1], 1, 'valid')],
    ['ResNet 3×3 s1 dX [32,12,12,64]', 'Conv2DBackpropInput',
      { dy: tf.randomNormal([32, 12, 12, 64]), filter: tf.randomNormal([3, 3, 64, 64]) }, convAttrs([32, 12, 12, 64], 1, 'same')],
    ['ResNet 3×3 s2 dX [32,12,12,64]→[32,24,24,32]', 'Conv2DBackpropInput',
      { dy: tf.randomNormal([32, 12, 12, 64]), filter: tf.randomNormal([3, 3, 32, 64]) }, convAttrs([32, 24, 24, 32], 2, 'same')],
    ['ResNet b1 dX k7 s2 of the image [16,96,96,1]', 'Conv2DBackpropInput',
      { dy: tf.randomNormal([16, 48, 48, 64]), filter: tf.randomNormal([7, 7, 1, 64]) }, convAttrs([16, 96, 96, 1], 2, 'same')],
    ['ResNet b4 dX k3 s2 [32,6,6,256]→[32,12,12,128]', 'Conv2DBackpropInput',
      { dy: tf.randomNormal([32, 6, 6, 256]), filter: tf.randomNormal([3, 3, 128, 256]) }, convAttrs([32, 12, 12, 128], 2, 'same')],
    ['AlexNet conv1 dX k11 s4, batch 4', 'Conv2DBackpropInput',
      { dy: tf.randomNormal([4, 55, 55, 96]), filter: tf.randomNormal([11, 11, 1, 96]) }, convAttrs([4, 227, 227, 1], 4, 'valid')],
    ['LeNet AvgPoolGrad [256,24,24,6]', 'AvgPoolGrad',
      { dy: tf.randomNormal([256, 12, 12, 6]), input: tf.randomNormal([256, 24, 24, 6]) }, { filterSize: 2, strides: 2, pad: 'valid' }],
    ['LeNet AvgPoolGrad [256,8,8,16]', 'AvgPoolGrad',
      { dy: tf.randomNormal([256, 4, 4, 16]), input: tf.randomNormal([256, 8, 8, 16]) }, { filterSize: 2, strides: 2, pad: 'valid' }],
    ['BN Tile [1,1,1,6]→[256,24,24,6]', 'Tile', { x: tf.randomNormal([1, 1, 1, 6]) }, { reps: [256, 24, 24, 1] }],
    ['dense dW = xᵀ·dy [256,256]ᵀ×[256,120]', 'BatchMatMul',
      { a: tf.randomNormal([256, 256]), b: tf.randomNormal([256, 120]) }, { transposeA: true, transposeB: false }],
    ['dense dX = dy·Wᵀ [256,120]×[256,120]ᵀ', 'BatchMatMul',
      { a: tf.randomNormal([256, 120]), b: tf.randomNormal([256, 120]) }, { transposeA: false, transposeB: true }],
    ['clone (Identity) [256,24,24,6]', 'Identity', { x: tf.randomNormal([256, 24, 24, 6]) }, {}],
  ];
  console.log(`${'kernel case'.padEnd(48)} ${'stock ms'.padStart(9)} ${'d2l ms'.padStart(8)}  speed-up`);
  for (const [title, name, inputs, attrs] of cases) {
    const call = (k: tf.KernelConfig) => () => {
      const out = k.kernelFunc({ inputs, attrs: attrs as tf.NamedAttrMap, backend: backend as unknown as tf.KernelBackend });
      backend.disposeData((out as tf.TensorInfo).dataId);
    };
    const stock = cpuMsPerCall(call(wasmKernel(name)));
    const ours = cpuMsPerCall(call(tf.getKernel(name, 'wasm')!));
    console.log(`${title.padEnd(48)} ${stock.toFixed(2).padStart(9)} ${ours.toFixed(2).padStart(8)}  ${(stock / Math.max(ours, 1e-3)).toFixed(1)}×`);
  }
  console.log('(Conv2DBackpropFilter and the MaxPoolGrad fix have no working stock counterpart: stock wasm lacks the first and gets the second wrong.)');
}

main().catch((err) => { console.error(err); process.exit(1); });
