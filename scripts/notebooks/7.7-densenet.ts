/** Notebook 7.7: DenseNet — concatenation instead of addition, dense blocks, transition layers. */
import { NotebookSpec, code, md, region } from './cells';
import {
  dataCell, exercisesCell, importCells, parameterCells, reportCell, scopeCell, trainCell,
} from './common';

const file = '7.7-densenet.ipynb';

export const densenetNotebook: NotebookSpec = {
  file,
  section: '7.7',
  cells: [
    md`
      # 7.7 稠密连接网络（DenseNet）

      ResNet 极大地改变了参数化深层网络中函数的方式。稠密连接网络（DenseNet，Huang 等人，2017）在某种程度上是
      ResNet 的逻辑延伸：它不再把输入和输出**相加**，而是把它们**连结**起来。
    `,
    ...importCells(),
    md`
      ## 7.7.1 从 ResNet 到 DenseNet

      回忆一下任意函数的泰勒展开：

      $$f(x) = f(0) + f'(0) x + \frac{f''(0)}{2!} x^2 + \frac{f'''(0)}{3!} x^3 + \ldots$$

      它把函数分解成越来越高阶的项。类似地，ResNet 把函数分解为

      $$f(\mathbf{x}) = \mathbf{x} + g(\mathbf{x}),$$

      即一个简单的线性项和一个复杂的非线性项。如果想把 $f$ 拆成两部分以上呢？DenseNet 的做法是：
      每一层的输出不与输入相加，而是在通道维上与之前的所有输出**连结**（记作 $[\cdot, \cdot]$）：

      $$\mathbf{x} \to \left[\mathbf{x}, f_1(\mathbf{x}), f_2([\mathbf{x}, f_1(\mathbf{x})]), f_3([\mathbf{x}, f_1(\mathbf{x}), f_2([\mathbf{x}, f_1(\mathbf{x})])]), \ldots\right].$$

      最后把这些展开式结合到一个多层感知机中，再次减少特征的数量。“稠密”指的是变量之间的依赖图：
      最后一层与之前的**所有**层都直接相连。

      DenseNet 主要由两部分组成：**稠密块**（dense block）定义如何连结输入和输出；**过渡层**（transition layer）
      控制通道数，使其不会太大。
    `,
    md`
      ## 7.7.2 稠密块体

      DenseNet 使用 ResNet 改进版的“批量规范化、激活、卷积”顺序（预激活）。先定义这样一个卷积块：
    `,
    region('convBlock'),
    md`
      一个稠密块由多个卷积块组成，每个卷积块的输出通道数相同。前向传播时，把每个卷积块的输入和输出在通道维上连结，
      作为下一个卷积块的输入。
    `,
    scopeCell(['CompositeLayer', 'singleShape', 'singleTensor'], ['LayerArgs', 'Shape']),
    region('DenseBlock'),
    md`
      下面的例子定义一个有 2 个卷积块、每块 10 个输出通道的稠密块。输入有 3 个通道，输出就有 $3 + 2 \times 10 = 23$
      个通道。卷积块的通道数控制输出通道数相对于输入通道数的增长，因此也叫**增长率**（growth rate）。
    `,
    code`
      const blk = new DenseBlock(2, 10);
      const X = tf.randomUniform([4, 8, 8, 3]);
      const Y = blk.apply(X) as tf.Tensor;
      Y.shape
    `,
    md`
      稠密块的结构（由模型对象生成）：每个卷积块的输出都与它的输入连结，连结的结果再交给下一个卷积块。
      对比 ResNet 的残差块：那里是把两条路径**相加**（$+$），这里是**连结**（$[\cdot,\cdot]$）。
    `,
    code`
      await d2l.drawArchitectures(
        [new DenseBlock(2, 10, { inputShape: [null, null, 3] }),
         new d2l.Residual(3, { inputShape: [null, null, 3] })],
        ['DenseNet 的稠密块（连结）', 'ResNet 的残差块（相加）'])
    `,
    md`
      ## 7.7.3 过渡层

      每个稠密块都会增加通道数，用得太多会让模型过于复杂。过渡层用来控制模型复杂度：它用 1×1 卷积减少通道数，
      再用步幅为 2 的平均汇聚层把高和宽减半。
    `,
    region('transitionBlock'),
    md`
      对上例中稠密块的输出应用一个 10 通道的过渡层：通道数减为 10，高和宽都减半。
    `,
    code`
      const trans = transitionBlock(23, 10);
      const Z = trans.apply(Y) as tf.Tensor;
      Z.shape
    `,
    code`tf.dispose([X, Y, Z]);`,
    md`
      ## 7.7.4 DenseNet 模型

      DenseNet 的第一个模块与 ResNet 相同：单个 7×7 卷积层和 3×3 最大汇聚层。接着与 ResNet 的 4 个残差模块类似，
      DenseNet 使用 4 个稠密块，每个稠密块里有 4 个卷积层。卷积块的通道数（增长率）设为 32，所以每个稠密块
      增加 128 个通道。

      ResNet 在每个模块之间用步幅为 2 的残差块减小高和宽，DenseNet 则用过渡层来减半高和宽，并把通道数减半。
      最后与 ResNet 一样，接全局平均汇聚层和全连接输出层。
    `,
    scopeCell(['resnetStem', 'globalAvgPool2d', 'resolveOptions'], ['ModelOptions']),
    region('densenetTable'),
    region('densenet'),
    md`
      书中没有打印完整网络的形状；在训练用的 96×96 输入上，通道数依次是 64 → 192 → 96 → 224 → 112 → 240 → 120 → 248：
    `,
    code`
      const densenet96 = densenet();
      d2l.printLayerShapes(densenet96, [1, 96, 96, 1]);
      console.log('DenseNet parameters:', d2l.countTrainableParams(densenet96));
    `,
    code`await d2l.drawArchitecture(densenet96, { collapse: ['DenseBlock'] })`,
    md`
      ## 7.7.5 训练模型

      由于这里的网络比较深，书中把输入的高和宽从 224 降到 96 来简化计算。
    `,
    ...parameterCells('7.7', file),
    code`
      densenet96.dispose();  // 上面只用于查看形状和作图的网络，释放它的权重
      const net = densenet({ inputShape: [resize, resize, 1] });
    `,
    dataCell('7.7'),
    trainCell(),
    reportCell('7.7', 'DenseNet'),
    md`
      ## 7.7.6 小结

      * 在跨层连接上，与 ResNet 中把输入和输出相加不同，DenseNet 在通道维上连结输入和输出。
      * DenseNet 的主要构建模块是稠密块和过渡层。
      * 构建 DenseNet 时，需要通过添加过渡层来控制网络的维数，从而再次减少通道数。
    `,
    exercisesCell([
      '为什么过渡层使用平均汇聚层而不是最大汇聚层？',
      'DenseNet 的优点之一是其模型参数比 ResNet 小。为什么？',
      'DenseNet 一个诟病的问题是内存或显存消耗过多：(a) 真的是这样吗？把输入形状换成 224×224，比较实际的（GPU）内存消耗；(b) 有另一种方法来减少显存消耗吗？需要改变框架吗？',
      '实现 DenseNet 论文表 1 所示的不同 DenseNet 版本。',
      '应用 DenseNet 的思想设计一个基于多层感知机的模型，将其应用于 4.10 节中的房价预测任务。',
    ]),
  ],
};
