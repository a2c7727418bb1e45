/**
 * Numerical parity of every whole model with the book's PyTorch code (test/torch/parity.py), at small but valid
 * input sizes and batch 2 (8 for LeNet-BN). Nets with batch norm: prediction and training mode (+ moving
 * statistics); nets with dropout: prediction mode, and gradients in prediction mode (dropout masks are random). Gradients of sum(Y·R)
 * for the input and every trainable weight, within 1e-4 relative.
 */
import * as assert from 'assert';
import * as tf from '@tensorflow/tfjs';
import {
  alexnet, densenet, googlenet, lenetBN, lenetBNConcise, nin, resnet18, smallConvArch, vgg,
} from '../src/models';
import { seededRandom } from '../src/train/seed';
import { checkParity, Comparison, Mode, ParityCase, randomizeBatchNorm, runParity, torchAvailable } from './torch/harness';

interface ModelCase { id: string; kind: string; args?: Record<string, unknown>; build: () => tf.Sequential;
                      size: number; modes: Mode[]; batch?: number }

// Sizes: small inputs every layer accepts (AlexNet needs ≥ 65, NiN ≥ 67, VGG ≥ 32). ResNet and DenseNet are run
// where their last stage still has 2×2 maps: training-mode batch norm over only 2 values per channel (1×1 maps,
// batch 2) is so ill-conditioned that float32 and float64 input gradients differ by up to 1e-1 relative.
// LeNet-BN normalizes its dense layers per feature over the batch: with 2 examples every normalized value is ±1
// and the input gradient loses ~4 digits in float32 (2e-4 relative), so those two nets use a batch of 8.
const MODELS: ModelCase[] = [
  { id: 'alexnet', kind: 'alexnet', build: () => alexnet({ inputShape: [67, 67, 1] }), size: 67, modes: ['eval', 'evalgrad'] },
  { id: 'vgg', kind: 'vgg', args: { arch: smallConvArch }, build: () => vgg(smallConvArch, { inputShape: [32, 32, 1] }),
    size: 32, modes: ['eval', 'evalgrad'] },
  { id: 'nin', kind: 'nin', build: () => nin({ inputShape: [67, 67, 1] }), size: 67, modes: ['eval', 'evalgrad'] },
  { id: 'googlenet', kind: 'googlenet', build: () => googlenet({ inputShape: [32, 32, 1] }), size: 32, modes: ['eval', 'train'] },
  { id: 'lenetBN', kind: 'lenetBN', build: () => lenetBN(), size: 28, modes: ['eval', 'train'], batch: 8 },
  { id: 'lenetBNConcise', kind: 'lenetBNConcise', build: () => lenetBNConcise(), size: 28, modes: ['eval', 'train'],
    batch: 8 },
  { id: 'resnet18', kind: 'resnet18', build: () => resnet18({ inputShape: [48, 48, 1] }), size: 48, modes: ['eval', 'train'] },
  { id: 'densenet', kind: 'densenet', build: () => densenet({ inputShape: [64, 64, 1] }), size: 64, modes: ['eval', 'train'] },
];

describe('models: parity with the book\'s PyTorch models', function () {
  // ~3 min of CPU (mostly tfjs cpu backward passes); generous wall-clock limit for a busy 2-core CI machine
  this.timeout(1800000);
  let results: Map<string, Comparison[]>;

  before(async () => {
    await tf.setBackend('cpu');
    assert.ok(torchAvailable(), 'parity tests need /usr/bin/python3 with torch: apt-get install python3-torch');
    const cases: ParityCase[] = MODELS.map((m, i) => {
      // Seed the initial weights: otherwise they depend on how much Math.random the earlier test files used, and
      // the float32 noise of LeNet-BN's analytically-zero conv-bias gradients then varies from run to run.
      const random = Math.random;
      Math.random = seededRandom(100 + i);
      let net: tf.Sequential;
      try {
        net = m.build();
      } finally {
        Math.random = random;
      }
      randomizeBatchNorm(net);
      // [0, 1) pixels like Fashion-MNIST after ToTensor
      const input = tf.randomUniform([m.batch ?? 2, m.size, m.size, 1], 0, 1, 'float32', 20 + i);
      return { id: m.id, kind: m.kind, args: m.args, net, input, modes: m.modes };
    });
    results = runParity(cases);
    for (const c of cases) { c.net.dispose(); c.input.dispose(); }
  });

  for (const m of MODELS) {
    it(`${m.id}: forward (${m.modes.join(', ')}) and gradients match PyTorch`, () => {
      const comps = results.get(m.id);
      assert.ok(comps, `no result for ${m.id}`);
      const names = comps.map((c) => c.name);
      for (const expected of ['y_eval', 'dx', ...(m.modes.includes('train') ? ['y_train'] : ['y_evalgrad'])]) {
        assert.ok(names.includes(expected), `${expected} not compared: ${names.join(' ')}`);
      }
      if (m.modes.includes('train') && m.id !== 'googlenet') {
        assert.ok(names.some((n) => /^s\d+_moving_mean$/.test(n)), 'moving statistics not compared');
      }
      checkParity(m.id, comps);
    });
  }
});
