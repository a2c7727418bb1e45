/** Fixtures for the data tests: synthetic IDX files in a temp directory, written by the tests themselves. */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as zlib from 'zlib';

/** Bytes of an IDX file: magic (0, 0, type, ndims), big-endian dims, data. */
export function idxBytes(dims: number[], data: Uint8Array, typeByte = 0x08): Buffer {
  const header = Buffer.alloc(4 + 4 * dims.length);
  header[2] = typeByte;
  header[3] = dims.length;
  dims.forEach((d, i) => header.writeUInt32BE(d, 4 + 4 * i));
  return Buffer.concat([header, Buffer.from(data)]);
}

/**
 * `count` images of `h×w` whose first pixel is the image index (so a batch reveals which examples it holds)
 * and whose other pixels are a fixed pseudo-random pattern covering 0…255.
 */
export function syntheticImages(count: number, h: number, w: number): Uint8Array {
  const data = new Uint8Array(count * h * w);
  let s = 12345;
  for (let i = 0; i < data.length; i++) {
    s = (s * 1103515245 + 12345) >>> 0;
    data[i] = (s >>> 16) & 0xff;
  }
  for (let i = 0; i < count; i++) data[i * h * w] = i;
  if (data.length > 1) {
    data[1] = 0;
    data[2] = 255;
  }
  return data;
}

/** Labels i % 10. */
export function syntheticLabels(count: number): Uint8Array {
  return Uint8Array.from({ length: count }, (_, i) => i % 10);
}

export function makeTempDir(prefix: string): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), `d2l-${prefix}-`));
}

export interface FixtureSpec {
  trainCount?: number;
  testCount?: number;
  height?: number;
  width?: number;
  gzip?: boolean;
}

/** The four Fashion-MNIST file names with their (optionally gzipped) synthetic contents. */
export function fixtureFiles(spec: FixtureSpec = {}): Record<string, Buffer> {
  const { trainCount = 10, testCount = 7, height = 4, width = 5, gzip = true } = spec;
  const plain: Record<string, Buffer> = {
    'train-images-idx3-ubyte': idxBytes([trainCount, height, width], syntheticImages(trainCount, height, width)),
    'train-labels-idx1-ubyte': idxBytes([trainCount], syntheticLabels(trainCount)),
    't10k-images-idx3-ubyte': idxBytes([testCount, height, width], syntheticImages(testCount, height, width)),
    't10k-labels-idx1-ubyte': idxBytes([testCount], syntheticLabels(testCount)),
  };
  const out: Record<string, Buffer> = {};
  for (const [name, bytes] of Object.entries(plain)) {
    if (gzip) out[`${name}.gz`] = zlib.gzipSync(bytes);
    else out[name] = bytes;
  }
  return out;
}

/** Writes a fixture directory and returns its path. */
export function writeFixtureDir(spec: FixtureSpec = {}, dir = makeTempDir('fmnist')): string {
  fs.mkdirSync(dir, { recursive: true });
  for (const [name, bytes] of Object.entries(fixtureFiles(spec))) fs.writeFileSync(path.join(dir, name), bytes);
  return dir;
}
