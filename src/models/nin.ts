/**
 * §7.3 NiN: `ninBlock` (a conv followed by two 1×1 convs, each with ReLU) and the `nin` builder.
 * PyTorch's integer padding becomes an explicit `zeroPadding2d` before a 'valid' conv, so every
 * (kernel, stride, padding) triple of the book means exactly what it means in PyTorch.
 */
import * as tf from '@tensorflow/tfjs';
import { globalAvgPool2d } from '../layers/global-avg-pool';
import { ModelOptions, resolveOptions } from './options';

// #region book:ninBlock
/** A NiN block: a `kernelSize` conv, then two 1×1 convs that act as a per-pixel MLP. */
function ninBlock(inChannels: number, outChannels: number, kernelSize: number, strides: number,
                  padding: number): tf.Sequential {
  const inputShape = [null, null, inChannels];
  return tf.sequential({ layers: [
    // PyTorch's `padding` pads every side; tfjs needs it as a separate layer
    tf.layers.zeroPadding2d({ padding, inputShape }),
    tf.layers.conv2d({ filters: outChannels, kernelSize, strides, activation: 'relu' }),
    tf.layers.conv2d({ filters: outChannels, kernelSize: 1, activation: 'relu' }),
    tf.layers.conv2d({ filters: outChannels, kernelSize: 1, activation: 'relu' })] });
}
// #endregion book:ninBlock

// #region book:nin
/** NiN (default input 224×224×1, 10 classes): no dense layer, the last block outputs one channel per class. */
function nin(opts: ModelOptions = {}): tf.Sequential {
  const { inputShape, numClasses } = resolveOptions(opts, 224, 'nin');
  return tf.sequential({ layers: [
    tf.layers.inputLayer({ inputShape }),
    ninBlock(inputShape[2], 96, 11, 4, 0),
    tf.layers.maxPooling2d({ poolSize: 3, strides: 2 }),
    ninBlock(96, 256, 5, 1, 2),
    tf.layers.maxPooling2d({ poolSize: 3, strides: 2 }),
    ninBlock(256, 384, 3, 1, 1),
    tf.layers.maxPooling2d({ poolSize: 3, strides: 2 }),
    tf.layers.dropout({ rate: 0.5 }),
    // One output channel per class
    ninBlock(384, numClasses, 3, 1, 1),
    // Global average pooling to 1×1, then flatten to (batch, numClasses)
    globalAvgPool2d(),
    tf.layers.flatten()] });
}
// #endregion book:nin

export { ninBlock, nin };
