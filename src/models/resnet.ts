/**
 * §7.6 ResNet-18: the stem shared with DenseNet, the stage table and the `resnet18` builder.
 *
 * The stem's stride-2 7×7 conv (padding 3) and 3×3 max pool (padding 1) get explicit `zeroPadding2d` + 'valid'
 * (tfjs' 'same' pads only bottom/right at stride 2). Zero padding before the max pool equals PyTorch's −∞
 * padding because the pool follows a ReLU (inputs ≥ 0).
 */
import * as tf from '@tensorflow/tfjs';
import { globalAvgPool2d } from '../layers/global-avg-pool';
import { resnetBlock } from '../layers/residual';
import { ModelOptions, resolveOptions } from './options';

// #region book:resnetStem
/** b1 of ResNet and DenseNet: 7×7 conv (64 channels, stride 2), batch norm, ReLU, 3×3 max pool (stride 2). */
function resnetStem(inChannels: number): tf.Sequential {
  return tf.sequential({ layers: [
    tf.layers.zeroPadding2d({ padding: 3, inputShape: [null, null, inChannels] }),
    tf.layers.conv2d({ filters: 64, kernelSize: 7, strides: 2 }),
    tf.layers.batchNormalization({ momentum: 0.9, epsilon: 1e-5 }), tf.layers.reLU(),
    // PyTorch's padding=1; zeros act like its −∞ because the inputs are ≥ 0 after the ReLU
    tf.layers.zeroPadding2d({ padding: 1 }),
    tf.layers.maxPooling2d({ poolSize: 3, strides: 2 })] });
}
// #endregion book:resnetStem

// #region book:resnetStages
/** ResNet-18's four stages b2…b5: [output channels, residual blocks]. */
const resnetStages: [number, number][] = [[64, 2], [128, 2], [256, 2], [512, 2]];
// #endregion book:resnetStages

// #region book:resnet18
/** ResNet-18 (default input 96×96×1, the book's training size; 10 classes). */
function resnet18(opts: ModelOptions = {}): tf.Sequential {
  const { inputShape, numClasses } = resolveOptions(opts, 96, 'resnet18');
  const layers: tf.layers.Layer[] = [tf.layers.inputLayer({ inputShape }), resnetStem(inputShape[2])];
  let inChannels = 64;
  resnetStages.forEach(([numChannels, numResiduals], i) => {
    // The first stage keeps the size (the stem already pooled); the others halve it
    layers.push(tf.sequential({ layers: resnetBlock(inChannels, numChannels, numResiduals, i === 0) }));
    inChannels = numChannels;
  });
  layers.push(globalAvgPool2d(), tf.layers.flatten(), tf.layers.dense({ units: numClasses }));
  return tf.sequential({ layers });
}
// #endregion book:resnet18

export { resnetStem, resnetStages, resnet18 };
