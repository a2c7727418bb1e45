// Training-time tf.layers.conv2d through one FusedConv2D kernel (src/ops/conv-training.ts) against tfjs' own
// layer code: same outputs and gradients on cpu, wasm and native; the data's gradient is not computed at all.
import { strict as assert } from 'assert';
import * as tf from '@tensorflow/tfjs';
import '../src/backend';
import { loadWasmBackend } from '../src/backend/wasm/load';
import { useConvTraining } from '../src/ops/conv-training';
import { nativeUnavailableReason, randn, relError } from './native-helpers';

const backends = (): string[] => ['cpu', 'wasm', ...(nativeUnavailableReason === null ? ['native'] : [])];

/** [activation, padding, strides, useBias] */
const CASES: Array<[string, 'same' | 'valid', number, boolean]> = [
  ['relu', 'same', 1, true], ['relu', 'valid', 2, true], ['linear', 'same', 2, true], ['linear', 'valid', 1, false],
  ['sigmoid', 'same', 1, true],
];

/** Loss and gradients of kernel, bias and the input of a second conv stacked on the first. */
function run(on: boolean, activation: string, padding: 'same' | 'valid', strides: number, useBias: boolean): Float32Array[] {
  useConvTraining(on);
  try {
    return tf.tidy(() => {
      const layer1 = tf.layers.conv2d({ filters: 6, kernelSize: 3, padding, strides, activation: activation as 'relu', useBias,
        kernelInitializer: tf.initializers.randomNormal({ seed: 1 }), biasInitializer: tf.initializers.randomNormal({ seed: 2 }) });
      const layer2 = tf.layers.conv2d({ filters: 4, kernelSize: 1, activation: activation as 'relu', useBias,
        kernelInitializer: tf.initializers.randomNormal({ seed: 3 }), biasInitializer: tf.initializers.randomNormal({ seed: 4 }) });
      const x = tf.tensor4d(randn(3 * 9 * 9 * 2, 5), [3, 9, 9, 2]);
      const forward = (a: tf.Tensor) => layer2.apply(layer1.apply(a)) as tf.Tensor;
      forward(x); // builds both layers
      const vars = [...layer1.trainableWeights, ...layer2.trainableWeights].map((w) => w.read() as tf.Variable);
      const r = tf.tensor(randn(forward(x).size, 6), forward(x).shape);
      const { value, grads } = tf.variableGrads(() => tf.sum(tf.mul(forward(x), r)) as tf.Scalar, vars);
      const dx = tf.grad((a: tf.Tensor) => tf.sum(tf.mul(forward(a), r)))(x);
      return [value, dx, ...vars.map((v) => grads[v.name]), forward(x)].map((t) => Float32Array.from(t.dataSync()));
    });
  } finally {
    useConvTraining(true);
  }
}

describe('training-time conv layers through one FusedConv2D kernel', function () {
  before(async () => { await loadWasmBackend(); });
  after(async () => { await tf.setBackend('cpu'); });

  for (const [activation, padding, strides, useBias] of CASES) {
    it(`${activation}, ${padding}, stride ${strides}, ${useBias ? 'with' : 'no'} bias: same loss and gradients`, async () => {
      for (const b of backends()) {
        await tf.setBackend(b);
        const stock = run(false, activation, padding, strides, useBias);
        const ours = run(true, activation, padding, strides, useBias);
        stock.forEach((s, i) => {
          const err = relError(s, ours[i]);
          assert.ok(err <= 1e-5, `${b}: output ${i} relative error ${err.toExponential(2)}`);
        });
      }
    });
  }

  /** The kernels one training step of a fresh ReLU conv layer runs on cpu (input gradient not asked for). */
  async function trainingKernels(): Promise<string[]> {
    await tf.setBackend('cpu');
    const layer = tf.layers.conv2d({ filters: 4, kernelSize: 3, activation: 'relu', inputShape: [8, 8, 1] });
    const x = tf.randomNormal([2, 8, 8, 1]);
    layer.apply(x);
    const vars = layer.trainableWeights.map((w) => w.read() as tf.Variable);
    const info = await tf.profile(() => {
      const { value, grads } = tf.variableGrads(() => tf.sum(layer.apply(x) as tf.Tensor) as tf.Scalar, vars);
      tf.dispose([value, ...Object.values(grads)]);
    });
    tf.dispose([x]);
    layer.dispose();
    return info.kernels.map((k) => k.name);
  }

  it('does not compute the gradient of the data (the first layer\'s input)', async () => {
    const names = await trainingKernels();
    assert.ok(names.includes('FusedConv2D'), `ran ${names.join(', ')}`);
    assert.ok(!names.includes('Conv2DBackpropInput'), 'the input gradient was computed');
    assert.ok(names.includes('Conv2DBackpropFilter'));
  });

  it('fuses a ReLU layer\'s activation into the kernel in training too (no separate Relu pass)', async () => {
    const names = await trainingKernels();
    assert.ok(names.includes('FusedConv2D'), `ran ${names.join(', ')}`);
    assert.ok(!names.includes('Relu'), `a separate Relu ran: ${names.join(', ')}`);
  });

  it('leaves inference to tfjs\' fully fused kernel (conv + bias + relu in one)', async () => {
    await tf.setBackend('cpu');
    const layer = tf.layers.conv2d({ filters: 4, kernelSize: 3, activation: 'relu', inputShape: [8, 8, 1] });
    const x = tf.randomNormal([2, 8, 8, 1]);
    const info = await tf.profile(() => tf.dispose(layer.apply(x) as tf.Tensor));
    assert.deepEqual(info.kernels.map((k) => k.name).filter((n) => !n.endsWith('__op')), ['FusedConv2D']);
    x.dispose();
    layer.dispose();
  });
});
