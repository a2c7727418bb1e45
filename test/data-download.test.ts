import * as tf from '@tensorflow/tfjs';
import { strict as assert } from 'assert';
import { createHash } from 'crypto';
import * as fs from 'fs';
import * as http from 'http';
import { AddressInfo } from 'net';
import * as path from 'path';
import { clearFashionMnistCache, loadDataFashionMnist } from '../src/data/fashionMnist';
import { fixtureFiles, makeTempDir } from './data-helpers';

/**
 * The download path against a local HTTP server on 127.0.0.1 (no internet needed): mirror `/broken/` answers
 * 404, mirror `/good/` serves the synthetic fixture files.
 */
describe('data: Fashion-MNIST download', () => {
  let server: http.Server;
  let base: string;
  let root: string;
  let savedEnv: string | undefined;
  const files = fixtureFiles({ trainCount: 6, testCount: 5, height: 3, width: 3 });
  const sha256 = Object.fromEntries(
    Object.entries(files).map(([name, bytes]) => [name, createHash('sha256').update(bytes).digest('hex')]));
  const requests: string[] = [];
  const logs: string[] = [];
  const log = (m: string) => logs.push(m);

  before(async () => {
    savedEnv = process.env.D2L_DATA_DIR;
    delete process.env.D2L_DATA_DIR;
    root = makeTempDir('download');
    server = http.createServer((req, res) => {
      requests.push(req.url ?? '');
      const match = /^\/good\/(.+)$/.exec(req.url ?? '');
      const body = match ? files[match[1]] : undefined;
      if (!body) {
        res.writeHead(404, { 'content-type': 'text/plain' }).end('not found');
        return;
      }
      res.writeHead(200, { 'content-type': 'application/octet-stream' }).end(body);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(async () => {
    await new Promise<void>((resolve) => server.close(() => resolve()));
    if (savedEnv !== undefined) process.env.D2L_DATA_DIR = savedEnv;
    fs.rmSync(root, { recursive: true, force: true });
    clearFashionMnistCache();
  });

  it('downloads the four files into the cache, verified and complete, and loads them', async () => {
    const cacheDir = path.join(root, 'cache-ok');
    requests.length = 0;
    const [train, test] = await loadDataFashionMnist(2, undefined, {
      cacheDir, systemDirs: [], download: { mirrors: [`${base}/broken/`, `${base}/good/`], sha256, log },
    });
    assert.deepEqual([train.numExamples, test.numExamples], [6, 5]);
    // Each file: first mirror 404, second mirror served it.
    assert.equal(requests.filter((r) => r.startsWith('/broken/')).length, 4);
    assert.equal(requests.filter((r) => r.startsWith('/good/')).length, 4);
    // Atomic write: exactly the four files, byte-identical, no temp files left behind.
    assert.deepEqual(fs.readdirSync(cacheDir).sort(), Object.keys(files).sort());
    for (const [name, bytes] of Object.entries(files)) {
      assert.ok(fs.readFileSync(path.join(cacheDir, name)).equals(bytes), name);
    }
    const ys: number[] = [];
    for await (const { X, y } of test) {
      ys.push(...Array.from(y.dataSync()));
      tf.dispose([X, y]);
    }
    assert.deepEqual(ys, [0, 1, 2, 3, 4]);

    // A second call finds the cache and does not download again.
    requests.length = 0;
    await loadDataFashionMnist(2, undefined, {
      cacheDir, systemDirs: [], download: { mirrors: [`${base}/good/`], sha256, log },
    });
    assert.deepEqual(requests, []);
  });

  it('rejects files whose SHA-256 does not match and leaves nothing in the cache', async () => {
    const cacheDir = path.join(root, 'cache-bad');
    // Default checksums are those of the real Fashion-MNIST files, so the synthetic ones must be refused.
    const err = await loadDataFashionMnist(2, undefined, {
      cacheDir, systemDirs: [], download: { mirrors: [`${base}/good/`], log },
    }).then(() => undefined, (e: Error) => e);
    assert.ok(err instanceof Error, 'must fail');
    assert.match(err.message, /^Fashion-MNIST data not found\. Tried:/);
    assert.match(err.message, /could not download train-images-idx3-ubyte\.gz/);
    const expectedSum = '3aede38d61863908ad78613f6a32ed271626dd12800ba2636569512369268a84';
    assert.ok(err.message.includes(
      `${base}/good/train-images-idx3-ubyte.gz: SHA-256 mismatch (got ${sha256['train-images-idx3-ubyte.gz']}, ` +
      `expected ${expectedSum}`), err.message);
    assert.match(err.message, /apt-get install dataset-fashion-mnist/);
    assert.deepEqual(fs.readdirSync(cacheDir), []);
  });

  it('reports unreachable mirrors with the reason', async () => {
    const cacheDir = path.join(root, 'cache-down');
    // A port nobody listens on: bind one, note it, close it.
    const probe = http.createServer();
    await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
    const deadPort = (probe.address() as AddressInfo).port;
    await new Promise<void>((resolve) => probe.close(() => resolve()));
    const err = await loadDataFashionMnist(2, undefined, {
      cacheDir, systemDirs: [], download: { mirrors: [`http://127.0.0.1:${deadPort}/`, `${base}/broken/`], sha256, log },
    }).then(() => undefined, (e: Error) => e);
    assert.ok(err instanceof Error, 'must fail');
    assert.match(err.message, new RegExp(`http://127\\.0\\.0\\.1:${deadPort}/train-images-idx3-ubyte\\.gz: .*ECONNREFUSED`));
    assert.match(err.message, /\/broken\/train-images-idx3-ubyte\.gz: HTTP 404/);
    assert.deepEqual(fs.readdirSync(cacheDir), []);
  });

  it('uses an injected fetch', async () => {
    const cacheDir = path.join(root, 'cache-fetch');
    const asked: string[] = [];
    const fakeFetch = async (url: string) => {
      asked.push(url);
      const body = files[url.replace('mem://mirror/', '')];
      return { ok: true, status: 200, statusText: 'OK', arrayBuffer: async () => Uint8Array.from(body).buffer };
    };
    const [train] = await loadDataFashionMnist(3, undefined, {
      cacheDir, systemDirs: [], download: { mirrors: ['mem://mirror/'], sha256, fetch: fakeFetch, log },
    });
    assert.equal(train.numExamples, 6);
    assert.deepEqual(asked.sort(), Object.keys(files).map((f) => `mem://mirror/${f}`).sort());
  });
});
