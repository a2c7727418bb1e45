/**
 * §7.7 DenseNet: ResNet's stem, four dense blocks (table `numConvsInDenseBlocks`, growth rate 32) with
 * transition blocks that halve the channels between them, then BN, ReLU, global pooling and a dense layer.
 */
import * as tf from '@tensorflow/tfjs';
import { resnetStem } from './resnet';
import { DenseBlock, transitionBlock } from '../layers/dense-block';
import { globalAvgPool2d } from '../layers/global-avg-pool';
import { ModelOptions, resolveOptions } from './options';

// #region book:densenetTable
/** Channels after the stem, the growth rate (channels each conv block adds) and convs per dense block. */
const densenetChannels = 64;
const growthRate = 32;
const numConvsInDenseBlocks = [4, 4, 4, 4];
// #endregion book:densenetTable

// #region book:densenet
/** DenseNet (default input 96×96×1, 10 classes). */
function densenet(opts: ModelOptions = {}): tf.Sequential {
  const { inputShape, numClasses } = resolveOptions(opts, 96, 'densenet');
  const layers: tf.layers.Layer[] = [tf.layers.inputLayer({ inputShape }), resnetStem(inputShape[2])];
  let numChannels = densenetChannels;
  numConvsInDenseBlocks.forEach((numConvs, i) => {
    layers.push(new DenseBlock(numConvs, growthRate));
    // Channels after this dense block
    numChannels += numConvs * growthRate;
    // Between dense blocks, a transition block halves the channels (and height and width)
    if (i !== numConvsInDenseBlocks.length - 1) {
      layers.push(transitionBlock(numChannels, Math.floor(numChannels / 2)));
      numChannels = Math.floor(numChannels / 2);
    }
  });
  layers.push(tf.layers.batchNormalization({ momentum: 0.9, epsilon: 1e-5 }), tf.layers.reLU(),
              globalAvgPool2d(), tf.layers.flatten(), tf.layers.dense({ units: numClasses }));
  return tf.sequential({ layers });
}
// #endregion book:densenet

export { densenetChannels, growthRate, numConvsInDenseBlocks, densenet };
