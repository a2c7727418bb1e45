/**
 * §7.2 VGG: `vggBlock`, the VGG-11 architecture table `convArch`, the `vgg` builder and the ÷4 `smallConvArch`
 * the book trains. All convs are 3×3 with 'same' padding (= PyTorch padding=1 at stride 1).
 */
import * as tf from '@tensorflow/tfjs';
import { ModelOptions, resolveOptions } from './options';

/** One VGG block per entry: [number of convs, output channels]. */
export type ConvArch = [number, number][];

// #region book:vggBlock
/** `numConvs` 3×3 convs with ReLU, then a 2×2 max pool that halves height and width. */
function vggBlock(numConvs: number, inChannels: number, outChannels: number): tf.Sequential {
  const layers: tf.layers.Layer[] = [];
  for (let i = 0; i < numConvs; i++) {
    // The first conv declares the block's input channels so the block can nest in a net
    const inputShape = i === 0 ? [null, null, inChannels] : undefined;
    layers.push(tf.layers.conv2d({ filters: outChannels, kernelSize: 3, padding: 'same', activation: 'relu',
                                   inputShape }));
  }
  layers.push(tf.layers.maxPooling2d({ poolSize: 2, strides: 2 }));
  return tf.sequential({ layers });
}
// #endregion book:vggBlock

// #region book:convArch
/** VGG-11: 5 blocks with 8 convs in all (plus 3 fully connected layers). */
const convArch: ConvArch = [[1, 64], [1, 128], [2, 256], [2, 512], [2, 512]];
// #endregion book:convArch

// #region book:vgg
/** VGG for a conv architecture table (default input 224×224×1, 10 classes). */
function vgg(arch: ConvArch, opts: ModelOptions = {}): tf.Sequential {
  const { inputShape, numClasses } = resolveOptions(opts, 224, 'vgg');
  const layers: tf.layers.Layer[] = [tf.layers.inputLayer({ inputShape })];
  // The convolutional part
  let inChannels = inputShape[2];
  for (const [numConvs, outChannels] of arch) {
    layers.push(vggBlock(numConvs, inChannels, outChannels));
    inChannels = outChannels;
  }
  // The fully connected part
  layers.push(
    tf.layers.flatten(),
    tf.layers.dense({ units: 4096 }), tf.layers.reLU(), tf.layers.dropout({ rate: 0.5 }),
    tf.layers.dense({ units: 4096 }), tf.layers.reLU(), tf.layers.dropout({ rate: 0.5 }),
    tf.layers.dense({ units: numClasses }));
  return tf.sequential({ layers });
}
// #endregion book:vgg

// #region book:smallConvArch
/** The book trains a VGG-11 with 4× fewer channels per block, to fit Fashion-MNIST's budget. */
const ratio = 4;
const smallConvArch: ConvArch = convArch.map(([numConvs, channels]) => [numConvs, channels / ratio]);
// #endregion book:smallConvArch

export { vggBlock, convArch, vgg, ratio, smallConvArch };
