/**
 * §7.4 GoogLeNet: five stages b1…b5 and a dense layer; the nine Inception blocks come from a table.
 *
 * PyTorch's stride-2 layers with padding (7×7 conv p3, 3×3 max pool p1) get an explicit `zeroPadding2d` and
 * 'valid' padding: tfjs' 'same' would pad only bottom/right at stride 2 and shift every window. PyTorch pads a
 * max pool with −∞, not 0; zero padding gives the same result here because every such pool follows a ReLU
 * (b1, b2) or an Inception block (whose paths all end in ReLU), so its inputs are ≥ 0.
 */
import * as tf from '@tensorflow/tfjs';
import { globalAvgPool2d } from '../layers/global-avg-pool';
import { Inception } from '../layers/inception';
import { ModelOptions, resolveOptions } from './options';

/** The arguments of one Inception block: c1, [c2 reduce, c2], [c3 reduce, c3], c4. */
export type InceptionSpec = [number, [number, number], [number, number], number];

// #region book:googlenetInceptions
/** The Inception blocks of stages b3, b4 and b5 (2 + 5 + 2 = 9 blocks). */
const googlenetInceptions: InceptionSpec[][] = [
  [[64, [96, 128], [16, 32], 32], [128, [128, 192], [32, 96], 64]],
  [[192, [96, 208], [16, 48], 64], [160, [112, 224], [24, 64], 64], [128, [128, 256], [24, 64], 64],
   [112, [144, 288], [32, 64], 64], [256, [160, 320], [32, 128], 128]],
  [[256, [160, 320], [32, 128], 128], [384, [192, 384], [48, 128], 128]],
];
// #endregion book:googlenetInceptions

// #region book:inceptionStage
/** A stage of Inception blocks followed by `tail` layers; the first block declares `inChannels`. */
function inceptionStage(inChannels: number, specs: InceptionSpec[], tail: tf.layers.Layer[]): tf.Sequential {
  const blocks = specs.map(([c1, c2, c3, c4], i) =>
    new Inception(c1, c2, c3, c4, { inputShape: i === 0 ? [null, null, inChannels] : undefined }));
  return tf.sequential({ layers: [...blocks, ...tail] });
}

/** Output channels of an Inception block: the four paths concatenated. */
function inceptionChannels([c1, c2, c3, c4]: InceptionSpec): number {
  return c1 + c2[1] + c3[1] + c4;
}
// #endregion book:inceptionStage

// #region book:googlenet
/** GoogLeNet (default input 96×96×1, 10 classes). */
function googlenet(opts: ModelOptions = {}): tf.Sequential {
  const { inputShape, numClasses } = resolveOptions(opts, 96, 'googlenet');
  // Stride-2 max pool with PyTorch's padding=1 (zero padding is fine: inputs are ≥ 0 after ReLU)
  const pool = () => [tf.layers.zeroPadding2d({ padding: 1 }), tf.layers.maxPooling2d({ poolSize: 3, strides: 2 })];
  // b1: 7×7 conv with 64 channels
  const b1 = tf.sequential({ layers: [
    tf.layers.zeroPadding2d({ padding: 3, inputShape: [null, null, inputShape[2]] }),
    tf.layers.conv2d({ filters: 64, kernelSize: 7, strides: 2, activation: 'relu' }),
    ...pool()] });
  // b2: 1×1 conv, then a 3×3 conv that triples the channels
  const b2 = tf.sequential({ layers: [
    tf.layers.conv2d({ filters: 64, kernelSize: 1, activation: 'relu', inputShape: [null, null, 64] }),
    tf.layers.conv2d({ filters: 192, kernelSize: 3, padding: 'same', activation: 'relu' }),
    ...pool()] });
  // b3…b5: Inception blocks from the table
  const [s3, s4, s5] = googlenetInceptions;
  const b3 = inceptionStage(192, s3, pool());
  const b4 = inceptionStage(inceptionChannels(s3[s3.length - 1]), s4, pool());
  const b5 = inceptionStage(inceptionChannels(s4[s4.length - 1]), s5, [globalAvgPool2d(), tf.layers.flatten()]);
  return tf.sequential({ layers: [tf.layers.inputLayer({ inputShape }), b1, b2, b3, b4, b5,
                                  tf.layers.dense({ units: numClasses })] });
}
// #endregion book:googlenet

export { googlenetInceptions, inceptionStage, inceptionChannels, googlenet };
