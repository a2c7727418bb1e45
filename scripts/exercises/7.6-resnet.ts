/** Exercises 7.6 (ResNet): pre-activation and bottleneck residual blocks, ResNet-34's parameter count. */
import { answer, commonSetup, ExerciseNotebook, md, setup, solution, tests } from './cells';

export const resnetExercises: ExerciseNotebook = {
  file: '7.6-resnet-exercises.ipynb',
  cells: [
    md('intro')`
      # 7.6 残差网络（ResNet）：练习

      请只在标有 \`// YOUR CODE HERE\` 的单元格里作答；其他单元格在评分时会被恢复。评分时还会运行隐藏的检查。
      本练习用 tfjs 的函数式 API 搭建残差块：块是一个函数，接收一个符号张量，返回一个符号张量；
      下面的 \`blockModel\` 把它包装成一个模型以便检查形状和参数。卷积层都带偏置（与书中一致），
      批量规范化用 \`tf.layers.batchNormalization()\`（可训练参数为 $\gamma$ 和 $\beta$）。
    `,
    commonSetup(),
    setup('helpers')`
      /** Wraps a block function into a model with input shape [h, w, c]. */
      function blockModel(block: (x: tf.SymbolicTensor) => tf.SymbolicTensor, shape: [number, number, number]): tf.LayersModel {
        const input = tf.input({ shape: shape });
        return tf.model({ inputs: input, outputs: block(input) });
      }
    `,
    md('ex1-md')`
      ## 练习 1：“预激活”残差块（4 分）

      He 等人（2016b）把残差块内部的顺序改成“批量规范化、激活、卷积”。实现 \`preActResidual(x, numChannels)\`：
      残差分支为 BN → ReLU → 3×3 卷积 → BN → ReLU → 3×3 卷积（\`'same'\` 填充），再与输入 \`x\` 相加；
      相加之后**不再**接 ReLU。这里输入和输出通道数相同，不需要 1×1 卷积。
    `,
    solution('ex1-solution')`
      function preActResidual(x: tf.SymbolicTensor, numChannels: number): tf.SymbolicTensor {
        // BEGIN SOLUTION
        let y = tf.layers.batchNormalization().apply(x) as tf.SymbolicTensor;
        y = tf.layers.reLU().apply(y) as tf.SymbolicTensor;
        y = tf.layers.conv2d({ filters: numChannels, kernelSize: 3, padding: 'same' }).apply(y) as tf.SymbolicTensor;
        y = tf.layers.batchNormalization().apply(y) as tf.SymbolicTensor;
        y = tf.layers.reLU().apply(y) as tf.SymbolicTensor;
        y = tf.layers.conv2d({ filters: numChannels, kernelSize: 3, padding: 'same' }).apply(y) as tf.SymbolicTensor;
        return tf.layers.add().apply([x, y]) as tf.SymbolicTensor;
        // END SOLUTION
      }
    `,
    tests('ex1-tests', 4)`
      const pre = blockModel((x) => preActResidual(x, 3), [6, 6, 3]);
      assert.deepStrictEqual(pre.outputs[0].shape, [null, 6, 6, 3]);
      assert.strictEqual(trainableParams(pre), 180);
      // BEGIN HIDDEN TESTS
      d2l.check(pre.layers.map((l) => l.getClassName()).filter((k) => k !== 'InputLayer')[0], 'BatchNormalization', 'the block starts with batch normalization');
      // with zero conv weights the residual branch is 0, so the block is exactly the identity (no final ReLU)
      d2l.checkClose((() => {
        for (const l of pre.layers) if (l.getClassName() === 'Conv2D') l.setWeights(l.getWeights().map((w) => tf.zerosLike(w)));
        const X = tf.tensor4d(Array.from({ length: 2 * 6 * 6 * 3 }, (_, i) => Math.sin(i)), [2, 6, 6, 3]);
        return (pre.predict(X) as tf.Tensor).sub(X).abs().max();
      })(), 0, { tol: 1e-6, message: 'identity when the branch is zero' });
      // END HIDDEN TESTS
    `,
    md('ex2-md')`
      ## 练习 2：“瓶颈”残差块（4 分）

      更深的 ResNet（50 层及以上）使用瓶颈块。实现 \`bottleneck(x, midChannels, outChannels, strides)\`：
      残差分支为 1×1 卷积（midChannels）→ BN → ReLU → 3×3 卷积（midChannels，步幅 \`strides\`，\`'same'\` 填充）→ BN → ReLU
      → 1×1 卷积（outChannels）→ BN；当输入通道数不等于 outChannels 或步幅不为 1 时，捷径上用步幅为 \`strides\` 的
      1×1 卷积（与书中 \`Residual\` 一样，不加 BN），否则捷径就是输入本身；相加后接 ReLU。
    `,
    solution('ex2-solution')`
      function bottleneck(x: tf.SymbolicTensor, midChannels: number, outChannels: number, strides = 1): tf.SymbolicTensor {
        // BEGIN SOLUTION
        const conv = (filters: number, k: number, s: number) => tf.layers.conv2d({ filters: filters, kernelSize: k, strides: s, padding: 'same' });
        const bnRelu = (t: tf.SymbolicTensor) =>
          tf.layers.reLU().apply(tf.layers.batchNormalization().apply(t)) as tf.SymbolicTensor;
        let y = bnRelu(conv(midChannels, 1, 1).apply(x) as tf.SymbolicTensor);
        y = bnRelu(conv(midChannels, 3, strides).apply(y) as tf.SymbolicTensor);
        y = tf.layers.batchNormalization().apply(conv(outChannels, 1, 1).apply(y)) as tf.SymbolicTensor;
        const inChannels = x.shape[x.shape.length - 1];
        const shortcut = inChannels !== outChannels || strides !== 1
          ? conv(outChannels, 1, strides).apply(x) as tf.SymbolicTensor : x;
        return tf.layers.reLU().apply(tf.layers.add().apply([shortcut, y])) as tf.SymbolicTensor;
        // END SOLUTION
      }
    `,
    tests('ex2-tests', 4)`
      const neck = blockModel((x) => bottleneck(x, 16, 64), [8, 8, 64]);
      assert.deepStrictEqual(neck.outputs[0].shape, [null, 8, 8, 64]);
      // BEGIN HIDDEN TESTS
      d2l.check(trainableParams(neck), 64 * 16 + 16 + 16 * 16 * 9 + 16 + 16 * 64 + 64 + 2 * (16 + 16 + 64));
      d2l.checkShape(blockModel((x) => bottleneck(x, 16, 128, 2), [8, 8, 64]).outputs[0], [null, 4, 4, 128]);
      d2l.check(trainableParams(blockModel((x) => bottleneck(x, 16, 128, 2), [8, 8, 64])),
        64 * 16 + 16 + 16 * 16 * 9 + 16 + 16 * 128 + 128 + 2 * (16 + 16 + 128) + 64 * 128 + 128);
      d2l.check(((blockModel((x) => bottleneck(x, 16, 128, 2), [8, 8, 64]).predict(tf.ones([1, 8, 8, 64])) as tf.Tensor).min().arraySync() as number) >= 0,
        true, 'the block ends with a ReLU');
      // END HIDDEN TESTS
    `,
    md('ex3-md')`
      ## 练习 3：ResNet 论文表 1 中的其他变体（3 分）

      用书中的残差块（两个 3×3 卷积，各接 BN；变换形状时捷径用 1×1 卷积）和书中 ResNet-18 的其余部分
      （单通道输入、7×7 卷积主干、4 个模块的通道数 64/128/256/512、全局平均汇聚、10 类全连接层），
      实现 \`resnetParams(blocks)\`：每个模块的残差块个数为 \`blocks\` 时网络的参数总数。
      ResNet-18 是 \`[2, 2, 2, 2]\`（11,178,378 个参数），ResNet-34 是 \`[3, 4, 6, 3]\`。
    `,
    solution('ex3-solution')`
      function resnetParams(blocks: number[]): number {
        // BEGIN SOLUTION
        const conv = (i: number, o: number, k: number) => i * o * k * k + o;
        const residual = (i: number, o: number, use1x1: boolean) =>
          conv(i, o, 3) + conv(o, o, 3) + 4 * o + (use1x1 ? conv(i, o, 1) : 0);
        const channels = [64, 128, 256, 512];
        let total = conv(1, 64, 7) + 2 * 64;
        let prev = 64;
        blocks.forEach((n, stage) => {
          const c = channels[stage];
          for (let i = 0; i < n; i++) total += i === 0 && stage > 0 ? residual(prev, c, true) : residual(c, c, false);
          prev = c;
        });
        return total + 512 * 10 + 10;
        // END SOLUTION
      }
    `,
    tests('ex3-tests', 3)`
      assert.strictEqual(resnetParams([2, 2, 2, 2]), 11178378);
      // BEGIN HIDDEN TESTS
      d2l.check(resnetParams([3, 4, 6, 3]), 21290250);
      // one more basic block in the last stage adds exactly two 512-channel convs and two BNs
      d2l.check(resnetParams([2, 2, 2, 3]) - resnetParams([2, 2, 2, 2]), 2 * (512 * 512 * 9 + 512) + 4 * 512);
      // END HIDDEN TESTS
    `,
    md('q1-md')`
      ## 问答 1（2 分）

      Inception 块与残差块的主要区别是什么？删除 Inception 块的一些路径之后，它们之间有什么关系？
    `,
    answer('q1-answer', 2)`
      Inception 块把几条不同感受野的并行路径的输出在通道维上连结；残差块只有一条卷积路径，再把输入（恒等捷径）按元素加到输出上。
      如果只保留 Inception 的一条 3×3 路径，再加一条“什么都不做”的路径，并把连结换成相加，就得到了残差块：
      残差块可以看作只有两条路径（其中一条是恒等映射）且用加法合并的 Inception 块。
    `,
    md('q2-md')`
      ## 问答 2（2 分）

      即使函数类是嵌套的，为什么也需要限制函数复杂度的增长？
    `,
    answer('q2-answer', 2)`
      嵌套只保证更大的函数类不会让最优解变差，但更大的函数类需要更多数据和计算才能找到好的解，也更容易过拟合；
      优化也更难（训练不一定能找到更大函数类中更好的函数）。限制复杂度的增长（例如让新层容易学成恒等映射）使加深网络
      在实践中稳定地带来收益。
    `,
  ],
};
