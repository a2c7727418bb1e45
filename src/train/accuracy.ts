/**
 * The book's `accuracy` and `evaluate_accuracy_gpu`. In TensorFlow.js every tensor lives on the current backend,
 * so there is nothing to move to a device; `device` is accepted for the book's signature only.
 */
import * as tf from '@tensorflow/tfjs';
import { ensureBackend } from '../backend';
import type { Device } from '../backend';
import type { DataIter } from '../types';
import { Accumulator } from './timer';

/** The number of correct predictions (a count, not a ratio). `yHat`: logits [B, C] or labels [B]. */
export function accuracy(yHat: tf.Tensor, y: tf.Tensor): number {
  return tf.tidy(() => {
    const predicted = yHat.rank === 2 && yHat.shape[1]! > 1 ? yHat.argMax(1) : yHat;
    const correct = tf.equal(predicted.cast(y.dtype), y.reshape(predicted.shape));
    return correct.cast('float32').sum().dataSync()[0];
  });
}

/**
 * Accuracy of `net` on a dataset, in inference mode (dropout off, batch norm using its moving statistics).
 * Disposes every batch it reads.
 */
export async function evaluateAccuracy(net: tf.LayersModel, dataIter: DataIter,
  device?: Device | string): Promise<number> {
  void device; // tfjs computes on its current backend; nothing to move
  await ensureBackend();
  const metric = new Accumulator(2); // number of correct predictions, number of predictions
  for await (const { X, y } of dataIter) {
    try {
      const count = tf.tidy(() => accuracy(net.predict(X, { batchSize: X.shape[0] }) as tf.Tensor, y));
      metric.add(count, y.size);
    } finally {
      tf.dispose([X, y]);
    }
  }
  return metric.get(0) / metric.get(1);
}
