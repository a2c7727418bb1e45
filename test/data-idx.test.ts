import { strict as assert } from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import * as zlib from 'zlib';
import { IdxFormatError, readIdxFile, readLabelledImages } from '../src/data/idx';
import { idxBytes, makeTempDir, syntheticImages, syntheticLabels } from './data-helpers';

describe('data: IDX reader', () => {
  let dir: string;
  before(() => {
    dir = makeTempDir('idx');
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  function write(name: string, bytes: Uint8Array): string {
    const p = path.join(dir, name);
    fs.writeFileSync(p, bytes);
    return p;
  }

  /** Runs `fn`, expects exactly one IdxFormatError naming `file`, returns its message. */
  async function expectIdxError(fn: () => Promise<unknown>, file: string, pattern: RegExp): Promise<string> {
    try {
      await fn();
    } catch (e) {
      assert.ok(e instanceof IdxFormatError, `expected IdxFormatError, got ${e}`);
      assert.ok(e.message.startsWith(`${file}: `), `message should start with the file path: ${e.message}`);
      assert.match(e.message, pattern);
      return e.message;
    }
    assert.fail(`no error for ${file}`);
  }

  const images = syntheticImages(3, 4, 5);
  const valid = idxBytes([3, 4, 5], images);

  it('parses an uncompressed image file', async () => {
    const p = write('images-idx3-ubyte', valid);
    const parsed = await readIdxFile(p, { ndims: 3 });
    assert.deepEqual(parsed.dims, [3, 4, 5]);
    assert.deepEqual(Array.from(parsed.data), Array.from(images));
  });

  it('parses a gzipped file, recognised by content', async () => {
    const p = write('images-idx3-ubyte.gz', zlib.gzipSync(valid));
    const parsed = await readIdxFile(p, { ndims: 3 });
    assert.deepEqual(parsed.dims, [3, 4, 5]);
    assert.deepEqual(Array.from(parsed.data), Array.from(images));
    // A gzipped file without the .gz suffix is still read (detected by the 1f 8b signature).
    const q = write('images-gz-without-suffix', zlib.gzipSync(valid));
    assert.deepEqual(Array.from((await readIdxFile(q, { ndims: 3 })).data), Array.from(images));
  });

  it('parses a label file', async () => {
    const p = write('labels-idx1-ubyte', idxBytes([7], syntheticLabels(7)));
    const parsed = await readIdxFile(p, { ndims: 1 });
    assert.deepEqual(parsed.dims, [7]);
    assert.deepEqual(Array.from(parsed.data), [0, 1, 2, 3, 4, 5, 6]);
  });

  it('rejects a truncated file, saying how many bytes are missing', async () => {
    const p = write('truncated-idx3-ubyte', valid.subarray(0, valid.length - 7));
    const msg = await expectIdxError(() => readIdxFile(p, { ndims: 3, remedy: 'Download it again.' }), p,
      /truncated: its header promises 3×4×5 = 60 data bytes but only 53 follow/);
    assert.ok(msg.endsWith('Download it again.'), msg);
  });

  it('rejects a file cut inside its header', async () => {
    const p = write('short-header', valid.subarray(0, 10));
    await expectIdxError(() => readIdxFile(p, { ndims: 3 }), p, /shorter than its 16-byte header/);
  });

  it('rejects a truncated gzip stream', async () => {
    const gz = zlib.gzipSync(valid);
    const p = write('truncated.gz', gz.subarray(0, gz.length - 12));
    await expectIdxError(() => readIdxFile(p, { ndims: 3 }), p, /not a valid gzip file/);
  });

  it('rejects a .gz file that is not gzip-compressed', async () => {
    const p = write('plain-named.gz', valid);
    await expectIdxError(() => readIdxFile(p, { ndims: 3 }), p, /named \.gz but is not gzip-compressed/);
  });

  it('rejects a bad magic number', async () => {
    const bad = Buffer.from(valid);
    bad[0] = 0x50; // e.g. an HTML error page or a PNG saved under the IDX name
    const p = write('bad-magic', bad);
    await expectIdxError(() => readIdxFile(p, { ndims: 3 }), p, /magic number 0x50000803, not an IDX file \(expected 0x00000803\)/);
  });

  it('rejects a non-byte element type', async () => {
    const p = write('float-type', idxBytes([3, 4, 5], new Uint8Array(60 * 4), 0x0d));
    await expectIdxError(() => readIdxFile(p, { ndims: 3 }), p, /element type 0x0d, expected 0x08/);
  });

  it('rejects the wrong number of dimensions (a label file given as images)', async () => {
    const p = write('labels-as-images', idxBytes([7], syntheticLabels(7)));
    await expectIdxError(() => readIdxFile(p, { ndims: 3 }), p,
      /magic number 0x00000801 \(1 dimensions\), expected 0x00000803 \(3 dimensions: an image file\)/);
  });

  it('rejects trailing bytes and zero dimensions', async () => {
    const p = write('extra', Buffer.concat([valid, Buffer.alloc(5)]));
    await expectIdxError(() => readIdxFile(p, { ndims: 3 }), p, /5 unexpected bytes after/);
    const q = write('zero', idxBytes([0, 4, 5], new Uint8Array(0)));
    await expectIdxError(() => readIdxFile(q, { ndims: 3 }), q, /zero dimension \(0×4×5\)/);
  });

  it('reports a missing file with its path', async () => {
    const p = path.join(dir, 'does-not-exist');
    await expectIdxError(() => readIdxFile(p, { ndims: 1 }), p, /cannot be read \(ENOENT/);
  });

  it('pairs images with labels and rejects a count mismatch', async () => {
    const img = write('pair-images', valid);
    const good = write('pair-labels', idxBytes([3], syntheticLabels(3)));
    const pair = await readLabelledImages(img, good, 'Fix it.');
    assert.deepEqual([pair.count, pair.height, pair.width], [3, 4, 5]);
    assert.deepEqual(Array.from(pair.labels), [0, 1, 2]);

    const four = write('pair-labels-4', idxBytes([4], syntheticLabels(4)));
    const msg = await expectIdxError(() => readLabelledImages(img, four, (f) => `Delete ${f}.`), four,
      /holds 4 labels but .*pair-images holds 3 images/);
    assert.ok(msg.endsWith(`Delete ${four}.`), msg);
  });

  it('rejects labels outside 0…9', async () => {
    const img = write('range-images', valid);
    const lab = write('range-labels', idxBytes([3], Uint8Array.of(1, 37, 2)));
    await expectIdxError(() => readLabelledImages(img, lab), lab, /label 37 at index 1, outside the class range 0…9/);
  });
});
