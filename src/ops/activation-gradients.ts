/**
 * ReLU's and sigmoid's gradients as one kernel each where the backend has them (native).
 *
 * tfjs differentiates ReLU as `dy * step(x)` (two full-size passes and a temporary) and sigmoid as
 * `dy * (y * (1 - y))` (three passes, two temporaries). On VGG at 224² the ReLU pair alone was a fifth of the
 * training step; LeNet-BN runs four sigmoids per step. Backends without the `D2lReluGrad` / `D2lSigmoidGrad`
 * kernels keep tfjs' formulas, so the gradients are the same everywhere (NaN inputs included).
 */
import * as tf from '@tensorflow/tfjs';

export const RELU_GRAD = 'D2lReluGrad';
export const SIGMOID_GRAD = 'D2lSigmoidGrad';

function hasKernel(name: string, t: tf.Tensor): boolean {
  const backend = tf.getBackend();
  return backend != null && t.dtype === 'float32' && tf.getKernel(name, backend) != null;
}

/**
 * The gradient of relu(x) for the incoming gradient dy, from x or equally from y = relu(x): y > 0 exactly where
 * x > 0, and y is NaN exactly where x is, so either gives the same bits.
 */
export function reluGrad(dy: tf.Tensor, x: tf.Tensor): tf.Tensor {
  if (hasKernel(RELU_GRAD, x)) {
    return tf.engine().runKernel(RELU_GRAD, { a: dy, b: x } as unknown as tf.NamedTensorMap) as tf.Tensor;
  }
  return tf.mul(dy, tf.cast(tf.step(x), 'float32'));
}

/** The gradient of y = sigmoid(x) for the incoming gradient dy, from y. */
export function sigmoidGrad(dy: tf.Tensor, y: tf.Tensor): tf.Tensor {
  if (hasKernel(SIGMOID_GRAD, y)) {
    return tf.engine().runKernel(SIGMOID_GRAD, { a: dy, b: y } as unknown as tf.NamedTensorMap) as tf.Tensor;
  }
  return tf.mul(dy, tf.mul(y, tf.sub(tf.scalar(1), y)));
}

const GRADIENTS: tf.GradConfig[] = [
  {
    // From the output, as PyTorch does: the input (often a batch norm's output, used by nothing else) can then be
    // freed as soon as the block that made it ends, instead of living until the backward pass. ResNet-18 holds
    // two fewer activations per residual block.
    kernelName: tf.Relu,
    outputsToSave: [true],
    gradFunc: (dy: tf.Tensor | tf.Tensor[], saved: tf.Tensor[]) => ({ x: () => reluGrad(dy as tf.Tensor, saved[0]) }),
  },
  {
    kernelName: tf.Sigmoid,
    outputsToSave: [true],
    gradFunc: (dy: tf.Tensor | tf.Tensor[], saved: tf.Tensor[]) => ({ x: () => sigmoidGrad(dy as tf.Tensor, saved[0]) }),
  },
];

/** Whether tfjs differentiates `Relu` and `Sigmoid` with this module's gradients. */
export function activationGradientsInstalled(): boolean {
  return GRADIENTS.every((g) => tf.getGradient(g.kernelName)?.gradFunc === g.gradFunc);
}

/**
 * Replaces the registered gradients of `Relu` and `Sigmoid` (idempotent). d2l installs them at import from its
 * patch table (src/ops/patches.ts).
 */
export function installActivationGradients(): void {
  if (activationGradientsInstalled()) return;
  for (const g of GRADIENTS) tf.registerGradient(g);
}
