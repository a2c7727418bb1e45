/**
 * A mini-batch iterator over images kept as raw bytes, like PyTorch's DataLoader over a dataset:
 * each epoch (each `for await`) yields ceil(N / batchSize) batches, the last one possibly smaller
 * (`drop_last=False`); a shuffling iterator draws a new permutation per epoch.
 *
 * Only one batch exists as tensors at a time: the uint8 pixels are converted to float32 in [0, 1] (and
 * resized, if asked) per batch, so even 224×224 training never holds more than a batch at that size.
 */
import * as tf from '@tensorflow/tfjs';
import type { Batch, DataIter } from '../types';

import { mulberry32 } from '../util/random';

/** The shuffling generator: fully determined by its seed. */
export function makeRng(seed: number): () => number {
  return mulberry32(seed);
}

/** Fisher–Yates shuffle of 0…n-1. */
export function permutation(n: number, rng: () => number): Int32Array {
  const order = new Int32Array(n);
  for (let i = 0; i < n; i++) order[i] = i;
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(rng() * (i + 1));
    const t = order[i];
    order[i] = order[j];
    order[j] = t;
  }
  return order;
}

export interface ImageIterOptions {
  batchSize: number;
  shuffle: boolean;
  /** Seed for the shuffling PRNG (default: a random seed). */
  seed?: number;
  /** Output size [h, w]; undefined keeps the stored size. */
  resize?: [number, number];
}

/** Iterates over N images of H×W bytes (`images`, row-major) with labels, as `Batch`es. */
export class ImageBatchIter implements DataIter {
  readonly numBatches: number;
  readonly numExamples: number;
  readonly batchSize: number;
  private readonly rng: () => number;

  constructor(
    private readonly images: Uint8Array,
    private readonly labels: Uint8Array,
    private readonly height: number,
    private readonly width: number,
    private readonly opts: ImageIterOptions,
  ) {
    this.numExamples = labels.length;
    this.batchSize = opts.batchSize;
    this.numBatches = Math.ceil(this.numExamples / this.batchSize);
    this.rng = makeRng(opts.seed ?? Math.floor(Math.random() * 2 ** 32));
  }

  /** The output image size [h, w] of this iterator's batches. */
  get imageSize(): [number, number] {
    return this.opts.resize ?? [this.height, this.width];
  }

  async *[Symbol.asyncIterator](): AsyncIterator<Batch> {
    // The permutation is drawn when the epoch starts, so epochs differ and a seed replays the same sequence.
    const order = this.opts.shuffle ? permutation(this.numExamples, this.rng) : undefined;
    for (let b = 0; b < this.numBatches; b++) {
      const start = b * this.batchSize;
      const end = Math.min(start + this.batchSize, this.numExamples);
      yield this.makeBatch(start, end, order);
    }
  }

  private makeBatch(start: number, end: number, order: Int32Array | undefined): Batch {
    const n = end - start;
    const pixels = this.height * this.width;
    const x = new Float32Array(n * pixels);
    const y = new Int32Array(n);
    for (let i = 0; i < n; i++) {
      const index = order ? order[start + i] : start + i;
      const src = this.images.subarray(index * pixels, (index + 1) * pixels);
      const offset = i * pixels;
      for (let p = 0; p < pixels; p++) x[offset + p] = src[p] / 255;
      y[i] = this.labels[index];
    }
    const X = tf.tidy(() => {
      const raw = tf.tensor4d(x, [n, this.height, this.width, 1], 'float32');
      const size = this.opts.resize;
      if (!size || (size[0] === this.height && size[1] === this.width)) return raw;
      // halfPixelCenters = true is PyTorch's bilinear with align_corners=False.
      return tf.image.resizeBilinear(raw, size, false, true);
    });
    return { X, y: tf.tensor1d(y, 'int32') };
  }
}
