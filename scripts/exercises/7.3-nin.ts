/** Exercises 7.3 (NiN): a NiN block with one 1×1 conv, NiN's parameter count, the cost of the last block. */
import { answer, commonSetup, ExerciseNotebook, md, solution, tests } from './cells';

export const ninExercises: ExerciseNotebook = {
  file: '7.3-nin-exercises.ipynb',
  cells: [
    md('intro')`
      # 7.3 网络中的网络（NiN）：练习

      请只在标有 \`// YOUR CODE HERE\` 的单元格里作答；其他单元格在评分时会被恢复。评分时还会运行隐藏的检查。
    `,
    commonSetup(),
    md('ex1-md')`
      ## 练习 1：只有一个 1×1 卷积层的 NiN 块（4 分）

      实现 \`ninBlockOne(inChannels, outChannels, kernelSize, strides, padding)\`：与书中的 NiN 块相同，
      但只保留一个 1×1 卷积层（每个卷积层后接 ReLU）。PyTorch 的 \`padding\` 在 tfjs 中写成一个 \`zeroPadding2d\` 层加
      \`'valid'\` 卷积（参考 \`d2l.ninBlock\`）。
    `,
    solution('ex1-solution')`
      function ninBlockOne(inChannels: number, outChannels: number, kernelSize: number, strides: number,
                           padding: number): tf.Sequential {
        // BEGIN SOLUTION
        return tf.sequential({ layers: [
          tf.layers.zeroPadding2d({ padding: padding, inputShape: [null, null, inChannels] }),
          tf.layers.conv2d({ filters: outChannels, kernelSize: kernelSize, strides: strides, activation: 'relu' }),
          tf.layers.conv2d({ filters: outChannels, kernelSize: 1, activation: 'relu' })] });
        // END SOLUTION
      }
    `,
    tests('ex1-tests', 4)`
      const blkOne = ninBlockOne(3, 16, 5, 1, 2);
      const yOne = blkOne.predict(tf.zeros([1, 32, 32, 3])) as tf.Tensor;
      assert.deepStrictEqual(yOne.shape, [1, 32, 32, 16]);
      tf.dispose(yOne);
      // BEGIN HIDDEN TESTS
      d2l.check(trainableParams(blkOne), 3 * 16 * 25 + 16 + 16 * 16 + 16);
      d2l.check(blkOne.layers.filter((l) => l.getClassName() === 'Conv2D').length, 2);
      // one 1×1 conv fewer than the book's block (d2l.ninBlock(1, 96, 11, 4, 0): 30,336): 96·96 + 96 parameters fewer
      d2l.check(trainableParams(ninBlockOne(1, 96, 11, 4, 0)), 30336 - (96 * 96 + 96));
      d2l.checkShape(ninBlockOne(1, 96, 11, 4, 0).apply(tf.input({ shape: [224, 224, 1] })), [null, 54, 54, 96]);
      // END HIDDEN TESTS
    `,
    md('ex2-md')`
      ## 练习 2：NiN 的参数数量（4 分）

      用公式（不要构建模型）计算书中 NiN（单通道输入、10 类）的参数总数 \`ninParams()\`，
      以及把每个 NiN 块都换成练习 1 的单 1×1 卷积版本后的参数总数 \`ninParamsOne()\`。
    `,
    solution('ex2-solution')`
      /** (inChannels, outChannels, kernel) of NiN's four blocks, as in the book. */
      const ninBlocks: [number, number, number][] = [[1, 96, 11], [96, 256, 5], [256, 384, 3], [384, 10, 3]];
      function ninParams(): number {
        // BEGIN SOLUTION
        return ninBlocks.reduce((n, [i, o, k]) => n + i * o * k * k + o + 2 * (o * o + o), 0);
        // END SOLUTION
      }
      function ninParamsOne(): number {
        // BEGIN SOLUTION
        return ninBlocks.reduce((n, [i, o, k]) => n + i * o * k * k + o + (o * o + o), 0);
        // END SOLUTION
      }
    `,
    tests('ex2-tests', 4)`
      assert.strictEqual(typeof ninParams(), 'number');
      assert.ok(ninParamsOne() < ninParams());
      // BEGIN HIDDEN TESTS
      d2l.check(ninParams(), 1992166);
      // each block loses one 1×1 conv: o·o + o parameters
      d2l.check(ninParams() - ninParamsOne(), 96 * 96 + 96 + 256 * 256 + 256 + 384 * 384 + 384 + 10 * 10 + 10);
      // END HIDDEN TESTS
    `,
    md('ex3-md')`
      ## 练习 3：一步从 384×5×5 降到 10×5×5（2 分）

      如果把最后一个 NiN 块换成一个 3×3 卷积层（384 → 10 通道，填充 1），参数减少多少（\`lastBlockSaving()\`）？
    `,
    solution('ex3-solution')`
      function lastBlockSaving(): number {
        // BEGIN SOLUTION
        const block = 384 * 10 * 9 + 10 + 2 * (10 * 10 + 10);
        const single = 384 * 10 * 9 + 10;
        return block - single;
        // END SOLUTION
      }
    `,
    tests('ex3-tests', 2)`
      assert.ok(lastBlockSaving() > 0);
      // BEGIN HIDDEN TESTS
      // d2l.ninBlock(384, 10, 3, 1, 1) minus one 3×3 conv 384 → 10: its two 1×1 convs
      d2l.check(lastBlockSaving(), 2 * (10 * 10 + 10));
      // END HIDDEN TESTS
    `,
    md('q1-md')`
      ## 问答 1（2 分）

      为什么 NiN 块中有两个 1×1 卷积层？去掉其中一个后（练习 1），会发生什么？
    `,
    answer('q1-answer', 2)`
      两个 1×1 卷积层相当于在每个像素位置上对通道做一个两层的多层感知机，增加了非线性；去掉一个后参数和计算量都减少，
      但每个位置上的非线性变换变弱，训练后精度通常略有下降。
    `,
    md('q2-md')`
      ## 问答 2（2 分）

      如果用一步把 384×5×5 的表示直接压缩到 10×5×5（练习 3），可能会出现什么问题？
    `,
    answer('q2-answer', 2)`
      一层线性卷积加 ReLU 直接压缩到 10 个通道，信息瓶颈太窄，最后一层的非线性不足；ReLU 还可能把某些类别的通道整片截成 0，
      梯度消失，训练变得不稳定，精度下降。
    `,
  ],
};
