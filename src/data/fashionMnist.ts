/**
 * Fashion-MNIST as the book loads it: `load_data_fashion_mnist(batch_size, resize=None)` and
 * `get_fashion_mnist_labels`.
 */
import type * as tf from '@tensorflow/tfjs';
import { promises as fsp } from 'fs';
import { ensureBackend } from '../backend';
import { setting } from '../settings';
import type { DataIter } from '../types';
import { LabelledImages, readLabelledImages } from './idx';
import { ImageBatchIter } from './iterator';
import { LocatedData, SourceOptions, locateFashionMnist } from './sources';

/** Options of `loadDataFashionMnist` beyond the book's two arguments. */
export interface FashionMnistOptions extends SourceOptions {
  /** Seed for the training set's shuffling (reproducible epochs). Default: `D2L_SEED` when set, else random. */
  seed?: number;
  /**
   * Use only the first `limit` examples of each set (training and test), for quick experiments. The training
   * subset is still reshuffled every epoch. `trainLimit` / `testLimit` set the two sizes separately and take
   * precedence over `limit`.
   */
  limit?: number;
  trainLimit?: number;
  testLimit?: number;
}

interface FashionMnistData {
  train: LabelledImages;
  test: LabelledImages;
  source: LocatedData;
}

/**
 * The raw bytes, read once per process and set of files (60,000 + 10,000 images are 55 MB as uint8; floats
 * are made per batch). Keyed by the files' paths, so different data directories do not mix.
 */
const loaded = new Map<string, Promise<FashionMnistData>>();

async function loadRaw(opts: SourceOptions): Promise<FashionMnistData> {
  const source = await locateFashionMnist(opts);
  // The key includes size and mtime so a replaced file (fixed, re-downloaded) is read again.
  const stats = await Promise.all(Object.values(source.paths).map(async (p) => {
    const st = await fsp.stat(p);
    return `${p}:${st.size}:${st.mtimeMs}`;
  }));
  const key = stats.join('\n');
  let pending = loaded.get(key);
  if (!pending) {
    pending = (async () => {
      const [train, test] = await Promise.all([
        readLabelledImages(source.paths.trainImages, source.paths.trainLabels, source.remedy),
        readLabelledImages(source.paths.testImages, source.paths.testLabels, source.remedy),
      ]);
      return { train, test, source };
    })();
    loaded.set(key, pending);
    // A failed read is not cached: the user may fix the file and call again in the same session.
    pending.catch(() => loaded.delete(key));
  }
  return pending;
}

/** Forgets the data read so far (tests that rewrite fixture files in place use this). */
export function clearFashionMnistCache(): void {
  loaded.clear();
}

function checkPositiveInt(name: string, value: number | undefined): void {
  if (value === undefined) return;
  if (!Number.isInteger(value) || value <= 0) {
    throw new Error(`loadDataFashionMnist: ${name} must be a positive integer, got ${value}`);
  }
}

function normalizeResize(resize: number | [number, number] | null | undefined): [number, number] | undefined {
  if (resize === undefined || resize === null) return undefined;
  const size: [number, number] = typeof resize === 'number' ? [resize, resize] : resize;
  if (!Array.isArray(size) || size.length !== 2 || !size.every((s) => Number.isInteger(s) && s > 0)) {
    throw new Error(`loadDataFashionMnist: resize must be a positive integer or [height, width], ` +
      `got ${JSON.stringify(resize)}`);
  }
  return size;
}

function subset(data: LabelledImages, limit: number | undefined): LabelledImages {
  if (limit === undefined || limit >= data.count) return data;
  const pixels = data.height * data.width;
  return {
    ...data,
    count: limit,
    images: data.images.subarray(0, limit * pixels),
    labels: data.labels.subarray(0, limit),
  };
}

/**
 * Loads Fashion-MNIST and returns `[trainIter, testIter]`, like the book's `load_data_fashion_mnist`.
 *
 * Batches are `{X, y}` with `X` a float32 `[B, H, W, 1]` tensor in [0, 1] (no mean/std normalization) and
 * `y` int32 `[B]`; the consumer disposes them. The training iterator reshuffles every epoch (`opts.seed`
 * makes that reproducible), the test iterator keeps the file order; the last batch of an epoch holds the
 * remainder (469 batches of 128 per training epoch, the last with 96 images).
 *
 * `resize` (a size or `[height, width]`) resizes each batch with bilinear interpolation and half-pixel
 * centres, PyTorch's `F.interpolate(mode='bilinear', align_corners=False)`. The book resizes PIL images,
 * which rounds to whole grey levels (≤ 0.5/255 difference) and antialiases when shrinking; the chapter only
 * enlarges (28 → 96 or 224), where bilinear is what PIL does too.
 *
 * Data sources, in order: `D2L_DATA_DIR`, `~/.cache/d2l/fashion-mnist` (or `$XDG_CACHE_HOME`), Debian's
 * `/usr/share/datasets/fashion-mnist` (`apt-get install dataset-fashion-mnist`), then a checked download.
 * `opts.limit` / `trainLimit` / `testLimit` use only the first examples of each set.
 */
export async function loadDataFashionMnist(
  batchSize: number, resize?: number | [number, number] | null, opts: FashionMnistOptions = {},
): Promise<[DataIter, DataIter]> {
  checkPositiveInt('batchSize', batchSize);
  checkPositiveInt('opts.limit', opts.limit);
  checkPositiveInt('opts.trainLimit', opts.trainLimit);
  checkPositiveInt('opts.testLimit', opts.testLimit);
  const size = normalizeResize(resize);
  await ensureBackend();
  const { train, test } = await loadRaw(opts);
  const trainSet = subset(train, opts.trainLimit ?? opts.limit);
  const testSet = subset(test, opts.testLimit ?? opts.limit);
  const trainIter = new ImageBatchIter(trainSet.images, trainSet.labels, trainSet.height, trainSet.width,
    { batchSize, shuffle: true, seed: opts.seed ?? setting('D2L_SEED') ?? undefined, resize: size });
  const testIter = new ImageBatchIter(testSet.images, testSet.labels, testSet.height, testSet.width,
    { batchSize, shuffle: false, resize: size });
  return [trainIter, testIter];
}

/** The book's text labels of the ten Fashion-MNIST classes, in class-index order. */
export const FASHION_MNIST_LABELS: readonly string[] = [
  't-shirt', 'trouser', 'pullover', 'dress', 'coat', 'sandal', 'shirt', 'sneaker', 'bag', 'ankle boot',
];

/**
 * Text labels for class indices, like the book's `get_fashion_mnist_labels`. Accepts a number array, an
 * Int32Array/Uint8Array or a tensor (which is read, not disposed).
 */
export function getFashionMnistLabels(labels: ArrayLike<number> | tf.Tensor): string[] {
  // Duck-typed rather than `instanceof tf.Tensor`: a notebook may hold tensors from another copy of tfjs.
  const values = typeof (labels as tf.Tensor).dataSync === 'function'
    ? Array.from((labels as tf.Tensor).dataSync()) : Array.from(labels as ArrayLike<number>);
  return values.map((v, i) => {
    const name = Number.isInteger(v) ? FASHION_MNIST_LABELS[v] : undefined;
    if (name === undefined) {
      throw new Error(`getFashionMnistLabels: label ${v} at index ${i} is not a class index 0…9`);
    }
    return name;
  });
}
