/**
 * §7.1 AlexNet, as the book's PyTorch code builds it (one flat sequential net, 224×224×1 input).
 *
 * The first conv has PyTorch's padding=1 (k11, s4 → 54×54); tfjs convs only know 'valid'/'same', so an explicit
 * `zeroPadding2d(1)` precedes a 'valid' conv. `printLayerShapes` folds that padding into the conv's line.
 * The 5×5 and 3×3 convs at stride 1 use 'same', which equals PyTorch's padding 2 / 1.
 */
import * as tf from '@tensorflow/tfjs';
import { ModelOptions, resolveOptions } from './options';

// #region book:alexnet
/** AlexNet for `inputShape` (default 224×224×1) and `numClasses` (default 10). */
function alexnet(opts: ModelOptions = {}): tf.Sequential {
  const { inputShape, numClasses } = resolveOptions(opts, 224, 'alexnet');
  return tf.sequential({ layers: [
    tf.layers.inputLayer({ inputShape }),
    // A large 11×11 window with stride 4 to catch objects, and many more output channels than LeNet
    tf.layers.zeroPadding2d({ padding: 1 }),
    tf.layers.conv2d({ filters: 96, kernelSize: 11, strides: 4 }), tf.layers.reLU(),
    tf.layers.maxPooling2d({ poolSize: 3, strides: 2 }),
    // Smaller window, padding keeps height and width; more output channels
    tf.layers.conv2d({ filters: 256, kernelSize: 5, padding: 'same' }), tf.layers.reLU(),
    tf.layers.maxPooling2d({ poolSize: 3, strides: 2 }),
    // Three 3×3 convs; the last two do not reduce the channels further
    tf.layers.conv2d({ filters: 384, kernelSize: 3, padding: 'same' }), tf.layers.reLU(),
    tf.layers.conv2d({ filters: 384, kernelSize: 3, padding: 'same' }), tf.layers.reLU(),
    tf.layers.conv2d({ filters: 256, kernelSize: 3, padding: 'same' }), tf.layers.reLU(),
    tf.layers.maxPooling2d({ poolSize: 3, strides: 2 }),
    tf.layers.flatten(),
    // Large fully connected layers, with dropout against overfitting
    tf.layers.dense({ units: 4096 }), tf.layers.reLU(), tf.layers.dropout({ rate: 0.5 }),
    tf.layers.dense({ units: 4096 }), tf.layers.reLU(), tf.layers.dropout({ rate: 0.5 }),
    tf.layers.dense({ units: numClasses })] });
}
// #endregion book:alexnet

export { alexnet };
