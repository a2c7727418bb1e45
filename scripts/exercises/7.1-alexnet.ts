/** Exercises 7.1 (AlexNet): output sizes, parameter and compute counts by hand, an AlexNet for 28×28 inputs. */
import { answer, commonSetup, ExerciseNotebook, md, solution, tests } from './cells';

export const alexnetExercises: ExerciseNotebook = {
  file: '7.1-alexnet-exercises.ipynb',
  cells: [
    md('intro')`
      # 7.1 深度卷积神经网络（AlexNet）：练习

      本练习由自动评分的编程题和人工评分的问答题组成。请只在标有 \`// YOUR CODE HERE\` 的单元格里作答，
      不要修改或删除其他单元格（评分时它们会被恢复为原样，改动会被记录）。每个测试单元格显示了部分检查，
      评分时还会运行隐藏的检查。所有计算都很小，整本练习在 CPU 上几秒内就能跑完。
    `,
    commonSetup(),
    md('ex1-md')`
      ## 练习 1：输出尺寸（4 分）

      卷积层和汇聚层的输出高（宽）由输入大小 $n$、核大小 $k$、步幅 $s$ 和每边的填充 $p$ 决定：
      $\lfloor (n + 2p - k)/s \rfloor + 1$。实现 \`convOut\`，并用它验证 AlexNet 第一层在 224×224 输入上输出 54×54。
    `,
    solution('ex1-solution')`
      /** Output height (or width) of a conv/pool layer: input n, kernel k, stride s, padding p on each side. */
      function convOut(n: number, k: number, s = 1, p = 0): number {
        // BEGIN SOLUTION
        return Math.floor((n + 2 * p - k) / s) + 1;
        // END SOLUTION
      }
    `,
    tests('ex1-tests', 4)`
      assert.strictEqual(convOut(224, 11, 4, 1), 54);
      assert.strictEqual(convOut(54, 3, 2), 26);
      // BEGIN HIDDEN TESTS
      // tfjs' own output-shape rule (a padded input to a 'valid' conv) gives these sizes
      d2l.check([[28, 5, 1, 2], [13, 3, 2, 0], [96, 7, 2, 3], [7, 3, 3, 1], [10, 4, 3, 0], [26, 5, 1, 2]].map(([n, k, s, p]) => convOut(n, k, s, p)),
        [28, 6, 48, 3, 3, 26]);
      // END HIDDEN TESTS
    `,
    md('ex2-md')`
      ## 练习 2：参数数量（4 分）

      实现 \`convParams\`（卷积层：输入通道、输出通道、核大小）与 \`linearParams\`（全连接层：输入、输出），都包括偏置。
      然后让 \`alexnetParams()\` 按顺序返回本章 AlexNet（单通道输入、10 类）8 个带参数的层各自的参数数量：
      5 个卷积层，再 3 个全连接层。哪一层的参数最多？
    `,
    solution('ex2-solution')`
      function convParams(inChannels: number, outChannels: number, k: number): number {
        // BEGIN SOLUTION
        return inChannels * outChannels * k * k + outChannels;
        // END SOLUTION
      }
      function linearParams(inputs: number, outputs: number): number {
        // BEGIN SOLUTION
        return inputs * outputs + outputs;
        // END SOLUTION
      }
      function alexnetParams(): number[] {
        // BEGIN SOLUTION
        return [convParams(1, 96, 11), convParams(96, 256, 5), convParams(256, 384, 3), convParams(384, 384, 3),
                convParams(384, 256, 3), linearParams(6400, 4096), linearParams(4096, 4096), linearParams(4096, 10)];
        // END SOLUTION
      }
    `,
    tests('ex2-tests', 4)`
      assert.strictEqual(convParams(1, 96, 11), 11712);
      assert.strictEqual(linearParams(4096, 10), 40970);
      assert.strictEqual(alexnetParams().length, 8);
      // BEGIN HIDDEN TESTS
      // the trainable parameters of a tfjs conv2d (3 → 5 channels, 3×3) and dense layer (7 → 4)
      d2l.check(convParams(3, 5, 3), 3 * 5 * 9 + 5);
      d2l.check(linearParams(7, 4), 7 * 4 + 4);
      d2l.check(alexnetParams().reduce((a, b) => a + b, 0), 46764746);
      d2l.check(alexnetParams().indexOf(Math.max(...alexnetParams())), 5, 'the first fully connected layer has the most parameters');
      // END HIDDEN TESTS
    `,
    md('ex3-md')`
      ## 练习 3：计算量（4 分）

      一个卷积层的乘加次数（MACs）是 $h_\text{out} \cdot w_\text{out} \cdot c_\text{out} \cdot c_\text{in} \cdot k^2$，
      全连接层是 $n_\text{in} \cdot n_\text{out}$。实现 \`convMacs\`，并让 \`alexnetMacs()\` 按练习 2 的顺序返回 AlexNet
      在一张 224×224 图像上 8 个层各自的乘加次数（卷积层的输出尺寸见书中的形状打印）。计算量最大的是哪一层？
    `,
    solution('ex3-solution')`
      function convMacs(hOut: number, wOut: number, inChannels: number, outChannels: number, k: number): number {
        // BEGIN SOLUTION
        return hOut * wOut * outChannels * inChannels * k * k;
        // END SOLUTION
      }
      function alexnetMacs(): number[] {
        // BEGIN SOLUTION
        return [convMacs(54, 54, 1, 96, 11), convMacs(26, 26, 96, 256, 5), convMacs(12, 12, 256, 384, 3),
                convMacs(12, 12, 384, 384, 3), convMacs(12, 12, 384, 256, 3), 6400 * 4096, 4096 * 4096, 4096 * 10];
        // END SOLUTION
      }
    `,
    tests('ex3-tests', 4)`
      assert.strictEqual(convMacs(54, 54, 1, 96, 11), 54 * 54 * 96 * 121);
      assert.strictEqual(alexnetMacs().length, 8);
      // BEGIN HIDDEN TESTS
      d2l.check(alexnetMacs(), [54 * 54 * 96 * 1 * 121, 26 * 26 * 256 * 96 * 25, 12 * 12 * 384 * 256 * 9, 12 * 12 * 384 * 384 * 9,
        12 * 12 * 256 * 384 * 9, 6400 * 4096, 4096 * 4096, 4096 * 10]);
      d2l.check(alexnetMacs().indexOf(Math.max(...alexnetMacs())), 1, 'the second conv layer dominates the computation');
      // END HIDDEN TESTS
    `,
    md('ex4-md')`
      ## 练习 4：为 28×28 输入设计的简化 AlexNet（4 分）

      AlexNet 对 Fashion-MNIST 来说过于复杂。实现 \`smallAlexNet()\`：直接接受 28×28×1 的输入（不放大图像），
      输出 10 个类别的 logits；至少包含 3 个卷积层和一个暂退（dropout）层，可训练参数少于 100 万个。
      （不要求在这里训练它；有兴趣可以用 \`d2l.trainCh6\` 试一试。）
    `,
    solution('ex4-solution')`
      function smallAlexNet(): tf.Sequential {
        // BEGIN SOLUTION
        return tf.sequential({ layers: [
          tf.layers.conv2d({ inputShape: [28, 28, 1], filters: 32, kernelSize: 3, padding: 'same', activation: 'relu' }),
          tf.layers.maxPooling2d({ poolSize: 2, strides: 2 }),
          tf.layers.conv2d({ filters: 64, kernelSize: 3, padding: 'same', activation: 'relu' }),
          tf.layers.maxPooling2d({ poolSize: 2, strides: 2 }),
          tf.layers.conv2d({ filters: 64, kernelSize: 3, padding: 'same', activation: 'relu' }),
          tf.layers.maxPooling2d({ poolSize: 2, strides: 2 }),
          tf.layers.flatten(),
          tf.layers.dense({ units: 256, activation: 'relu' }),
          tf.layers.dropout({ rate: 0.5 }),
          tf.layers.dense({ units: 10 })] });
        // END SOLUTION
      }
    `,
    tests('ex4-tests', 4)`
      const small = smallAlexNet();
      const out = small.predict(tf.zeros([2, 28, 28, 1])) as tf.Tensor;
      assert.deepStrictEqual(out.shape, [2, 10]);
      // BEGIN HIDDEN TESTS
      d2l.check(small.layers.filter((l) => l.getClassName() === 'Conv2D').length >= 3, true, 'at least 3 conv layers');
      d2l.check(small.layers.some((l) => l.getClassName() === 'Dropout'), true, 'a dropout layer');
      d2l.check(trainableParams(small) < 1e6, true, 'fewer than 1,000,000 parameters');
      d2l.check(Array.from(out.dataSync()).every(Number.isFinite), true, 'finite logits');
      // END HIDDEN TESTS
      tf.dispose(out);
    `,
    md('q1-md')`
      ## 问答 1（2 分）

      把 AlexNet 训练更多轮次。和 LeNet 相比，结果有什么不同？为什么？
    `,
    answer('q1-answer', 2)`
      AlexNet 的训练精度会继续上升、测试精度提升得更慢，过拟合比 LeNet 更明显：它有约 4,680 万个参数（LeNet 约 4.4 万），
      容量大得多，而 Fashion-MNIST 只有 6 万张小图；暂退法缓解但不能消除这一点。另一方面，更深的卷积层和 ReLU 让它的
      特征表达能力更强，所以在足够的轮次后测试精度通常高于 LeNet，代价是每轮的计算量大几百倍。
    `,
    md('q2-md')`
      ## 问答 2（2 分）

      分析 AlexNet 的资源占用：显存（内存）主要被什么占用？内存带宽又受什么影响？（可以引用练习 2 和练习 3 的结果。）
    `,
    answer('q2-answer', 2)`
      参数主要在全连接层（第一个全连接层就有 2,620 万个参数，约占 56%），而计算主要在卷积层（第二个卷积层的乘加次数最多）。
      训练时内存还被各层的激活值（反向传播要保存）和优化器状态占用，批量越大激活越多。全连接层每个参数只参与一次乘加，
      读取权重的带宽成为瓶颈；卷积层的权重被大量复用，更受算力限制。
    `,
    md('q3-md')`
      ## 问答 3（2 分）

      修改批量大小，观察模型精度和显存（内存）的变化，并解释。
    `,
    answer('q3-answer', 2)`
      批量越大，每一步需要保存的激活值越多，内存占用大致随批量线性增长（参数占用不变）；每轮的更新步数减少，
      在学习率不变时收敛会变慢、精度可能略降，需要相应调大学习率。批量太小则梯度噪声大、硬件利用率低。
    `,
  ],
};
