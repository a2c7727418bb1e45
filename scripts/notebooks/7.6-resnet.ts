/** Notebook 7.6: ResNet — function classes, the residual block (and its fixed-point reading), ResNet-18. */
import { NotebookSpec, code, md, region } from './cells';
import {
  dataCell, exercisesCell, importCells, parameterCells, reportCell, scopeCell, trainCell,
} from './common';

const file = '7.6-resnet.ipynb';

export const resnetNotebook: NotebookSpec = {
  file,
  section: '7.6',
  cells: [
    md`
      # 7.6 残差网络（ResNet）

      何恺明等人提出的残差网络（ResNet，2016）赢得了 2015 年 ImageNet 图像识别挑战赛，并深刻影响了此后几乎所有深层
      网络的设计。它的核心想法可以一句话说完：**新加的层应当很容易就能表示“什么都不做”（恒等映射）**，这样加深网络
      至少不会让它变差。为此，ResNet 引入了残差块（residual block）。
    `,
    ...importCells(),
    md`
      ## 7.6.1 函数类

      把一种网络结构（连同学习率等设置）能表示的所有函数记作函数类 $\mathcal{F}$。我们希望找到的“真正”函数是
      $f^*$，但它通常不在 $\mathcal{F}$ 中，训练只能在 $\mathcal{F}$ 里找一个最接近的 $f^*_\mathcal{F}$。

      想要更好的结果，自然会设计更强大的结构 $\mathcal{F}'$。但是“更强大”不等于“更接近 $f^*$”：如果
      $\mathcal{F} \not\subseteq \mathcal{F}'$，新的函数类可能整体偏向别处，结果反而更差。只有当函数类是
      **嵌套**的（$\mathcal{F}_1 \subseteq \mathcal{F}_2 \subseteq \dots$），扩大函数类才一定不会离 $f^*$ 更远。

      对深层网络来说，如果新加的层能被训练成恒等映射 $f(\mathbf{x}) = \mathbf{x}$，那么加深后的网络就包含了原来的
      网络，函数类是嵌套的。残差网络正是让每一层都容易做到这一点。
    `,
    md`
      ## 7.6.2 残差块

      设某一部分网络的输入为 $\mathbf{x}$，我们希望它学出的映射是 $f(\mathbf{x})$。普通的做法是让这几层直接拟合
      $f(\mathbf{x})$；残差块则把它**拆成两部分**：

      $$f(\mathbf{x}) = \mathbf{x} + \big(f(\mathbf{x}) - \mathbf{x}\big).$$

      其中 $\mathbf{x}$ 通过一条“捷径”直接前馈到输出，而这几层网络只负责学习剩下的**残差** $f(\mathbf{x}) - \mathbf{x}$。
      如果理想的映射就是恒等映射，网络只需把残差部分的权重推向 0 即可，这比从头拟合一个恒等映射容易得多；
      如果理想映射接近恒等映射，残差也更容易学到细小的变化。捷径还让输入能更快地向前传播，梯度也能更顺畅地向后传播。

      **从不动点的角度看。** 恒等映射要求 $f(\mathbf{x}) = \mathbf{x}$，这正是迭代法里的不动点条件。
      解方程时，如果把条件写成 $g(\mathbf{x}) = f(\mathbf{x}) - \mathbf{x} = 0$，就可以用迭代
      $\mathbf{x}_{k+1} = \mathbf{x}_k + g(\mathbf{x}_k)$ 来求 $\mathbf{x}$，当 $g(\mathbf{x}) = 0$ 时迭代停在不动点上。
      残差块 $\mathbf{x}_{l+1} = \mathbf{x}_l + g(\mathbf{x}_l)$ 的形式与这一步迭代完全相同：一层层的残差块就像一步步的
      迭代修正，每一块只学习“还差多少”；当某一块的 $g$ 为 0 时，它就恰好是恒等映射，对网络没有任何损害。

      ResNet 的残差块沿用了 VGG 的 3×3 卷积设计：两个有相同输出通道数的 3×3 卷积层，每个卷积层后接批量规范化层和
      ReLU 激活；然后把输入加到第二个批量规范化层的输出上，再做最后一次 ReLU。
      相加要求两者形状相同；如果要改变通道数或者减半高宽，就在捷径上加一个 1×1 卷积层来变换输入。
    `,
    scopeCell(['CompositeLayer', 'singleShape', 'singleTensor'], ['LayerArgs', 'Shape', 'ResidualArgs']),
    region('Residual'),
    md`
      \`call\` 里的 \`Y.add(X)\` 一行就是残差块与普通块的全部区别：输出是“学到的残差”加上输入本身。

      下图由模型对象本身生成：左边是不带 1×1 卷积的残差块，右边是用 1×1 卷积（步幅 2）变换捷径的残差块。
    `,
    code`
      await d2l.drawArchitectures(
        [new Residual(64, { inputShape: [null, null, 64] }),
         new Residual(128, { use1x1conv: true, strides: 2, inputShape: [null, null, 64] })],
        ['残差块', '带 1×1 卷积的残差块'])
    `,
    md`
      检查形状：输入和输出形状相同时不需要 1×1 卷积。
    `,
    code`
      const blk = new Residual(3);
      const X = tf.randomUniform([4, 6, 6, 3]);
      const Y = blk.apply(X) as tf.Tensor;
      Y.shape
    `,
    md`
      也可以在增加输出通道数的同时把输出的高和宽减半（步幅 2，捷径上用 1×1 卷积）：
    `,
    code`
      const blk2 = new Residual(6, { use1x1conv: true, strides: 2 });
      const Y2 = blk2.apply(X) as tf.Tensor;
      Y2.shape
    `,
    code`tf.dispose([X, Y, Y2]);`,
    md`
      ## 7.6.3 ResNet 模型

      ResNet 的前两层与 GoogLeNet 一样：64 通道、步幅 2 的 7×7 卷积，之后是步幅 2 的 3×3 最大汇聚层；不同之处是
      卷积层后面多了批量规范化层。随后是 4 个由残差块组成的模块，每个模块用若干个输出通道数相同的残差块。
      第一个模块的通道数与输入相同（前面的最大汇聚层已经减半了高宽），所以不用再减半；之后每个模块的第一个残差块
      把通道数翻倍、高宽减半。
    `,
    region('resnetBlock'),
    md`
      每个模块用两个残差块，最后接全局平均汇聚层和全连接输出层。每个模块有 4 个卷积层（不计 1×1 卷积），
      加上第一个 7×7 卷积和最后的全连接层，共 18 层，所以叫 ResNet-18。
    `,
    scopeCell(['globalAvgPool2d', 'resolveOptions'], ['ModelOptions']),
    region('resnetStem'),
    region('resnetStages'),
    region('resnet18'),
    md`
      书中用 224×224 的输入打印各个模块的输出形状（训练时则用 96×96）。高宽逐步减半、通道数逐步翻倍，
      最后经全局平均汇聚得到 512 维特征。
    `,
    code`d2l.printLayerShapes(resnet18({ inputShape: [224, 224, 1] }), [1, 224, 224, 1]);`,
    md`ResNet-18 的完整结构（由模型对象生成）：`,
    code`await d2l.drawArchitecture(resnet18())`,
    md`
      ## 7.6.4 训练模型

      在 Fashion-MNIST 上训练 ResNet，书中把输入缩放到 96×96（\`cpu\` 配置用 64×64 和训练子集）。
    `,
    ...parameterCells('7.6', file),
    code`const net = resnet18({ inputShape: [resize, resize, 1] });`,
    dataCell('7.6'),
    trainCell(),
    reportCell('7.6', 'ResNet-18'),
    md`
      ## 7.6.5 小结

      * 嵌套的函数类是我们想要的：学习一个额外的层时，恒等映射应当很容易表示。
      * 残差映射 $f(\mathbf{x}) - \mathbf{x}$ 让恒等映射变得容易学：把残差部分的权重推向 0 即可，这也可以看作迭代法中
        逼近不动点 $f(\mathbf{x}) = \mathbf{x}$ 的一步修正。
      * 残差块中的跨层连接让输入更快地向前传播。
      * 残差网络对后来的深层网络设计影响深远，卷积网络和序列模型中都能见到它。
    `,
    exercisesCell([
      'Inception 块（7.4 节）和残差块的主要区别是什么？如果去掉 Inception 块的一些路径，它们之间有什么联系？',
      '参考 ResNet 论文中的表 1，实现网络的其他变体。',
      '对于更深的网络，ResNet 引入了“瓶颈”（bottleneck）结构来降低模型复杂度。请实现它。',
      '在 ResNet 的后续版本中，作者把“卷积层、批量规范化层、激活层”的顺序改成了“批量规范化层、激活层、卷积层”（预激活）。请实现这一改进。',
      '既然函数类是嵌套的，为什么还要限制函数复杂度的增长？',
    ]),
  ],
};
