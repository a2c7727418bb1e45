/** Exercises 7.5 (batch normalization): training-mode BN, dropping the bias before BN, moving averages. */
import { answer, commonSetup, ExerciseNotebook, md, solution, tests } from './cells';

export const batchNormExercises: ExerciseNotebook = {
  file: '7.5-batch-norm-exercises.ipynb',
  cells: [
    md('intro')`
      # 7.5 批量规范化：练习

      请只在标有 \`// YOUR CODE HERE\` 的单元格里作答；其他单元格在评分时会被恢复。评分时还会运行隐藏的检查。
    `,
    commonSetup(),
    md('ex1-md')`
      ## 练习 1：训练模式下的批量规范化（4 分）

      实现 \`bnTrain(X, eps)\`：对二维输入（批量, 特征）按特征做训练模式的批量规范化，$\gamma = 1$、$\beta = 0$，
      方差用有偏估计（除以批量大小）。然后验证：在批量规范化之前给每个特征加上任意偏置 $b$，输出不变。
    `,
    solution('ex1-solution')`
      function bnTrain(X: tf.Tensor2D, eps = 1e-5): tf.Tensor2D {
        // BEGIN SOLUTION
        return tf.tidy(() => {
          const mean = X.mean(0);
          const variance = X.sub(mean).square().mean(0);
          return X.sub(mean).div(variance.add(eps).sqrt()) as tf.Tensor2D;
        });
        // END SOLUTION
      }
    `,
    tests('ex1-tests', 4)`
      {
        const X = tf.tensor2d([[1, 2], [3, 6], [5, 1], [7, 3]]);
        const Y = bnTrain(X);
        assert.deepStrictEqual(Y.shape, [4, 2]);
        const m = tf.moments(Y, 0);
        (m.mean.arraySync() as number[]).forEach((v) => assertClose(v, 0, 1e-5, 'mean'));
        (m.variance.arraySync() as number[]).forEach((v) => assertClose(v, 1, 1e-3, 'variance'));
        tf.dispose([X, Y, m.mean, m.variance]);
      }
      // BEGIN HIDDEN TESTS
      // d2l.batchNorm in training mode gives these values; a bias added before BN changes nothing
      d2l.checkClose(bnTrain(tf.tensor2d([[0.5, -1, 2], [1.5, 0, 2.5], [-2, 4, 1], [0, 1, -3], [3, 2, 0]])),
        [[-0.060412, -1.278722, 0.769483], [0.543709, -0.697485, 1.025977], [-1.570715, 1.627464, 0.256494],
          [-0.362473, -0.116247, -1.79546], [1.44989, 0.46499, -0.256494]]);
      d2l.checkClose(bnTrain(tf.tensor2d([[0.5, -1, 2], [1.5, 0, 2.5], [-2, 4, 1], [0, 1, -3], [3, 2, 0]]).add(tf.tensor1d([10, -7, 0.25])) as tf.Tensor2D),
        [[-0.060412, -1.278722, 0.769483], [0.543709, -0.697485, 1.025977], [-1.570715, 1.627464, 0.256494],
          [-0.362473, -0.116247, -1.79546], [1.44989, 0.46499, -0.256494]]);
      // END HIDDEN TESTS
    `,
    md('ex2-md')`
      ## 练习 2：去掉批量规范化之前的偏置（3 分）

      练习 1 说明，批量规范化之前的卷积层或全连接层的偏置是多余的（$\beta$ 起同样的作用）。书中带批量规范化的 LeNet
      有 44,878 个参数。实现 \`lenetBNParams(biasBeforeBN)\`：\`true\` 时按书中的网络计算，\`false\` 时去掉批量规范化层
      之前 4 个层的偏置（最后一个全连接层后面没有批量规范化，保留偏置）。
    `,
    solution('ex2-solution')`
      function lenetBNParams(biasBeforeBN: boolean): number {
        // BEGIN SOLUTION
        const b = biasBeforeBN ? 1 : 0;
        const conv1 = 1 * 6 * 25 + 6 * b, conv2 = 6 * 16 * 25 + 16 * b;
        const fc1 = 256 * 120 + 120 * b, fc2 = 120 * 84 + 84 * b, fc3 = 84 * 10 + 10;
        const bn = 2 * (6 + 16 + 120 + 84);
        return conv1 + conv2 + fc1 + fc2 + fc3 + bn;
        // END SOLUTION
      }
    `,
    tests('ex2-tests', 3)`
      assert.strictEqual(lenetBNParams(true), 44878);
      // BEGIN HIDDEN TESTS
      // the same LeNet built with tfjs layers without the biases has 44,652 trainable parameters
      d2l.check(lenetBNParams(false), 44652);
      // END HIDDEN TESTS
    `,
    md('ex3-md')`
      ## 练习 3：移动平均（3 分）

      预测时批量规范化使用训练中累积的移动平均。书中的更新规则是
      $\hat\mu \leftarrow m\,\hat\mu + (1-m)\,\mu_\text{batch}$，动量 $m = 0.9$，初值 $\hat\mu = 0$。
      实现 \`movingMean(batchMeans, momentum)\`：依次用每个批量的均值更新后得到的移动平均。
    `,
    solution('ex3-solution')`
      function movingMean(batchMeans: number[], momentum = 0.9): number {
        // BEGIN SOLUTION
        return batchMeans.reduce((avg, m) => momentum * avg + (1 - momentum) * m, 0);
        // END SOLUTION
      }
    `,
    tests('ex3-tests', 3)`
      assertClose(movingMean([1]), 0.1, 1e-9, 'one step from 0');
      assertClose(movingMean([]), 0, 1e-9, 'no steps');
      // BEGIN HIDDEN TESTS
      // d2l.batchNorm in training mode, run on batches whose means are 2, -1, 0.5, 4, 3, ends at this moving mean
      d2l.checkClose(movingMean([2, -1, 0.5, 4, 3], 0.9), 0.75882, { tol: 1e-5 });
      d2l.checkClose(movingMean([3, 3, 3], 0.5), 3 * (1 - 0.125), { tol: 1e-9 });
      // END HIDDEN TESTS
    `,
    md('q1-md')`
      ## 问答 1（2 分）

      能把批量规范化之前的全连接层或卷积层的偏置删去吗？为什么？（练习 1、练习 2）
    `,
    answer('q1-answer', 2)`
      可以。训练模式下批量规范化先减去批量均值，任何加到每个特征（通道）上的常数偏置都会被减掉，对输出和梯度都没有影响；
      而 $\beta$ 提供了同样的平移能力。去掉偏置可以省下参数和一点计算，结果不变。
    `,
    md('q2-md')`
      ## 问答 2（2 分）

      批量规范化能替代暂退法吗？固定 $\gamma$ 和 $\beta$ 不学习时又会怎样？
    `,
    answer('q2-answer', 2)`
      批量规范化在训练时用小批量的统计量引入了噪声，有一定的正则化效果，所以加了它的网络常常可以减少或去掉暂退法；
      但这种效果依赖批量大小，并不能在所有情况下替代暂退法。固定 $\gamma = 1$、$\beta = 0$ 时，每层的输出被强制为均值 0、
      方差 1，网络失去了恢复原有尺度和偏移的能力（例如 sigmoid 只能工作在接近线性的区域），精度通常会下降，但仍能训练。
    `,
  ],
};
