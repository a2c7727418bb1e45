/** Notebook 7.5: batch normalization — the scratch `batchNorm`, LeNet with BatchNorm, the concise version. */
import { NotebookSpec, code, md, region } from './cells';
import {
  dataCell, exercisesCell, importCells, parameterCells, reportCell, scopeCell, trainCell,
} from './common';

const file = '7.5-batch-norm.ipynb';

export const batchNormNotebook: NotebookSpec = {
  file,
  section: '7.5',
  cells: [
    md`
      # 7.5 批量规范化（batch normalization）

      网络越深，训练越难：损失下降得慢，学习率稍大就发散。批量规范化（batch normalization，Ioffe 和 Szegedy 在 2015
      年提出）是一种简单而有效的办法，它能稳定地加快深层网络的收敛。再配合 7.6 节将要介绍的残差块，研究人员第一次
      能够顺利地训练一百层以上的网络。

      本节先说明它要解决的问题，再从零实现它，最后把它加进 LeNet 并在 Fashion-MNIST 上训练。
    `,
    ...importCells(),
    md`
      ## 7.5.1 训练深层网络

      为什么需要批量规范化？有三点观察：

      1. **输入要标准化。** 处理表格数据时，我们通常把每个特征变换成均值 0、方差 1，这样各个参数的尺度相近，
         优化器更好工作。但这只照顾到了第一层的输入。
      2. **中间层的数值会漂移。** 训练过程中，中间层的输出可能在不同层之间、同一层的不同单元之间、以及随着参数
         更新在不同时刻，分布相差很大。这种漂移迫使我们用很小的学习率，收敛也就变慢了。
      3. **越深越容易过拟合**，所以正则化对深层网络更重要。

      批量规范化的做法是：在每次迭代里，用**当前小批量**的统计量把某一层的输入标准化，再用两个可学习的参数把它
      缩放、平移回合适的范围。记小批量为 $\mathcal{B}$，其中的样本为 $\mathbf{x}$：

      $$\mathrm{BN}(\mathbf{x}) = \boldsymbol{\gamma} \odot \frac{\mathbf{x} - \hat{\boldsymbol{\mu}}_\mathcal{B}}{\hat{\boldsymbol{\sigma}}_\mathcal{B}} + \boldsymbol{\beta},$$

      其中 $\hat{\boldsymbol{\mu}}_\mathcal{B}$ 是小批量的样本均值，
      $\hat{\boldsymbol{\sigma}}_\mathcal{B}^2 = \frac{1}{|\mathcal{B}|}\sum_{\mathbf{x} \in \mathcal{B}} (\mathbf{x} - \hat{\boldsymbol{\mu}}_{\mathcal{B}})^2 + \epsilon$
      是加上一个小常数 $\epsilon > 0$ 的方差（避免除以零）。拉伸参数 $\boldsymbol{\gamma}$ 和偏移参数
      $\boldsymbol{\beta}$ 与 $\mathbf{x}$ 形状相同，和其他参数一起学习。

      几点值得注意：

      * 批量大小很关键。批量为 1 时减去均值后什么都不剩，统计量没有意义；批量太小则统计量噪声很大。
        不过这种噪声本身也起到了正则化的作用，效果有点像暂退法。
      * 训练和预测时的行为不同：训练时用小批量的统计量；预测时（模型已经训练好）使用在整个训练过程中积累的
        **移动平均**均值和方差，这样一个样本的预测结果不会依赖于同一批里的其他样本。
    `,
    md`
      ## 7.5.2 批量规范化层

      **全连接层**：把批量规范化放在仿射变换之后、激活函数之前，
      $\mathbf{h} = \phi(\mathrm{BN}(\mathbf{W}\mathbf{x} + \mathbf{b}))$，对每个特征（每一列）分别求均值和方差。

      **卷积层**：同样放在卷积之后、激活之前，但按**通道**规范化：每个通道有自己的 $\gamma$ 和 $\beta$，
      统计量是在该通道的所有样本、所有空间位置上求的。设批量有 $m$ 个样本、特征图大小为 $p \times q$，那么每个
      通道要在 $m \cdot p \cdot q$ 个元素上求均值和方差。TensorFlow.js 的张量布局是 NHWC（通道在最后一维），
      所以在轴 0、1、2 上求统计量，而 PyTorch 的 NCHW 布局则是在轴 0、2、3 上。

      **预测时**：使用移动平均得到的均值和方差，批量规范化就变成一个固定的逐元素仿射变换。
    `,
    md`
      ## 7.5.3 从零实现

      下面的 \`batchNorm\` 就是库中导出的同一段代码（由测试保证二者一字不差）。与书中 PyTorch 版本的一个区别：
      PyTorch 根据 \`torch.is_grad_enabled()\` 判断是训练还是预测，而 TensorFlow.js 没有“梯度模式”，因此这里用一个
      显式的 \`training\` 参数。在 Keras 风格的层中，这个值来自调用时的 \`training\` 关键字参数：训练时
      \`d2l.trainCh6\` 调用 \`net.apply(X, {training: true})\`，评估时调用 \`net.predict\`。

      动量 \`momentum\` 沿用书中的约定：它是**旧值**的权重，\`0.9\` 表示每次只把新统计量的 10% 混入移动平均。
    `,
    region('batchNorm'),
    md`
      先用一个小例子检查一下：对形状为 (批量, 高, 宽, 通道) 的输入，训练模式下每个通道的输出均值接近 0、方差接近 1，
      同时移动平均向这一批的统计量移动了一小步。
    `,
    code`
      {
        const X = tf.randomNormal([8, 4, 4, 3], 5, 2);  // 均值 5、标准差 2 的输入
        const shape = [1, 1, 1, 3];
        const [Y, mean, variance] = batchNorm(X, tf.ones(shape), tf.zeros(shape), tf.zeros(shape), tf.ones(shape),
                                              1e-5, 0.9, true);
        console.log('per-channel mean of Y:', Array.from(Y.mean([0, 1, 2]).dataSync()).map((v) => v.toFixed(4)));
        console.log('per-channel var of Y: ', Array.from(tf.moments(Y, [0, 1, 2]).variance.dataSync()).map((v) => v.toFixed(4)));
        console.log('moving mean after one step:', Array.from(mean.dataSync()).map((v) => v.toFixed(3)));
        tf.dispose([X, Y, mean, variance]);
      }
    `,
    md`
      有了 \`batchNorm\`，就可以写出一个 \`BatchNorm\` 层。它保存拉伸参数 \`gamma\`、偏移参数 \`beta\`（参与训练）以及
      移动平均的均值和方差（不参与训练，但作为层的权重随模型一起保存和加载）。\`numDims\` 为 2 表示全连接层的输出，
      为 4 表示卷积层的输出。
    `,
    scopeCell([], ['LayerArgs']),
    region('BatchNorm'),
    md`
      ## 7.5.4 使用批量规范化层的 LeNet

      把 \`BatchNorm\` 用到 LeNet 上：每个卷积层和全连接层之后、sigmoid 激活之前各加一层（最后的输出层除外）。
    `,
    scopeCell(['resolveOptions'], ['ModelOptions']),
    region('lenetBN'),
    code`
      const net = lenetBN();
      d2l.printLayerShapes(net, [1, 28, 28, 1]);
    `,
    code`await d2l.drawArchitecture(net)`,
    md`
      和前面几节一样在 Fashion-MNIST 上训练。批量规范化让我们可以用很大的学习率（书中是 1.0）。
    `,
    ...parameterCells('7.5', file),
    dataCell('7.5'),
    trainCell(),
    reportCell('7.5', 'LeNet-BN', 'net', 'metrics'),
    md`
      看看第一个批量规范化层学到的拉伸参数 \`gamma\` 和偏移参数 \`beta\`（每个通道一个值）：
    `,
    code`
      const bn = net.layers.find((l): l is BatchNorm => l instanceof BatchNorm)!;
      bn.gamma.read().reshape([-1]).print();
      bn.beta.read().reshape([-1]).print();
    `,
    md`
      ### 简明实现

      TensorFlow.js 自带 \`tf.layers.batchNormalization\`，直接用它即可。注意默认值与 PyTorch 不同：tfjs 的
      \`momentum\` 默认 0.99、\`epsilon\` 默认 1e-3；这里设成与书中一致的 0.9 和 1e-5。
    `,
    region('lenetBNConcise'),
    md`
      用同样的数据、学习率和轮数训练。内置层的底层实现更高效，通常比我们自己的版本快。
    `,
    code`const netConcise = lenetBNConcise();`,
    trainCell('netConcise', 'metricsConcise'),
    reportCell('7.5', 'LeNet-BN (concise)', 'netConcise', 'metricsConcise'),
    md`
      ## 7.5.5 争议

      直观上，批量规范化让优化的“地形”更平滑。原论文把它的效果归因于减少了所谓的“内部协变量偏移”
      （internal covariate shift），但这个解释并不严谨：它既不是协变量偏移的准确含义，也有研究表明效果与之关系不大。
      批量规范化确实好用，可它为什么好用，至今仍有争论——这提醒我们区分“经验上有效的技巧”与“已经被理解的原理”。

      ## 小结

      * 训练时，批量规范化用小批量的均值和标准差不断调整中间输出，使整个网络各层的数值更稳定。
      * 全连接层和卷积层的批量规范化略有不同：前者按特征、后者按通道计算统计量。
      * 和暂退法一样，批量规范化在训练模式和预测模式下的计算不同。
      * 它带来正则化效果，也让更大的学习率成为可能，从而加快收敛；但其原理仍有争议。
    `,
    exercisesCell([
      '在批量规范化之前，能否去掉全连接层或卷积层的偏置参数？为什么？',
      '比较使用和不使用批量规范化时 LeNet 的学习率：(a) 画出训练和测试准确率随轮数上升的曲线；(b) 学习率最大能设到多少？',
      '每一层都需要批量规范化吗？做实验看看。',
      '批量规范化能否代替暂退法？行为会有什么变化？',
      '固定参数 `beta` 和 `gamma`（不参与训练），观察并分析结果。',
      '查阅 TensorFlow.js（或其他框架）中 `batchNormalization` 的在线文档，了解它的其他用法。',
      '研究思路：还能想到哪些“规范化”变换？可以用概率积分变换吗？能否使用满秩的协方差估计？',
    ]),
  ],
};
