/** Exercises 7.7 (DenseNet): channel flow, parameter counts of DenseNet variants, a DenseNet-B conv block. */
import { answer, commonSetup, ExerciseNotebook, md, solution, tests } from './cells';

export const densenetExercises: ExerciseNotebook = {
  file: '7.7-densenet-exercises.ipynb',
  cells: [
    md('intro')`
      # 7.7 稠密连接网络（DenseNet）：练习

      请只在标有 \`// YOUR CODE HERE\` 的单元格里作答；其他单元格在评分时会被恢复。评分时还会运行隐藏的检查。
    `,
    commonSetup(),
    md('ex1-md')`
      ## 练习 1：通道数的变化（3 分）

      实现 \`denseChannels(numConvs, growthRate, init)\`：按书中 DenseNet 的结构（每个稠密块把通道数增加
      卷积层数 × 增长率；除最后一个稠密块外，每个稠密块后接一个把通道数减半的过渡层），依次返回每个稠密块和每个过渡层
      之后的通道数。书中的设置 \`[4, 4, 4, 4]\`、增长率 32、初始 64 通道得到 \`[192, 96, 224, 112, 240, 120, 248]\`。
    `,
    solution('ex1-solution')`
      function denseChannels(numConvs: number[], growthRate: number, init = 64): number[] {
        // BEGIN SOLUTION
        const out: number[] = [];
        let c = init;
        numConvs.forEach((n, i) => {
          c += n * growthRate;
          out.push(c);
          if (i < numConvs.length - 1) { c = Math.floor(c / 2); out.push(c); }
        });
        return out;
        // END SOLUTION
      }
    `,
    tests('ex1-tests', 3)`
      assert.deepStrictEqual(denseChannels([4, 4, 4, 4], 32), [192, 96, 224, 112, 240, 120, 248]);
      // BEGIN HIDDEN TESTS
      d2l.check(denseChannels([6, 12, 24, 16], 32), [256, 128, 512, 256, 1024, 512, 1024]);
      // d2l.DenseBlock(2, 10) turns 3 channels into 23
      d2l.check(denseChannels([2], 10, 3), [23]);
      // END HIDDEN TESTS
    `,
    md('ex2-md')`
      ## 练习 2：DenseNet 论文表 1 中的其他版本（4 分）

      实现 \`densenetParams(numConvs, growthRate)\`：按书中的 DenseNet（单通道输入；主干为 7×7 卷积 64 通道 + BN；
      卷积块为 BN → ReLU → 3×3 卷积；过渡层为 BN → ReLU → 1×1 卷积 → 2×2 平均汇聚；最后是 BN、全局平均汇聚和 10 类全连接层）
      计算参数总数。书中的网络（\`[4, 4, 4, 4]\`，增长率 32）有 758,226 个参数。把稠密块换成 DenseNet-121 的
      \`[6, 12, 24, 16]\`（仍用书中不带瓶颈层的卷积块）时有多少个参数？
    `,
    solution('ex2-solution')`
      function densenetParams(numConvs: number[], growthRate: number): number {
        // BEGIN SOLUTION
        const conv = (i: number, o: number, k: number) => i * o * k * k + o;
        let total = conv(1, 64, 7) + 2 * 64;
        let c = 64;
        numConvs.forEach((n, i) => {
          for (let j = 0; j < n; j++) { total += 2 * c + conv(c, growthRate, 3); c += growthRate; }
          if (i < numConvs.length - 1) { total += 2 * c + conv(c, Math.floor(c / 2), 1); c = Math.floor(c / 2); }
        });
        return total + 2 * c + c * 10 + 10;
        // END SOLUTION
      }
    `,
    tests('ex2-tests', 4)`
      assert.strictEqual(densenetParams([4, 4, 4, 4], 32), 758226);
      // BEGIN HIDDEN TESTS
      d2l.check(densenetParams([6, 12, 24, 16], 32), 9850890);
      // one more conv block in the last dense block: BN over 248 channels + a 248 → 32 conv, and the head grows
      d2l.check(densenetParams([4, 4, 4, 5], 32) - densenetParams([4, 4, 4, 4], 32), 2 * 248 + 248 * 32 * 9 + 32 + 2 * 32 + 32 * 10);
      // END HIDDEN TESTS
    `,
    md('ex3-md')`
      ## 练习 3：带瓶颈层的卷积块（DenseNet-B，3 分）

      DenseNet-121 的卷积块在 3×3 卷积前先用 1×1 卷积把通道数降到 4 倍增长率。实现
      \`bottleneckConvBlock(inChannels, growthRate)\`，返回一个 \`tf.Sequential\`：
      BN → ReLU → 1×1 卷积（4 × growthRate 通道）→ BN → ReLU → 3×3 卷积（growthRate 通道，\`'same'\` 填充）。
      第一层用 \`inputShape: [null, null, inChannels]\`。
    `,
    solution('ex3-solution')`
      function bottleneckConvBlock(inChannels: number, growthRate: number): tf.Sequential {
        // BEGIN SOLUTION
        return tf.sequential({ layers: [
          tf.layers.batchNormalization({ inputShape: [null, null, inChannels] }), tf.layers.reLU(),
          tf.layers.conv2d({ filters: 4 * growthRate, kernelSize: 1 }),
          tf.layers.batchNormalization(), tf.layers.reLU(),
          tf.layers.conv2d({ filters: growthRate, kernelSize: 3, padding: 'same' })] });
        // END SOLUTION
      }
    `,
    tests('ex3-tests', 3)`
      const bneck = bottleneckConvBlock(16, 4);
      const yb = bneck.predict(tf.zeros([2, 8, 8, 16])) as tf.Tensor;
      assert.deepStrictEqual(yb.shape, [2, 8, 8, 4]);
      tf.dispose(yb);
      // BEGIN HIDDEN TESTS
      d2l.check(trainableParams(bneck), 2 * 16 + (16 * 16 + 16) + 2 * 16 + (16 * 4 * 9 + 4));
      d2l.check(trainableParams(bottleneckConvBlock(64, 32)), 2 * 64 + (64 * 128 + 128) + 2 * 128 + (128 * 32 * 9 + 32));
      d2l.check(bottleneckConvBlock(64, 32).layers.map((l) => l.getClassName()), ['BatchNormalization', 'ReLU', 'Conv2D', 'BatchNormalization', 'ReLU', 'Conv2D']);
      // END HIDDEN TESTS
    `,
    md('q1-md')`
      ## 问答 1（2 分）

      为什么过渡层使用平均汇聚层而不是最大汇聚层？
    `,
    answer('q1-answer', 2)`
      过渡层的作用是压缩通道并平滑地降低分辨率，平均汇聚让每个位置的特征都参与下采样，保留了稠密连接传下来的全部特征信息，
      梯度也均匀地回传到所有位置；最大汇聚只保留窗口中的最大值，会丢掉被连结进来的早期特征中的大部分信息。
    `,
    md('q2-md')`
      ## 问答 2（2 分）

      为什么 DenseNet 的参数比 ResNet 少得多？它被批评占用内存多，这是真的吗？
    `,
    answer('q2-answer', 2)`
      DenseNet 的每个卷积层只输出少量（增长率个）通道，后面的层通过连结复用前面所有层的特征，不需要每层都有宽通道；
      过渡层再把通道数减半。而 ResNet 每个 3×3 卷积都是宽通道（最多 512 → 512）。不过连结使特征图越来越宽，
      每个卷积块的输入都要保存下来用于反向传播，激活占用的内存确实大（可用共享内存、重计算等方法缓解）。
    `,
  ],
};
