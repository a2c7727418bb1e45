import type * as tf from '@tensorflow/tfjs';

/** One mini-batch, as the book's DataLoader yields it but channels-last: X is [B, H, W, 1] in [0, 1]. */
export interface Batch {
  X: tf.Tensor4D;
  y: tf.Tensor1D;
}

/**
 * An epoch's worth of batches. Iterating again starts a new epoch (a training iterator reshuffles).
 * The consumer owns each batch's tensors and disposes them.
 */
export interface DataIter extends AsyncIterable<Batch> {
  /** Number of batches per epoch, like `len(train_iter)`. */
  readonly numBatches: number;
  /** Number of examples per epoch. */
  readonly numExamples: number;
  readonly batchSize: number;
}
