/**
 * Numerical parity of every block with the book's PyTorch definitions (test/torch/parity.py, Debian's
 * python3-torch, float64): forward in prediction and training mode, gradients of sum(Y·R) for the input and all
 * trainable weights, and the moving statistics after one training forward, within 1e-4 relative.
 */
import * as assert from 'assert';
import * as tf from '@tensorflow/tfjs';
import {
  BatchNorm, convBlock, DenseBlock, Inception, Residual, resnetBlock, transitionBlock,
} from '../src/layers';
import { ninBlock, vggBlock } from '../src/models';
import { checkParity, ParityCase, randomizeBatchNorm, runParity, torchAvailable } from './torch/harness';

const wrap = (layer: tf.layers.Layer, inputShape: number[]) =>
  tf.sequential({ layers: [tf.layers.inputLayer({ inputShape }), layer] });
const input = (shape: number[], seed: number) => tf.randomNormal(shape, 0, 1, 'float32', seed);

describe('layers: parity with the book\'s PyTorch blocks', function () {
  this.timeout(300000);
  let results: Map<string, ReturnType<typeof runParity> extends Map<string, infer V> ? V : never>;

  before(async () => {
    await tf.setBackend('cpu');
    assert.ok(torchAvailable(), 'parity tests need /usr/bin/python3 with torch: apt-get install python3-torch');
    const cases: ParityCase[] = [];
    const add = (id: string, kind: string, args: Record<string, unknown>, net: tf.LayersModel, x: tf.Tensor) => {
      randomizeBatchNorm(net);
      cases.push({ id, kind, args, net, input: x, modes: ['eval', 'train'] });
    };
    add('batchNorm4d', 'batchNorm', { numFeatures: 3, numDims: 4 }, wrap(new BatchNorm(3, 4), [5, 5, 3]), input([2, 5, 5, 3], 1));
    add('batchNorm2d', 'batchNorm', { numFeatures: 4, numDims: 2 }, wrap(new BatchNorm(4, 2), [4]), input([6, 4], 2));
    add('residual', 'residual', { numChannels: 3 }, wrap(new Residual(3), [6, 6, 3]), input([2, 6, 6, 3], 3));
    // odd size: stride-2 padding must match PyTorch's on both sides
    add('residual1x1s2', 'residual', { numChannels: 6, use1x1conv: true, strides: 2 },
        wrap(new Residual(6, { use1x1conv: true, strides: 2 }), [7, 7, 3]), input([2, 7, 7, 3], 4));
    add('resnetBlock', 'resnetBlock', { numChannels: 8, numResiduals: 2 },
        tf.sequential({ layers: resnetBlock(4, 8, 2) }), input([2, 6, 6, 4], 5));
    // signed input: the max-pool path must match PyTorch's -inf padding
    add('inception', 'inception', { c1: 4, c2: [3, 5], c3: [2, 3], c4: 2 },
        wrap(new Inception(4, [3, 5], [2, 3], 2), [5, 5, 6]), input([2, 5, 5, 6], 6));
    add('denseBlock', 'denseBlock', { numConvs: 2, numChannels: 10 }, wrap(new DenseBlock(2, 10), [8, 8, 3]),
        input([2, 8, 8, 3], 7));
    add('convBlock', 'convBlock', { numChannels: 5 }, convBlock(3, 5), input([2, 6, 6, 3], 8));
    add('transitionBlock', 'transitionBlock', { numChannels: 10 }, transitionBlock(23, 10), input([2, 8, 8, 23], 9));
    add('vggBlock', 'vggBlock', { numConvs: 2, outChannels: 4 }, vggBlock(2, 3, 4), input([2, 9, 9, 3], 10));
    add('ninBlock', 'ninBlock', { outChannels: 4, kernelSize: 5, strides: 2, padding: 1 }, ninBlock(3, 4, 5, 2, 1),
        input([2, 12, 12, 3], 11));
    results = runParity(cases);
  });

  for (const id of ['batchNorm4d', 'batchNorm2d', 'residual', 'residual1x1s2', 'resnetBlock', 'inception',
                    'denseBlock', 'convBlock', 'transitionBlock', 'vggBlock', 'ninBlock']) {
    it(`${id}: forward (eval, train), gradients and moving statistics match PyTorch`, () => {
      const comps = results.get(id);
      assert.ok(comps, `no result for ${id}`);
      const names = comps.map((c) => c.name);
      assert.ok(names.includes('y_eval') && names.includes('y_train') && names.includes('dx'), names.join(' '));
      assert.ok(names.some((n) => /^g\d+_/.test(n)), 'no weight gradients compared');
      checkParity(id, comps);
    });
  }
});
