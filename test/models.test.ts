/**
 * The chapter's models: trainable parameter counts (chapter7.md §8) and the book's printed layer shapes (§3),
 * transposed from NCHW to NHWC, with PyTorch class names mapped to tfjs ones; summaries list the blocks.
 * No tensor computation: shapes are symbolic, and weights are zero-initialized while counting (values are
 * irrelevant to counts, and random init of VGG-11's 129M weights alone takes ~20 s on the cpu backend).
 */
import * as assert from 'assert';
import * as tf from '@tensorflow/tfjs';
import { MIME_BUNDLE } from '../src/display/protocol';
import {
  alexnet, convArch, countTrainableParams, densenet, formatLayerShape, googlenet, layerShapes, lenetBN,
  lenetBNConcise, modelSummary, nin, resnet18, smallConvArch, vgg,
} from '../src/models';

/** Builds with zero-initialized weights (tfjs' own fast path for loading), to keep the big nets cheap. */
function withFastInit<T>(build: () => T): T {
  const proto = tf.layers.Layer.prototype as any;
  const addWeight = proto.addWeight;
  proto.addWeight = function (this: any, ...args: unknown[]) {
    this.fastWeightInitDuringBuild = true;
    return addWeight.apply(this, args);
  };
  try {
    return build();
  } finally {
    proto.addWeight = addWeight;
  }
}

/** PyTorch class names as printed by the book → tfjs class names (documented in src/models/shapes.ts). */
const TORCH_TO_TFJS: Record<string, string> = {
  Conv2d: 'Conv2D', ReLU: 'ReLU', MaxPool2d: 'MaxPooling2D', Flatten: 'Flatten', Linear: 'Dense',
  Dropout: 'Dropout', AdaptiveAvgPool2d: 'GlobalAvgPool2d', Sequential: 'Sequential',
};

/** Parses the book's printout ("Conv2d output shape:\t torch.Size([1, 96, 54, 54])") into NHWC lines. */
function bookListing(text: string): string[] {
  return text.trim().split('\n').map((line) => {
    const m = /^(\w+) output shape:\t torch\.Size\(\[([\d, ]+)\]\)$/.exec(line.trim());
    assert.ok(m, `bad book line ${line}`);
    const dims = m[2].split(',').map(Number);
    const nhwc = dims.length === 4 ? [dims[0], dims[2], dims[3], dims[1]] : dims;
    return formatLayerShape({ name: TORCH_TO_TFJS[m[1]], shape: nhwc } as any);
  });
}

// chapter7.md §3, verbatim (book output)
const BOOK = {
  alexnet: `Conv2d output shape:\t torch.Size([1, 96, 54, 54])
ReLU output shape:\t torch.Size([1, 96, 54, 54])
MaxPool2d output shape:\t torch.Size([1, 96, 26, 26])
Conv2d output shape:\t torch.Size([1, 256, 26, 26])
ReLU output shape:\t torch.Size([1, 256, 26, 26])
MaxPool2d output shape:\t torch.Size([1, 256, 12, 12])
Conv2d output shape:\t torch.Size([1, 384, 12, 12])
ReLU output shape:\t torch.Size([1, 384, 12, 12])
Conv2d output shape:\t torch.Size([1, 384, 12, 12])
ReLU output shape:\t torch.Size([1, 384, 12, 12])
Conv2d output shape:\t torch.Size([1, 256, 12, 12])
ReLU output shape:\t torch.Size([1, 256, 12, 12])
MaxPool2d output shape:\t torch.Size([1, 256, 5, 5])
Flatten output shape:\t torch.Size([1, 6400])
Linear output shape:\t torch.Size([1, 4096])
ReLU output shape:\t torch.Size([1, 4096])
Dropout output shape:\t torch.Size([1, 4096])
Linear output shape:\t torch.Size([1, 4096])
ReLU output shape:\t torch.Size([1, 4096])
Dropout output shape:\t torch.Size([1, 4096])
Linear output shape:\t torch.Size([1, 10])`,
  vgg: `Sequential output shape:\t torch.Size([1, 64, 112, 112])
Sequential output shape:\t torch.Size([1, 128, 56, 56])
Sequential output shape:\t torch.Size([1, 256, 28, 28])
Sequential output shape:\t torch.Size([1, 512, 14, 14])
Sequential output shape:\t torch.Size([1, 512, 7, 7])
Flatten output shape:\t torch.Size([1, 25088])
Linear output shape:\t torch.Size([1, 4096])
ReLU output shape:\t torch.Size([1, 4096])
Dropout output shape:\t torch.Size([1, 4096])
Linear output shape:\t torch.Size([1, 4096])
ReLU output shape:\t torch.Size([1, 4096])
Dropout output shape:\t torch.Size([1, 4096])
Linear output shape:\t torch.Size([1, 10])`,
  nin: `Sequential output shape:\t torch.Size([1, 96, 54, 54])
MaxPool2d output shape:\t torch.Size([1, 96, 26, 26])
Sequential output shape:\t torch.Size([1, 256, 26, 26])
MaxPool2d output shape:\t torch.Size([1, 256, 12, 12])
Sequential output shape:\t torch.Size([1, 384, 12, 12])
MaxPool2d output shape:\t torch.Size([1, 384, 5, 5])
Dropout output shape:\t torch.Size([1, 384, 5, 5])
Sequential output shape:\t torch.Size([1, 10, 5, 5])
AdaptiveAvgPool2d output shape:\t torch.Size([1, 10, 1, 1])
Flatten output shape:\t torch.Size([1, 10])`,
  googlenet: `Sequential output shape:\t torch.Size([1, 64, 24, 24])
Sequential output shape:\t torch.Size([1, 192, 12, 12])
Sequential output shape:\t torch.Size([1, 480, 6, 6])
Sequential output shape:\t torch.Size([1, 832, 3, 3])
Sequential output shape:\t torch.Size([1, 1024])
Linear output shape:\t torch.Size([1, 10])`,
  resnet: `Sequential output shape:\t torch.Size([1, 64, 56, 56])
Sequential output shape:\t torch.Size([1, 64, 56, 56])
Sequential output shape:\t torch.Size([1, 128, 28, 28])
Sequential output shape:\t torch.Size([1, 256, 14, 14])
Sequential output shape:\t torch.Size([1, 512, 7, 7])
AdaptiveAvgPool2d output shape:\t torch.Size([1, 512, 1, 1])
Flatten output shape:\t torch.Size([1, 512])
Linear output shape:\t torch.Size([1, 10])`,
};

const printed = (net: tf.LayersModel, shape: number[]) => layerShapes(net, shape).map(formatLayerShape);

describe('models: parameter counts (§8) and printed shapes (§3, NHWC)', function () {
  this.timeout(300000);
  before(async () => { await tf.setBackend('cpu'); });

  it('AlexNet: 46,764,746 params; the 21 printed shapes', () => {
    const net = withFastInit(() => alexnet());
    assert.strictEqual(countTrainableParams(net), 46764746);
    assert.deepStrictEqual(printed(net, [1, 224, 224, 1]), bookListing(BOOK.alexnet));
    assert.strictEqual(printed(net, [1, 224, 224, 1])[0], 'Conv2D output shape:\t [1,54,54,96]');
    net.dispose();
  });

  it('VGG-11: 128,806,154 params and the 13 printed shapes; the ÷4 VGG: 43,093,322, Flatten 6272', () => {
    const net = withFastInit(() => vgg(convArch));
    assert.strictEqual(countTrainableParams(net), 128806154);
    assert.deepStrictEqual(printed(net, [1, 224, 224, 1]), bookListing(BOOK.vgg));
    net.dispose();
    const small = withFastInit(() => vgg(smallConvArch));
    assert.deepStrictEqual(smallConvArch, [[1, 16], [1, 32], [2, 64], [2, 128], [2, 128]]);
    assert.strictEqual(countTrainableParams(small), 43093322);
    assert.deepStrictEqual(layerShapes(small, [1, 224, 224, 1])[5].shape, [1, 6272]);
    small.dispose();
  });

  it('NiN: 1,992,166 params and the 10 printed shapes', () => {
    const net = withFastInit(() => nin());
    assert.strictEqual(countTrainableParams(net), 1992166);
    assert.deepStrictEqual(printed(net, [1, 224, 224, 1]), bookListing(BOOK.nin));
  });

  it('GoogLeNet: 5,977,530 params (b1 3,200 … b5 2,487,536) and the 6 printed shapes at 96', () => {
    const net = withFastInit(() => googlenet());
    assert.strictEqual(countTrainableParams(net), 5977530);
    const stages = net.layers.filter((l) => l.getClassName() !== 'InputLayer').map(countTrainableParams);
    assert.deepStrictEqual(stages, [3200, 114944, 552432, 2809168, 2487536, 10250]);
    assert.deepStrictEqual(printed(net, [1, 96, 96, 1]), bookListing(BOOK.googlenet));
  });

  it('LeNet-BN, scratch and concise: 44,878 trainable params each', () => {
    for (const build of [lenetBN, lenetBNConcise]) {
      const net = build();
      assert.strictEqual(countTrainableParams(net), 44878);
      assert.deepStrictEqual(layerShapes(net, [1, 28, 28, 1]).pop()?.shape, [1, 10]);
    }
  });

  it('ResNet-18: 11,178,378 params (stages as §8) and the 8 printed shapes at 224; at 96: 3×3 before pooling', () => {
    const net = withFastInit(() => resnet18({ inputShape: [224, 224, 1] }));
    assert.strictEqual(countTrainableParams(net), 11178378);
    const stages = net.layers.filter((l) => l.getClassName() !== 'InputLayer').map(countTrainableParams);
    assert.deepStrictEqual(stages, [3328, 148224, 525952, 2100480, 8395264, 0, 0, 5130]);
    assert.deepStrictEqual(printed(net, [1, 224, 224, 1]), bookListing(BOOK.resnet));
    const at96 = withFastInit(() => resnet18());
    assert.deepStrictEqual(layerShapes(at96, [1, 96, 96, 1]).map((l) => l.shape[1]), [24, 24, 12, 6, 3, 1, 512, 10]);
  });

  it('DenseNet: 758,226 params; channel flow 64→192→96→224→112→240→120→248 at 96', () => {
    const net = withFastInit(() => densenet());
    assert.strictEqual(countTrainableParams(net), 758226);
    const shapes = layerShapes(net, [1, 96, 96, 1]).map((l) => l.shape);
    assert.deepStrictEqual(shapes.slice(0, 8).map((s) => s[3]), [64, 192, 96, 224, 112, 240, 120, 248]);
    assert.deepStrictEqual(shapes.slice(0, 8).map((s) => s[1]), [24, 24, 12, 12, 6, 6, 3, 3]);
    assert.deepStrictEqual(shapes[shapes.length - 1], [1, 10]);
    const parts = net.layers.filter((l) => l.getClassName() !== 'InputLayer').map(countTrainableParams);
    assert.deepStrictEqual(parts, [3328, 130048, 18912, 167168, 25648, 185728, 29400, 195008, 496, 0, 0, 0, 2490]);
  });

  it('options: inputShape and numClasses override the defaults; bad values fail clearly', () => {
    const net = withFastInit(() => resnet18({ inputShape: [32, 32, 3], numClasses: 5 }));
    assert.deepStrictEqual(layerShapes(net, [2, 32, 32, 3]).pop()?.shape, [2, 5]);
    assert.throws(() => nin({ numClasses: 0 }), /numClasses must be a positive integer/);
    assert.throws(() => layerShapes(withFastInit(() => alexnet({ inputShape: [63, 63, 1] })), [1, 63, 63, 1]),
                  /too small/);
  });
});

describe('models: summaries list the blocks', () => {
  before(async () => { await tf.setBackend('cpu'); });

  it('text and HTML summaries (the model MIME bundle) list blocks, their layers and the totals', () => {
    const net = withFastInit(() => googlenet());
    const bundle = (net as any)[MIME_BUNDLE]() as Record<string, string>;
    const text = bundle['text/plain'];
    assert.strictEqual(text, modelSummary(net));
    assert.strictEqual((text.match(/\(Inception\)/g) ?? []).length, 9);
    assert.strictEqual((text.match(/^\S+ \(Sequential\)/gm) ?? []).length, 5);
    assert.match(text, /\[null,6,6,480\]/);
    assert.match(text, /Trainable params: 5,977,530/);
    assert.match(bundle['text/html'], /<table[^>]*>.*\(Inception\).*<\/table>/s);
    const dn = withFastInit(() => densenet());
    assert.strictEqual((modelSummary(dn).match(/\(DenseBlock\)/g) ?? []).length, 4);
    // BN layers hold as many moving statistics as gamma/beta parameters
    const bnParams = dn.trainableWeights.filter((w) => /gamma|beta/.test(w.originalName))
      .reduce((sum, w) => sum + w.shape[w.shape.length - 1]!, 0);
    assert.ok(modelSummary(dn).includes(`Non-trainable params: ${bnParams.toLocaleString('en-US')}`));
  });

  it("tfjs' own net.summary() lists the blocks as layers too", () => {
    const lines: string[] = [];
    withFastInit(() => resnet18()).summary(200, undefined, (line: string) => lines.push(line));
    assert.strictEqual(lines.filter((l) => /\(Sequential\)/.test(l)).length, 5);
    assert.ok(lines.some((l) => /Trainable params: 11178378/.test(l)), lines.join('\n'));
  });
});
