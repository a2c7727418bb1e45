import * as tf from '@tensorflow/tfjs';
import { strict as assert } from 'assert';
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { getFashionMnistLabels, loadDataFashionMnist, FashionMnistOptions } from '../src/data/fashionMnist';
import { makeTempDir } from './data-helpers';

/** Debian's package dataset-fashion-mnist, which .ci/run installs. */
const DEBIAN_DIR = '/usr/share/datasets/fashion-mnist';
/** Debian's Python, where python3-torch lives (another python3 first on PATH may lack torch). */
const PYTHON = '/usr/bin/python3';

/**
 * Resizes the first `count` test images with PyTorch to each size, reading the IDX file with Python's own
 * gzip/struct (an independent reader): `F.interpolate(mode='bilinear', align_corners=False)` on x/255.
 * One Python process for all sizes (importing torch takes seconds). Returns N·H·W floats per size.
 */
function torchResize(count: number, sizes: [number, number][], dir: string): Float32Array[] {
  const script = `
import gzip, struct, sys, numpy as np, torch
import torch.nn.functional as F
path, count, out = sys.argv[1], int(sys.argv[2]), sys.argv[3]
with gzip.open(path, 'rb') as f:
    magic, n, rows, cols = struct.unpack('>IIII', f.read(16))
    assert magic == 0x803
    data = np.frombuffer(f.read(count * rows * cols), dtype=np.uint8).reshape(count, 1, rows, cols)
x = torch.from_numpy(data.astype(np.float32) / 255.0)
for i, hw in enumerate(sys.argv[4:]):
    h, w = map(int, hw.split('x'))
    y = F.interpolate(x, size=(h, w), mode='bilinear', align_corners=False)
    y.numpy().astype(np.float32).tofile(f'{out}/torch-{i}.bin')
`;
  try {
    execFileSync(PYTHON, ['-c', script, path.join(DEBIAN_DIR, 't10k-images-idx3-ubyte.gz'), String(count), dir,
      ...sizes.map(([h, w]) => `${h}x${w}`)], { stdio: ['ignore', 'ignore', 'pipe'] });
  } catch (e) {
    throw new Error(`the PyTorch reference needs ${PYTHON} with torch (apt-get install python3-torch): ` +
      `${(e as any).stderr?.toString() || (e as Error).message}`);
  }
  return sizes.map((_, i) => {
    const bytes = fs.readFileSync(path.join(dir, `torch-${i}.bin`));
    return new Float32Array(bytes.buffer, bytes.byteOffset, bytes.length / 4);
  });
}

describe('data: the real Fashion-MNIST (Debian dataset-fashion-mnist)', () => {
  let tmp: string;
  let opts: FashionMnistOptions;
  let savedEnv: string | undefined;

  before(() => {
    assert.ok(fs.existsSync(path.join(DEBIAN_DIR, 'train-images-idx3-ubyte.gz')),
      `${DEBIAN_DIR} is missing: apt-get install dataset-fashion-mnist`);
    savedEnv = process.env.D2L_DATA_DIR;
    delete process.env.D2L_DATA_DIR;
    tmp = makeTempDir('real');
    // Only the Debian directory: an empty cache, no download.
    opts = { cacheDir: path.join(tmp, 'empty-cache'), systemDirs: [DEBIAN_DIR], download: false };
  });
  after(() => {
    if (savedEnv !== undefined) process.env.D2L_DATA_DIR = savedEnv;
    fs.rmSync(tmp, { recursive: true, force: true });
  });

  it('has 60000/10000 examples, 6000/1000 per class, pixels in [0,1], the book\'s batch counts', async () => {
    const [train, test] = await loadDataFashionMnist(256, undefined, { ...opts, seed: 0 });
    assert.deepEqual([train.numExamples, train.numBatches, test.numExamples, test.numBatches], [60000, 235, 10000, 40]);
    const [train128] = await loadDataFashionMnist(128, undefined, opts);
    assert.equal(train128.numBatches, 469);

    for (const [iter, perClass] of [[train, 6000], [test, 1000]] as const) {
      const histogram = new Array(10).fill(0);
      let lo = Infinity;
      let hi = -Infinity;
      let lastSize = 0;
      for await (const { X, y } of iter) {
        for (const label of y.dataSync()) histogram[label]++;
        const [min, max] = tf.tidy(() => [X.min().dataSync()[0], X.max().dataSync()[0]]);
        lo = Math.min(lo, min);
        hi = Math.max(hi, max);
        lastSize = X.shape[0];
        assert.deepEqual(X.shape.slice(1), [28, 28, 1]);
        tf.dispose([X, y]);
      }
      assert.deepEqual(histogram, new Array(10).fill(perClass));
      assert.deepEqual([lo, hi], [0, 1]);
      assert.equal(lastSize, iter === train ? 60000 - 234 * 256 : 10000 - 39 * 256);
    }
  });

  it('starts the test set with an ankle boot (label 9)', async () => {
    const [, test] = await loadDataFashionMnist(18, undefined, { ...opts, testLimit: 18 });
    for await (const { X, y } of test) {
      const labels = Array.from(y.dataSync());
      assert.equal(labels[0], 9);
      assert.equal(getFashionMnistLabels(labels)[0], 'ankle boot');
      tf.dispose([X, y]);
    }
  });

  it('resizes like PyTorch bilinear with align_corners=False (computed by torch here)', async function () {
    this.timeout(120000);
    const count = 3;
    const sizes: [number, number][] = [[96, 96], [224, 224], [20, 41]];
    const references = torchResize(count, sizes, tmp);
    for (const [k, size] of sizes.entries()) {
      const expected = references[k];
      const [, test] = await loadDataFashionMnist(count, size[0] === size[1] ? size[0] : size, { ...opts, testLimit: count });
      let checked = 0;
      for await (const { X, y } of test) {
        assert.deepEqual(X.shape, [count, size[0], size[1], 1]);
        const actual = X.dataSync(); // NHW1 has the same element order as torch's N1HW
        assert.equal(actual.length, expected.length);
        let maxDiff = 0;
        for (let i = 0; i < actual.length; i++) maxDiff = Math.max(maxDiff, Math.abs(actual[i] - expected[i]));
        assert.ok(maxDiff < 1e-5, `resize to ${size.join('×')}: max |tfjs - torch| = ${maxDiff}`);
        checked++;
        tf.dispose([X, y]);
      }
      assert.equal(checked, 1);
    }
  });
});
