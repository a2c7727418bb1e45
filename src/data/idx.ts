/**
 * Reader for the IDX format of MNIST and Fashion-MNIST (http://yann.lecun.com/exdb/mnist/, "FILE FORMATS").
 *
 * An IDX file is a 4-byte magic number — two zero bytes, a type byte (0x08 = unsigned byte) and the number of
 * dimensions — then one big-endian uint32 per dimension, then the data in row-major order. Image files are
 * 3-D (0x00000803: count × rows × cols), label files 1-D (0x00000801). Files may be gzip-compressed.
 *
 * Every check fails with one `IdxFormatError` that names the file, says what is wrong and what to do about it,
 * because a half-downloaded or corrupt file otherwise surfaces much later as a baffling shape or NaN error.
 */
import { promises as fsp } from 'fs';
import { promisify } from 'util';
import * as zlib from 'zlib';

const gunzip = promisify(zlib.gunzip);

/** The type byte for unsigned 8-bit data, the only element type Fashion-MNIST uses. */
const IDX_TYPE_UBYTE = 0x08;

/** A parsed IDX file: its dimensions and its raw bytes (one per element). */
export interface IdxArray {
  dims: number[];
  data: Uint8Array;
}

/** A corrupt, truncated or unexpected IDX file. The message names the file, the problem and the fix. */
export class IdxFormatError extends Error {
  constructor(readonly path: string, readonly problem: string, readonly remedy: string) {
    super(`${path}: ${problem}. ${remedy}`);
    this.name = 'IdxFormatError';
  }
}

/** What is expected of a file; `remedy` is the advice appended to any error (depends on where the file came from). */
export interface IdxExpectation {
  /** Number of dimensions: 3 for images, 1 for labels. */
  ndims: number;
  remedy?: Remedy;
}

/** Advice for a bad file: fixed text, or text made from the file's path (e.g. "delete <path>"). */
export type Remedy = string | ((path: string) => string);

function remedyFor(remedy: Remedy | undefined, path: string): string {
  if (remedy === undefined) return DEFAULT_REMEDY;
  return typeof remedy === 'string' ? remedy : remedy(path);
}

const DEFAULT_REMEDY = 'Replace the file with a fresh copy (download it again).';

function isGzip(bytes: Uint8Array): boolean {
  return bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b;
}

/**
 * Parses the bytes of an IDX file (gzip-compressed or not; detected from the content, not the name).
 * `path` is only used in error messages.
 */
export async function parseIdx(raw: Uint8Array, path: string, expect: IdxExpectation): Promise<IdxArray> {
  const remedy = remedyFor(expect.remedy, path);
  const fail = (problem: string): never => {
    throw new IdxFormatError(path, problem, remedy);
  };
  let bytes = raw;
  if (isGzip(raw)) {
    try {
      bytes = new Uint8Array(await gunzip(raw));
    } catch (e) {
      fail(`is not a valid gzip file (${(e as Error).message}); it is probably truncated or damaged`);
    }
  } else if (path.endsWith('.gz')) {
    fail('is named .gz but is not gzip-compressed (no gzip signature 1f 8b)');
  }
  return parseIdxBytes(bytes, fail, expect.ndims);
}

function parseIdxBytes(bytes: Uint8Array, fail: (problem: string) => never, ndims: number): IdxArray {
  if (bytes.length < 4) fail(`is only ${bytes.length} bytes long, too short for an IDX header`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const magic = view.getUint32(0, false);
  const expectedMagic = (IDX_TYPE_UBYTE << 8) | ndims;
  if (bytes[0] !== 0 || bytes[1] !== 0) {
    fail(`has magic number 0x${hex(magic)}, not an IDX file (expected 0x${hex(expectedMagic)})`);
  }
  if (bytes[2] !== IDX_TYPE_UBYTE) {
    fail(`has IDX element type 0x${bytes[2].toString(16).padStart(2, '0')}, expected 0x08 (unsigned byte)`);
  }
  if (bytes[3] !== ndims) {
    fail(`has magic number 0x${hex(magic)} (${bytes[3]} dimensions), expected 0x${hex(expectedMagic)} ` +
      `(${ndims} dimension${ndims === 1 ? '' : 's'}: ${ndims === 1 ? 'a label file' : 'an image file'})`);
  }
  const headerLength = 4 + 4 * ndims;
  if (bytes.length < headerLength) {
    fail(`is ${bytes.length} bytes long, shorter than its ${headerLength}-byte header: the file is truncated`);
  }
  const dims: number[] = [];
  for (let i = 0; i < ndims; i++) dims.push(view.getUint32(4 + 4 * i, false));
  if (dims.some((d) => d === 0)) fail(`has a zero dimension (${dims.join('×')})`);
  const expectedLength = dims.reduce((a, b) => a * b, 1);
  const actualLength = bytes.length - headerLength;
  if (actualLength < expectedLength) {
    fail(`is truncated: its header promises ${dims.join('×')} = ${expectedLength} data bytes but only ` +
      `${actualLength} follow`);
  }
  if (actualLength > expectedLength) {
    fail(`has ${actualLength - expectedLength} unexpected bytes after the ${dims.join('×')} = ${expectedLength} ` +
      'data bytes its header promises');
  }
  return { dims, data: bytes.subarray(headerLength) };
}

function hex(n: number): string {
  return n.toString(16).padStart(8, '0');
}

/** Reads and parses an IDX file from disk (see `parseIdx`). */
export async function readIdxFile(path: string, expect: IdxExpectation): Promise<IdxArray> {
  let raw: Uint8Array;
  try {
    raw = await fsp.readFile(path);
  } catch (e) {
    throw new IdxFormatError(path, `cannot be read (${(e as Error).message})`, remedyFor(expect.remedy, path));
  }
  return parseIdx(raw, path, expect);
}

/** Images and their labels, checked to belong together: `images` is N×H×W, `labels` has N entries in 0…9. */
export interface LabelledImages {
  images: Uint8Array;
  labels: Uint8Array;
  count: number;
  height: number;
  width: number;
}

/**
 * Reads an image file and its label file and checks that they agree (same count) and that every label is a
 * class index below `numClasses`.
 */
export async function readLabelledImages(
  imagesPath: string, labelsPath: string, remedy?: Remedy, numClasses = 10,
): Promise<LabelledImages> {
  const [images, labels] = await Promise.all([
    readIdxFile(imagesPath, { ndims: 3, remedy }),
    readIdxFile(labelsPath, { ndims: 1, remedy }),
  ]);
  const [count, height, width] = images.dims;
  if (labels.dims[0] !== count) {
    throw new IdxFormatError(labelsPath,
      `holds ${labels.dims[0]} labels but ${imagesPath} holds ${count} images; the two files do not belong ` +
      'together (one is from another data set or split, or one is outdated)', remedyFor(remedy, labelsPath));
  }
  const bad = labels.data.findIndex((v) => v >= numClasses);
  if (bad >= 0) {
    throw new IdxFormatError(labelsPath,
      `has label ${labels.data[bad]} at index ${bad}, outside the class range 0…${numClasses - 1}`,
      remedyFor(remedy, labelsPath));
  }
  return { images: images.data, labels: labels.data, count, height, width };
}
