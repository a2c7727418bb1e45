/**
 * Fixtures for the training tests: a tiny synthetic classification task (8×8 images whose label is the
 * brightest quadrant), a DataIter over it, a small conv net, console capture, and the cpu backend for a suite.
 */
import { strict as assert } from 'assert';
import * as tf from '@tensorflow/tfjs';
import { format } from 'util';
import type { Batch, DataIter } from '../src/types';
import { ensureBackend } from '../src/backend';
import { seededRandom } from '../src/train/seed';

export const SIDE = 8;
export const CLASSES = 4;

/** n examples: uniform noise plus a brighter quadrant whose index is the label. */
export function makeQuadrantData(n: number, seed: number): { X: Float32Array; y: Int32Array } {
  const rand = seededRandom(seed);
  const X = new Float32Array(n * SIDE * SIDE);
  const y = new Int32Array(n);
  const half = SIDE / 2;
  for (let k = 0; k < n; k++) {
    const label = Math.floor(rand() * CLASSES);
    y[k] = label;
    for (let r = 0; r < SIDE; r++) {
      for (let c = 0; c < SIDE; c++) {
        const quadrant = (r < half ? 0 : 2) + (c < half ? 0 : 1);
        X[k * SIDE * SIDE + r * SIDE + c] = (rand() + (quadrant === label ? 0.8 : 0)) / 1.8;
      }
    }
  }
  return { X, y };
}

/** A DataIter over in-memory data; `shuffle` reshuffles every epoch from its own seeded generator. */
export class ArrayIter implements DataIter {
  readonly numBatches: number;
  readonly numExamples: number;
  private readonly rand: () => number;

  constructor(private readonly data: { X: Float32Array; y: Int32Array }, readonly batchSize: number,
    private readonly shuffle = false, seed = 0) {
    this.numExamples = data.y.length;
    this.numBatches = Math.ceil(this.numExamples / batchSize);
    this.rand = seededRandom(seed);
  }

  async *[Symbol.asyncIterator](): AsyncIterator<Batch> {
    const order = Array.from({ length: this.numExamples }, (_, i) => i);
    if (this.shuffle) {
      for (let i = order.length - 1; i > 0; i--) {
        const j = Math.floor(this.rand() * (i + 1));
        [order[i], order[j]] = [order[j], order[i]];
      }
    }
    const pixels = SIDE * SIDE;
    for (let start = 0; start < order.length; start += this.batchSize) {
      const idx = order.slice(start, start + this.batchSize);
      const xs = new Float32Array(idx.length * pixels);
      idx.forEach((k, i) => xs.set(this.data.X.subarray(k * pixels, (k + 1) * pixels), i * pixels));
      yield {
        X: tf.tensor4d(xs, [idx.length, SIDE, SIDE, 1]),
        y: tf.tensor1d(Int32Array.from(idx.map((k) => this.data.y[k])), 'int32'),
      };
    }
  }
}

/** conv → relu → max-pool → dense: small enough for the cpu backend, exercises conv and pool gradients. */
export function smallConvNet(): tf.Sequential {
  return tf.sequential({
    layers: [
      tf.layers.conv2d({ filters: 4, kernelSize: 3, padding: 'same', activation: 'relu', inputShape: [SIDE, SIDE, 1] }),
      tf.layers.maxPooling2d({ poolSize: 2 }),
      tf.layers.flatten(),
      tf.layers.dense({ units: CLASSES }),
    ],
  });
}

/** Runs `fn` with console.log and process.stderr captured (returned as lines / text). */
export async function captureOutput<T>(fn: () => Promise<T>): Promise<{ result: T; stdout: string[]; stderr: string }> {
  const stdout: string[] = [];
  let stderr = '';
  const log = console.log;
  const write = process.stderr.write;
  console.log = (...args: unknown[]) => { stdout.push(format(...args)); };
  (process.stderr as any).write = (chunk: unknown) => { stderr += String(chunk); return true; };
  try {
    return { result: await fn(), stdout, stderr };
  } finally {
    console.log = log;
    (process.stderr as any).write = write;
  }
}

/**
 * Runs the enclosing suite on tfjs' cpu backend (after d2l's own selection ran once) and restores the backend
 * that was selected before, so suites that need the reference backend do not change the ones after them.
 */
export function onCpuBackendInSuite(): void {
  let previous: string;
  before(async () => {
    await ensureBackend();
    previous = tf.getBackend();
    assert.ok(await tf.setBackend('cpu'));
  });
  after(async () => { await tf.setBackend(previous); });
}
