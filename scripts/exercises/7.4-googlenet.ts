/** Exercises 7.4 (GoogLeNet): Inception parameter counts, the minimum input size, label smoothing. */
import { answer, commonSetup, ExerciseNotebook, md, solution, tests } from './cells';

export const googlenetExercises: ExerciseNotebook = {
  file: '7.4-googlenet-exercises.ipynb',
  cells: [
    md('intro')`
      # 7.4 含并行连结的网络（GoogLeNet）：练习

      请只在标有 \`// YOUR CODE HERE\` 的单元格里作答；其他单元格在评分时会被恢复。评分时还会运行隐藏的检查。
    `,
    commonSetup(),
    md('ex1-md')`
      ## 练习 1：Inception 块的参数（4 分）

      实现 \`inceptionParams(inChannels, c1, c2, c3, c4)\`：书中 Inception 块四条路径上所有卷积层的参数（含偏置）。
      路径 1 是 1×1 卷积；路径 2 是 1×1 卷积接 3×3 卷积；路径 3 是 1×1 卷积接 5×5 卷积；路径 4 是 3×3 最大汇聚接 1×1 卷积。
    `,
    solution('ex1-solution')`
      function inceptionParams(inChannels: number, c1: number, c2: [number, number], c3: [number, number], c4: number): number {
        // BEGIN SOLUTION
        const conv = (i: number, o: number, k: number) => i * o * k * k + o;
        return conv(inChannels, c1, 1)
          + conv(inChannels, c2[0], 1) + conv(c2[0], c2[1], 3)
          + conv(inChannels, c3[0], 1) + conv(c3[0], c3[1], 5)
          + conv(inChannels, c4, 1);
        // END SOLUTION
      }
    `,
    tests('ex1-tests', 4)`
      {
        // the library's Inception block, built on a symbolic input (no data, no training)
        const blk = new d2l.Inception(8, [4, 8], [2, 4], 4);
        blk.apply(tf.input({ shape: [6, 6, 12] }));
        assert.strictEqual(inceptionParams(12, 8, [4, 8], [2, 4], 4), trainableParams(blk));
      }
      // BEGIN HIDDEN TESTS
      // GoogLeNet's nine Inception blocks: b3 552,432 + b4 2,809,168 + b5 2,487,536 parameters
      d2l.check([[192, 64, [96, 128], [16, 32], 32], [256, 128, [128, 192], [32, 96], 64],
        [480, 192, [96, 208], [16, 48], 64], [512, 160, [112, 224], [24, 64], 64], [512, 128, [128, 256], [24, 64], 64],
        [512, 112, [144, 288], [32, 64], 64], [528, 256, [160, 320], [32, 128], 128],
        [832, 256, [160, 320], [32, 128], 128], [832, 384, [192, 384], [48, 128], 128]]
        .reduce((n, [i, a, b, c, d]) => n + inceptionParams(i as number, a as number, b as [number, number], c as [number, number], d as number), 0),
        552432 + 2809168 + 2487536);
      // what d2l.Inception(3, [5, 7], [1, 2], 6) has on 9 input channels
      d2l.check(inceptionParams(9, 3, [5, 7], [1, 2], 6), 524);
      // END HIDDEN TESTS
    `,
    md('ex2-md')`
      ## 练习 2：GoogLeNet 能接受的最小输入（4 分）

      实现 \`googlenetSize(n)\`：边长为 $n$ 的输入经过 b1 到 b5 之后（全局平均汇聚之前）特征图的边长
      （规则 $\lfloor (n + 2p - k)/s \rfloor + 1$；Inception 块不改变高宽）。然后给出 \`minGooglenetInput()\`：
      所有层的输出都至少为 1×1 的最小输入边长。
    `,
    solution('ex2-solution')`
      function googlenetSize(n: number): number {
        // BEGIN SOLUTION
        const out = (m: number, k: number, s: number, p: number) => Math.floor((m + 2 * p - k) / s) + 1;
        let m = out(n, 7, 2, 3);          // b1: 7×7 conv, stride 2
        m = out(m, 3, 2, 1);              // b1: max pool
        m = out(m, 3, 2, 1);              // b2: max pool (its convs keep the size)
        m = out(m, 3, 2, 1);              // b3: max pool
        m = out(m, 3, 2, 1);              // b4: max pool
        return m;
        // END SOLUTION
      }
      function minGooglenetInput(): number {
        // BEGIN SOLUTION
        // Every stage pads enough that even a 1×1 input survives: ⌊(1 + 6 − 7)/2⌋ + 1 = 1, ⌊(1 + 2 − 3)/2⌋ + 1 = 1.
        let n = 1;
        while (googlenetSize(n) < 1) n++;
        return n;
        // END SOLUTION
      }
    `,
    tests('ex2-tests', 4)`
      assert.strictEqual(googlenetSize(96), 3);
      assert.strictEqual(googlenetSize(224), 7);
      // BEGIN HIDDEN TESTS
      d2l.check(minGooglenetInput(), 1);
      d2l.check([1, 2, 5, 31, 32, 33, 100].map((n) => googlenetSize(n)), [1, 1, 1, 1, 1, 2, 4]);
      // END HIDDEN TESTS
    `,
    md('ex3-md')`
      ## 练习 3：标签平滑（3 分）

      Inception v3 使用标签平滑：把独热标签换成 $(1-\varepsilon)\,\mathbf{y} + \varepsilon/K$（$K$ 为类别数）。
      实现 \`smoothLabels(y, numClasses, eps)\`，输入整数标签（一维张量），返回形状为 (批量, 类别数) 的平滑标签。
    `,
    solution('ex3-solution')`
      function smoothLabels(y: tf.Tensor1D, numClasses: number, eps: number): tf.Tensor2D {
        // BEGIN SOLUTION
        return tf.tidy(() => tf.oneHot(y.toInt(), numClasses).toFloat().mul(1 - eps).add(eps / numClasses) as tf.Tensor2D);
        // END SOLUTION
      }
    `,
    tests('ex3-tests', 3)`
      {
        const s = smoothLabels(tf.tensor1d([0, 2], 'int32'), 3, 0.3);
        assert.deepStrictEqual(s.shape, [2, 3]);
        assertClose(s.sum().arraySync() as number, 2, 1e-5, 'each row sums to 1');
        tf.dispose(s);
      }
      // BEGIN HIDDEN TESTS
      d2l.checkClose(smoothLabels(tf.tensor1d([1, 0, 3, 3, 2], 'int32'), 4, 0.1),
        [[0.025, 0.925, 0.025, 0.025], [0.925, 0.025, 0.025, 0.025], [0.025, 0.025, 0.025, 0.925], [0.025, 0.025, 0.025, 0.925], [0.025, 0.025, 0.925, 0.025]],
        { tol: 1e-6 });
      // tfjs' own label smoothing in softmaxCrossEntropy gives 0.8734578 on these logits
      d2l.checkClose(tf.losses.softmaxCrossEntropy(smoothLabels(tf.tensor1d([1, 0, 3, 3, 2], 'int32'), 4, 0.1),
        tf.tensor2d([[1, 2, 0, -1], [0.5, 0, 0, 0], [2, 2, 1, 3], [0, 0, 0, 0], [-1, 1, 2, 0]])), 0.8734578, { tol: 1e-5 });
      d2l.check(smoothLabels(tf.tensor1d([1, 0, 3], 'int32'), 4, 0), [[0, 1, 0, 0], [1, 0, 0, 0], [0, 0, 0, 1]]);
      // END HIDDEN TESTS
    `,
    md('q1-md')`
      ## 问答 1（2 分）

      比较 AlexNet（约 4,680 万）、VGG-11（约 1.29 亿）、NiN（约 199 万）和 GoogLeNet（约 598 万）的参数数量。
      后两者为什么能大大减少参数？
    `,
    answer('q1-answer', 2)`
      AlexNet 和 VGG 的大部分参数在最后的全连接层里；NiN 和 GoogLeNet 用全局平均汇聚代替了这些大全连接层（NiN 完全没有全连接层，
      GoogLeNet 只有 1024 → 10 一层）。此外，GoogLeNet 在 3×3 和 5×5 卷积之前先用 1×1 卷积减少通道数，卷积本身的参数也更少。
    `,
    md('q2-md')`
      ## 问答 2（2 分）

      练习 2 说明很小的输入也能通过 GoogLeNet。这样的输入在实践中有意义吗？什么决定了实际可用的最小输入尺寸？
    `,
    answer('q2-answer', 2)`
      形状上可以，但在 1×1 或很小的输入上，多数卷积窗口只覆盖填充的 0，深层特征图只剩 1×1，感受野远大于图像，
      无法学到有用的空间结构。实际的下限取决于任务：需要在最后的特征图上还保留足够的空间信息（如书中 96×96 得到 3×3）。
    `,
  ],
};
