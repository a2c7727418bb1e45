/**
 * Save → load in a fresh process: every model (with custom layers: BatchNorm, Residual, Inception, DenseBlock,
 * GlobalAvgPool2d) saved with `model.save('file://…')` and loaded by a new Node process that only imports d2l
 * predicts exactly the same values (cpu backend on both sides, bitwise equal).
 */
import * as assert from 'assert';
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as tf from '@tensorflow/tfjs';
import '../src/backend';
import { alexnet, densenet, googlenet, lenetBN, lenetBNConcise, nin, resnet18, smallConvArch, vgg } from '../src/models';
import { randomizeBatchNorm } from './torch/harness';

const MODELS: [string, () => tf.Sequential, number][] = [
  ['alexnet', () => alexnet({ inputShape: [67, 67, 1] }), 67],
  ['vgg', () => vgg(smallConvArch, { inputShape: [32, 32, 1] }), 32],
  ['nin', () => nin({ inputShape: [67, 67, 1] }), 67],
  ['googlenet', () => googlenet({ inputShape: [32, 32, 1] }), 32],
  ['lenetBN', () => lenetBN(), 28],
  ['lenetBNConcise', () => lenetBNConcise(), 28],
  ['resnet18', () => resnet18({ inputShape: [32, 32, 1] }), 32],
  ['densenet', () => densenet({ inputShape: [32, 32, 1] }), 32],
];

describe('models: save → load in a fresh process', function () {
  this.timeout(600000);
  let dir: string;
  const expected = new Map<string, Float32Array>();
  let loaded: Map<string, Float32Array>;

  before(async () => {
    await tf.setBackend('cpu');
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'd2l-save-'));
    for (const [name, build, size] of MODELS) {
      const net = build();
      // non-trivial moving statistics, as after training, so their saving is tested too
      randomizeBatchNorm(net);
      await net.save(`file://${path.join(dir, name)}`);
      const x = tf.randomUniform([2, size, size, 1], 0, 1, 'float32', 11);
      fs.writeFileSync(path.join(dir, `${name}.input.bin`), Buffer.from((x.dataSync() as Float32Array).slice().buffer));
      fs.writeFileSync(path.join(dir, `${name}.input.json`), JSON.stringify({ shape: x.shape }));
      expected.set(name, (net.predict(x) as tf.Tensor).dataSync().slice() as Float32Array);
      tf.dispose(x);
      net.dispose();
    }
    const child = spawnSync(process.execPath,
      ['-r', 'ts-node/register/transpile-only', path.join(__dirname, 'torch', 'load-and-predict.ts'), dir,
       ...MODELS.map(([name]) => name)],
      { encoding: 'utf8', cwd: path.join(__dirname, '..'), env: { ...process.env, TS_NODE_TRANSPILE_ONLY: '1' } });
    assert.strictEqual(child.status, 0, `child process failed: ${child.stderr}`);
    loaded = new Map(MODELS.map(([name]) => {
      const buf = fs.readFileSync(path.join(dir, `${name}.loaded.bin`));
      return [name, new Float32Array(buf.buffer, buf.byteOffset, buf.byteLength / 4)];
    }));
  });

  after(() => { if (dir) fs.rmSync(dir, { recursive: true, force: true }); });

  for (const [name] of MODELS) {
    it(`${name}: the reloaded model predicts exactly the same values`, () => {
      const a = expected.get(name) as Float32Array;
      const b = loaded.get(name) as Float32Array;
      assert.strictEqual(b.length, a.length);
      assert.ok(a.some((v) => v !== 0), 'predictions are all zero');
      assert.deepStrictEqual(Array.from(b), Array.from(a));
    });
  }

  it('saves the custom layers under their class names and the BN moving statistics', () => {
    const json = fs.readFileSync(path.join(dir, 'resnet18', 'model.json'), 'utf8');
    assert.match(json, /"class_name":"Residual"/);
    assert.match(fs.readFileSync(path.join(dir, 'googlenet', 'model.json'), 'utf8'), /"class_name":"Inception"/);
    assert.match(fs.readFileSync(path.join(dir, 'densenet', 'model.json'), 'utf8'), /"class_name":"DenseBlock"/);
    const lenet = JSON.parse(fs.readFileSync(path.join(dir, 'lenetBN', 'model.json'), 'utf8'));
    const names = lenet.weightsManifest[0].weights.map((w: { name: string }) => w.name);
    assert.strictEqual(names.filter((n: string) => /moving_(mean|var)$/.test(n)).length, 8);
  });
});
