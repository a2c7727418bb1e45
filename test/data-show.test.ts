import * as tf from '@tensorflow/tfjs';
import { strict as assert } from 'assert';
import * as zlib from 'zlib';
import { setDisplaySink, MimeBundle } from '../src/display/protocol';
import { getFashionMnistLabels } from '../src/data/fashionMnist';
import { imageGridBundle, showImages } from '../src/data/showImages';

/** Bitwise CRC-32 (no table), to check the encoder's table-driven one independently. */
function crc32Bitwise(bytes: Uint8Array): number {
  let crc = 0xffffffff;
  for (const b of bytes) {
    crc ^= b;
    for (let k = 0; k < 8; k++) crc = (crc >>> 1) ^ (0xedb88320 & -(crc & 1));
  }
  return (crc ^ 0xffffffff) >>> 0;
}

/** Decodes an 8-bit greyscale, non-interlaced PNG with filter type 0 rows; checks signature and CRCs. */
function decodeGrayPng(png: Buffer): { width: number; height: number; pixels: Uint8Array } {
  assert.deepEqual([...png.subarray(0, 8)], [137, 80, 78, 71, 13, 10, 26, 10], 'PNG signature');
  let offset = 8;
  let width = 0;
  let height = 0;
  const idat: Buffer[] = [];
  const types: string[] = [];
  while (offset < png.length) {
    const length = png.readUInt32BE(offset);
    const type = png.toString('latin1', offset + 4, offset + 8);
    const data = png.subarray(offset + 8, offset + 8 + length);
    assert.equal(png.readUInt32BE(offset + 8 + length), crc32Bitwise(png.subarray(offset + 4, offset + 8 + length)),
      `CRC of ${type}`);
    types.push(type);
    if (type === 'IHDR') {
      width = data.readUInt32BE(0);
      height = data.readUInt32BE(4);
      assert.deepEqual([...data.subarray(8)], [8, 0, 0, 0, 0], 'bit depth 8, greyscale, no interlace');
    }
    if (type === 'IDAT') idat.push(data);
    offset += 12 + length;
  }
  assert.equal(types[0], 'IHDR');
  assert.equal(types[types.length - 1], 'IEND');
  const raw = zlib.inflateSync(Buffer.concat(idat));
  assert.equal(raw.length, height * (width + 1));
  const pixels = new Uint8Array(width * height);
  for (let y = 0; y < height; y++) {
    assert.equal(raw[y * (width + 1)], 0, 'filter type 0');
    pixels.set(raw.subarray(y * (width + 1) + 1, (y + 1) * (width + 1)), y * width);
  }
  return { width, height, pixels };
}

describe('data: getFashionMnistLabels', () => {
  it('maps class indices to the book\'s names', () => {
    assert.deepEqual(getFashionMnistLabels([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]),
      ['t-shirt', 'trouser', 'pullover', 'dress', 'coat', 'sandal', 'shirt', 'sneaker', 'bag', 'ankle boot']);
    assert.deepEqual(getFashionMnistLabels(Int32Array.of(9, 0)), ['ankle boot', 't-shirt']);
  });

  it('reads a tensor without disposing it', () => {
    const y = tf.tensor1d([7, 3], 'int32');
    assert.deepEqual(getFashionMnistLabels(y), ['sneaker', 'dress']);
    assert.equal(y.isDisposed, false);
    y.dispose();
  });

  it('rejects values that are not class indices', () => {
    assert.throws(() => getFashionMnistLabels([1, 10]), /label 10 at index 1 is not a class index 0…9/);
    assert.throws(() => getFashionMnistLabels([1.5]), /label 1.5 at index 0/);
  });
});

describe('data: showImages', () => {
  // Three 4×5 images with distinct values in [0, 1].
  const values = Array.from({ length: 3 * 4 * 5 }, (_, i) => (i * 37 % 256) / 255);
  const expectedBytes = values.map((v) => Math.round(v * 255));

  it('builds an SVG with embedded PNGs and escaped titles, a PNG grid and a text summary', () => {
    const imgs = tf.tensor3d(values, [3, 4, 5]);
    const bundle = imageGridBundle(imgs, 1, 3, ['a<b & "c"', 'coat', 'bag']);
    imgs.dispose();
    assert.deepEqual(Object.keys(bundle).sort(), ['image/png', 'image/svg+xml', 'text/html', 'text/plain']);

    const svg = bundle['image/svg+xml'] as string;
    const img = /^<img src="data:image\/svg\+xml;base64,([^"]+)"/.exec(bundle['text/html'] as string);
    assert.ok(img, 'html is an <img> of the SVG (titles included), which HTML sanitizers keep');
    assert.equal(Buffer.from(img[1], 'base64').toString('utf8'), svg);
    assert.match(svg, /^<svg xmlns="http:\/\/www\.w3\.org\/2000\/svg"/);
    assert.ok(svg.includes('>a&#60;b &#38; &#34;c&#34;</text>'), 'title escaped');
    assert.ok(svg.includes('>coat</text>') && svg.includes('>bag</text>'));
    const embedded = [...svg.matchAll(/xlink:href="data:image\/png;base64,([^"]+)"/g)].map((m) => m[1]);
    assert.equal(embedded.length, 3);
    embedded.forEach((b64, i) => {
      const png = decodeGrayPng(Buffer.from(b64, 'base64'));
      assert.deepEqual([png.width, png.height], [5, 4]);
      assert.deepEqual(Array.from(png.pixels), expectedBytes.slice(i * 20, (i + 1) * 20));
    });

    // The grid PNG: each image enlarged by k = floor(108 / 5) = 21, 4-pixel white gaps.
    const grid = decodeGrayPng(Buffer.from(bundle['image/png'] as string, 'base64'));
    const k = 21;
    assert.deepEqual([grid.width, grid.height], [3 * (5 * k + 4) + 4, 4 * k + 8]);
    for (let i = 0; i < 3; i++) {
      for (const [y, x] of [[0, 0], [3, 4], [2, 1]]) {
        const gx = 4 + i * (5 * k + 4) + x * k + k - 1;
        const gy = 4 + y * k;
        assert.equal(grid.pixels[gy * grid.width + gx], expectedBytes[i * 20 + y * 5 + x], `image ${i} (${y},${x})`);
      }
    }
    assert.equal(grid.pixels[0], 255, 'gap is white');
    assert.equal(bundle['text/plain'], 'showImages: 3 images of 4×5 in a 1×3 grid: a<b & "c", coat, bag');
  });

  it('accepts [N,H,W,1], shows at most rows×cols images, and stretches values outside [0,1]', () => {
    const imgs = tf.tensor4d([0, 50, 100, 200, 10, 20, 30, 40], [2, 2, 2, 1]);
    const bundle = imageGridBundle(imgs, 1, 1);
    imgs.dispose();
    const svg = bundle['image/svg+xml'] as string;
    const embedded = [...svg.matchAll(/base64,([^"]+)"/g)].map((m) => m[1]);
    assert.equal(embedded.length, 1);
    assert.ok(!svg.includes('<text'), 'no titles given');
    const png = decodeGrayPng(Buffer.from(embedded[0], 'base64'));
    assert.deepEqual(Array.from(png.pixels), [0, 64, 128, 255]); // (v - 0) / 200 · 255, rounded
  });

  it('rejects colour images and bad grid sizes', () => {
    const rgb = tf.zeros([2, 4, 4, 3]);
    assert.throws(() => imageGridBundle(rgb, 1, 2), /expected greyscale images of shape \[N, H, W\] or \[N, H, W, 1\], got \[2, 4, 4, 3\]/);
    rgb.dispose();
    const ok = tf.zeros([2, 4, 4]);
    assert.throws(() => imageGridBundle(ok, 0, 2), /numRows must be a positive integer/);
    ok.dispose();
  });

  it('sends the bundle to the notebook sink, or prints the summary in a terminal', () => {
    const imgs = tf.tensor3d(values, [3, 4, 5]);
    const shown: MimeBundle[] = [];
    setDisplaySink({ display: (data) => shown.push(data), clearOutput: () => undefined });
    try {
      showImages(imgs, 1, 3, ['x', 'y', 'z'], 2);
    } finally {
      setDisplaySink(null);
    }
    assert.equal(shown.length, 1);
    // scale 2 → 2 inches per cell at 72 px/inch, images keep their 5:4 aspect.
    assert.match(shown[0]['image/svg+xml'] as string, /<image [^>]*width="144" height="115"/);

    const printed: string[] = [];
    const write = process.stdout.write;
    (process.stdout as any).write = (chunk: string) => printed.push(String(chunk));
    try {
      showImages(imgs, 1, 3);
    } finally {
      (process.stdout as any).write = write;
    }
    imgs.dispose();
    assert.deepEqual(printed, ['showImages: 3 images of 4×5 in a 1×3 grid\n']);
  });
});
