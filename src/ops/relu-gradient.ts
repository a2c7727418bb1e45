/**
 * ReLU's gradient as one kernel where the backend has it (native): dx = dy where x > 0, else 0.
 *
 * tfjs differentiates ReLU as `dy * step(x)`: two full-size passes and a temporary per ReLU. On VGG at 224²
 * those two kernels were a fifth of the training step. Backends without the `D2lReluGrad` kernel keep tfjs'
 * formula, so the gradient is the same everywhere (NaN inputs included).
 */
import * as tf from '@tensorflow/tfjs';

export const RELU_GRAD = 'D2lReluGrad';

/** The gradient of relu(x) for the incoming gradient dy. */
export function reluGrad(dy: tf.Tensor, x: tf.Tensor): tf.Tensor {
  const backend = tf.getBackend();
  if (backend != null && tf.getKernel(RELU_GRAD, backend) != null && x.dtype === 'float32') {
    return tf.engine().runKernel(RELU_GRAD, { a: dy, b: x } as unknown as tf.NamedTensorMap) as tf.Tensor;
  }
  return tf.mul(dy, tf.cast(tf.step(x), 'float32'));
}

let installed = false;

/** Replaces the registered gradient of `Relu` (once). */
export function installReluGradient(): void {
  if (installed) return;
  tf.registerGradient({
    kernelName: tf.Relu,
    inputsToSave: ['x'],
    gradFunc: (dy: tf.Tensor | tf.Tensor[], saved: tf.Tensor[]) => {
      const [x] = saved;
      return { x: () => reluGrad(dy as tf.Tensor, x) };
    },
  });
  installed = true;
}
