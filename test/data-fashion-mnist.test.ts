import * as tf from '@tensorflow/tfjs';
import { strict as assert } from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import { clearFashionMnistCache, loadDataFashionMnist, FashionMnistOptions } from '../src/data/fashionMnist';
import type { DataIter } from '../src/types';
import { makeTempDir, syntheticImages, writeFixtureDir } from './data-helpers';

/** Per epoch: the example indices seen (first pixel of each synthetic image = its index) and batch sizes. */
async function collectEpoch(iter: DataIter): Promise<{ order: number[]; sizes: number[]; labels: number[] }> {
  const order: number[] = [];
  const sizes: number[] = [];
  const labels: number[] = [];
  for await (const { X, y } of iter) {
    const first = tf.tidy(() => X.slice([0, 0, 0, 0], [-1, 1, 1, 1]).mul(255).round().reshape([-1]));
    order.push(...Array.from(first.dataSync()));
    labels.push(...Array.from(y.dataSync()));
    sizes.push(X.shape[0]);
    tf.dispose([X, y, first]);
  }
  return { order, sizes, labels };
}

describe('data: loadDataFashionMnist over synthetic fixtures', () => {
  let root: string;
  let fixtures: string;
  let savedEnv: string | undefined;
  /** Options that look only at the fixture directory (never the user's home, /usr/share or the network). */
  let isolated: FashionMnistOptions;

  before(() => {
    savedEnv = process.env.D2L_DATA_DIR;
    delete process.env.D2L_DATA_DIR;
    root = makeTempDir('loader');
    fixtures = writeFixtureDir({ trainCount: 10, testCount: 7, height: 4, width: 5 }, path.join(root, 'fixtures'));
    isolated = { dataDir: fixtures, cacheDir: path.join(root, 'no-cache'), systemDirs: [], download: false };
  });
  after(() => {
    if (savedEnv !== undefined) process.env.D2L_DATA_DIR = savedEnv;
    fs.rmSync(root, { recursive: true, force: true });
    clearFashionMnistCache();
  });

  it('yields [B,H,W,1] float32 in [0,1] and int32 labels, keeping the last partial batch', async () => {
    const [train, test] = await loadDataFashionMnist(4, undefined, { ...isolated, seed: 1 });
    assert.deepEqual([train.numExamples, train.numBatches, train.batchSize], [10, 3, 4]);
    assert.deepEqual([test.numExamples, test.numBatches, test.batchSize], [7, 2, 4]);
    const expected = syntheticImages(7, 4, 5);
    let seen = 0;
    for await (const { X, y } of test) {
      assert.equal(X.dtype, 'float32');
      assert.equal(y.dtype, 'int32');
      assert.deepEqual(X.shape.slice(1), [4, 5, 1]);
      assert.equal(y.shape[0], X.shape[0]);
      const values = X.dataSync();
      for (let i = 0; i < values.length; i++) {
        assert.ok(values[i] >= 0 && values[i] <= 1);
        assert.ok(Math.abs(values[i] - expected[seen * 20 + i] / 255) < 1e-7, 'pixel = byte / 255');
      }
      assert.deepEqual(Array.from(y.dataSync()), Array.from({ length: X.shape[0] }, (_, i) => (seen + i) % 10));
      seen += X.shape[0];
      tf.dispose([X, y]);
    }
    assert.equal(seen, 7);
  });

  it('keeps the test order and batch sizes stable across epochs', async () => {
    const [, test] = await loadDataFashionMnist(3, undefined, isolated);
    const a = await collectEpoch(test);
    const b = await collectEpoch(test);
    assert.deepEqual(a.order, [0, 1, 2, 3, 4, 5, 6]);
    assert.deepEqual(b.order, a.order);
    assert.deepEqual(a.sizes, [3, 3, 1]);
  });

  it('reshuffles the training set every epoch, reproducibly with a seed', async () => {
    const [trainA] = await loadDataFashionMnist(4, undefined, { ...isolated, seed: 42 });
    const [trainB] = await loadDataFashionMnist(4, undefined, { ...isolated, seed: 42 });
    const [trainC] = await loadDataFashionMnist(4, undefined, { ...isolated, seed: 43 });
    const epochsA = [await collectEpoch(trainA), await collectEpoch(trainA), await collectEpoch(trainA)];
    const epochsB = [await collectEpoch(trainB), await collectEpoch(trainB), await collectEpoch(trainB)];
    const epochsC = [await collectEpoch(trainC), await collectEpoch(trainC), await collectEpoch(trainC)];
    for (const e of epochsA) {
      assert.deepEqual([...e.order].sort((p, q) => p - q), [0, 1, 2, 3, 4, 5, 6, 7, 8, 9], 'a permutation');
      assert.deepEqual(e.labels, e.order.map((i) => i % 10), 'labels travel with their images');
      assert.deepEqual(e.sizes, [4, 4, 2]);
    }
    assert.notDeepEqual(epochsA[0].order, epochsA[1].order);
    assert.notDeepEqual(epochsA[1].order, epochsA[2].order);
    assert.deepEqual(epochsB.map((e) => e.order), epochsA.map((e) => e.order), 'same seed, same epochs');
    assert.notDeepEqual(epochsC.map((e) => e.order), epochsA.map((e) => e.order), 'other seed, other epochs');
  });

  it('limits the sets with limit / trainLimit / testLimit', async () => {
    const [train, test] = await loadDataFashionMnist(4, undefined, { ...isolated, limit: 6, seed: 3 });
    assert.deepEqual([train.numExamples, train.numBatches, test.numExamples, test.numBatches], [6, 2, 6, 2]);
    assert.deepEqual((await collectEpoch(train)).order.sort((p, q) => p - q), [0, 1, 2, 3, 4, 5]);
    assert.deepEqual((await collectEpoch(test)).order, [0, 1, 2, 3, 4, 5]);
    const [tr2, te2] = await loadDataFashionMnist(2, undefined, { ...isolated, limit: 6, trainLimit: 3, testLimit: 100 });
    assert.deepEqual([tr2.numExamples, tr2.numBatches, te2.numExamples, te2.numBatches], [3, 2, 7, 4]);
  });

  it('resizes each batch to a square or [h, w] size', async () => {
    const [train, test] = await loadDataFashionMnist(4, 9, { ...isolated, seed: 1 });
    for await (const { X, y } of train) {
      assert.deepEqual(X.shape.slice(1), [9, 9, 1]);
      assert.equal(X.dtype, 'float32');
      tf.dispose([X, y]);
    }
    const [, rect] = await loadDataFashionMnist(4, [6, 11], isolated);
    const shapes: number[][] = [];
    for await (const { X, y } of rect) {
      shapes.push(X.shape);
      tf.dispose([X, y]);
    }
    assert.deepEqual(shapes, [[4, 6, 11, 1], [3, 6, 11, 1]]);
    assert.equal(test.numBatches, 2);
  });

  it('leaves the tensor count flat over epochs when batches are disposed', async () => {
    const [train, test] = await loadDataFashionMnist(3, 8, { ...isolated, seed: 5 });
    await collectEpoch(train); // warm-up (backend init, resize kernels)
    const before = tf.memory().numTensors;
    for (let epoch = 0; epoch < 3; epoch++) {
      await collectEpoch(train);
      await collectEpoch(test);
      assert.equal(tf.memory().numTensors, before, `after epoch ${epoch}`);
    }
  });

  it('rejects bad arguments with a clear message', async () => {
    await assert.rejects(loadDataFashionMnist(0, undefined, isolated), /batchSize must be a positive integer, got 0/);
    await assert.rejects(loadDataFashionMnist(2.5, undefined, isolated), /batchSize must be a positive integer/);
    await assert.rejects(loadDataFashionMnist(4, [3] as any, isolated), /resize must be a positive integer or \[height, width\]/);
    await assert.rejects(loadDataFashionMnist(4, -2, isolated), /resize must be/);
    await assert.rejects(loadDataFashionMnist(4, undefined, { ...isolated, limit: 0 }), /opts.limit must be a positive integer/);
  });

  it('reads uncompressed files as well as gzipped ones', async () => {
    const plain = writeFixtureDir({ trainCount: 5, testCount: 3, gzip: false }, path.join(root, 'plain'));
    const [train, test] = await loadDataFashionMnist(2, undefined, { ...isolated, dataDir: plain });
    assert.deepEqual([train.numExamples, test.numExamples], [5, 3]);
    assert.deepEqual((await collectEpoch(test)).order, [0, 1, 2]);
  });
});

describe('data: Fashion-MNIST sources', () => {
  let root: string;
  let savedEnv: string | undefined;
  before(() => {
    savedEnv = process.env.D2L_DATA_DIR;
    delete process.env.D2L_DATA_DIR;
    root = makeTempDir('sources');
  });
  after(() => {
    if (savedEnv === undefined) delete process.env.D2L_DATA_DIR;
    else process.env.D2L_DATA_DIR = savedEnv;
    fs.rmSync(root, { recursive: true, force: true });
    clearFashionMnistCache();
  });

  const sizes = async (opts: FashionMnistOptions) => {
    const [train, test] = await loadDataFashionMnist(4, undefined, opts);
    return [train.numExamples, test.numExamples];
  };

  it('tries D2L_DATA_DIR, then the cache, then the system directories', async () => {
    const env = writeFixtureDir({ trainCount: 3, testCount: 2 }, path.join(root, 'env'));
    const cache = writeFixtureDir({ trainCount: 5, testCount: 4 }, path.join(root, 'cache'));
    const system = writeFixtureDir({ trainCount: 8, testCount: 6 }, path.join(root, 'system'));
    const empty = path.join(root, 'empty');
    fs.mkdirSync(empty);
    const base = { systemDirs: [empty, system], download: false as const };
    process.env.D2L_DATA_DIR = env;
    try {
      assert.deepEqual(await sizes({ ...base, cacheDir: cache }), [3, 2]);
      process.env.D2L_DATA_DIR = path.join(root, 'missing'); // unusable: warns and moves on
      assert.deepEqual(await sizes({ ...base, cacheDir: cache }), [5, 4]);
    } finally {
      delete process.env.D2L_DATA_DIR;
    }
    assert.deepEqual(await sizes({ ...base, cacheDir: empty }), [8, 6]);
  });

  it('fails with one error naming D2L_DATA_DIR, the Debian package and what was tried', async () => {
    const partial = path.join(root, 'partial');
    writeFixtureDir({}, partial);
    fs.rmSync(path.join(partial, 't10k-labels-idx1-ubyte.gz'));
    const err = await loadDataFashionMnist(4, undefined, {
      cacheDir: path.join(root, 'nothing'), systemDirs: [partial], download: false,
    }).then(() => undefined, (e: Error) => e);
    assert.ok(err instanceof Error, 'must fail');
    assert.match(err.message, /^Fashion-MNIST data not found\. Tried:/);
    assert.match(err.message, /D2L_DATA_DIR: not set/);
    assert.match(err.message, new RegExp(`user cache ${path.join(root, 'nothing')}: directory does not exist`));
    assert.match(err.message, new RegExp(`${partial}: missing t10k-labels-idx1-ubyte.gz`));
    assert.match(err.message, /download: disabled/);
    assert.match(err.message, /apt-get install dataset-fashion-mnist/);
    assert.match(err.message, /set D2L_DATA_DIR to a directory/);
  });

  it('names the corrupt file and the fix that fits its source', async () => {
    const system = writeFixtureDir({}, path.join(root, 'corrupt-system'));
    const bad = path.join(system, 'train-labels-idx1-ubyte.gz');
    const gz = fs.readFileSync(bad);
    fs.writeFileSync(bad, gz.subarray(0, gz.length - 4));
    await assert.rejects(
      loadDataFashionMnist(4, undefined, { cacheDir: path.join(root, 'none'), systemDirs: [system], download: false }),
      (e: Error) => e.message.startsWith(`${bad}: is not a valid gzip file`) &&
        /apt-get install --reinstall dataset-fashion-mnist/.test(e.message));

    const cache = writeFixtureDir({}, path.join(root, 'corrupt-cache'));
    const badImages = path.join(cache, 't10k-images-idx3-ubyte.gz');
    fs.writeFileSync(badImages, Buffer.from('<html>Not Found</html>'));
    await assert.rejects(
      loadDataFashionMnist(4, undefined, { cacheDir: cache, systemDirs: [], download: false }),
      (e: Error) => e.message.startsWith(`${badImages}: is named .gz but is not gzip`) &&
        e.message.includes(`delete it (rm '${badImages}')`));
  });

  it('does not cache a failed read: fixing the file and calling again works', async () => {
    const dir = writeFixtureDir({ trainCount: 4, testCount: 3 }, path.join(root, 'fixable'));
    const target = path.join(dir, 'train-images-idx3-ubyte.gz');
    const good = fs.readFileSync(target);
    fs.writeFileSync(target, good.subarray(0, 20));
    const opts = { dataDir: dir, cacheDir: path.join(root, 'none'), systemDirs: [], download: false as const };
    await assert.rejects(loadDataFashionMnist(2, undefined, opts), /not a valid gzip file/);
    fs.writeFileSync(target, good);
    assert.deepEqual(await sizes(opts), [4, 3]);
  });
});
