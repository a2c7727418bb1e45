/** Notebook 7.3: NiN — 1×1 convolutions as per-pixel MLPs and global average pooling instead of dense layers. */
import { NotebookSpec, code, md, region } from './cells';
import {
  dataCell, exercisesCell, importCells, parameterCells, reportCell, scopeCell, trainCell,
} from './common';

const file = '7.3-nin.ipynb';

export const ninNotebook: NotebookSpec = {
  file,
  section: '7.3',
  cells: [
    md`
      # 7.3 网络中的网络（NiN）

      LeNet、AlexNet 和 VGG 有一个共同的模式：先用卷积层和汇聚层提取空间特征，再用全连接层处理这些特征。AlexNet 和
      VGG 的改进主要在于如何把这两部分做得更宽、更深。

      可是，一旦用上全连接层，表征的空间结构就可能被完全放弃。**网络中的网络**（NiN，Lin 等人，2013）给出了一个非常
      简单的办法：在每个像素的通道上分别使用一个多层感知机。
    `,
    ...importCells(),
    md`
      ## 7.3.1 NiN 块

      卷积层的输入和输出是四维张量（样本、高、宽、通道），全连接层的输入和输出则是二维的（样本、特征）。NiN 的想法是
      在每个像素位置上应用一个全连接层：把每个像素的通道看作特征，把高和宽上的每个位置看作独立的样本。**1×1 卷积层**
      恰好就是这样一个逐像素的全连接层，它在不同位置共享权重。

      一个 NiN 块先是一个普通卷积层（窗口大小和步幅由参数决定），后面跟着两个 1×1 卷积层，它们都带 ReLU 激活，
      相当于在每个像素上运行了一个小型多层感知机。
    `,
    region('ninBlock'),
    md`
      ## 7.3.2 NiN 模型

      NiN 借鉴了 AlexNet 的卷积窗口大小：11×11、5×5 和 3×3，输出通道数也与 AlexNet 相同。每个 NiN 块后面接一个
      3×3、步幅 2 的最大汇聚层。

      NiN 与 AlexNet 最大的区别是**完全不用全连接层**：最后一个 NiN 块的输出通道数等于类别数（这里是 10），
      然后用**全局平均汇聚层**把每个通道的特征图平均成一个数，直接得到每一类的得分。这样大大减少了参数数量
      （AlexNet 的两个 4096 全连接层就有四千多万个参数），但在实践中有时会增加训练时间。
    `,
    scopeCell(['globalAvgPool2d', 'resolveOptions'], ['ModelOptions']),
    region('nin'),
    md`
      用 224×224 的输入查看每个块的输出形状：
    `,
    code`
      const nin224 = nin();
      d2l.printLayerShapes(nin224, [1, 224, 224, 1]);
    `,
    md`
      左边是一个 NiN 块（普通卷积 + 两个 1×1 卷积），右边是完整的 NiN（均由模型对象生成）。注意右边的顶端没有全连接层，
      只有全局平均汇聚。
    `,
    code`await d2l.drawArchitectures([ninBlock(1, 96, 11, 4, 0), nin224], ['NiN 块', 'NiN'])`,
    code`
      const nin224Params = d2l.countTrainableParams(nin224);
      nin224.dispose();
      console.log('NiN parameters:', nin224Params);
    `,
    md`
      ## 7.3.3 训练模型

      和之前一样用 Fashion-MNIST 训练，书中的学习率是 0.1。在 CPU 上（\`cpu\` 配置）输入缩小到下限 67×67：
      第一层是 11×11、步幅 4、无填充的卷积，再经过三次最大汇聚，至少需要 67×67 的输入。
      NiN 刚开始训练时损失常常会在 2.30（即 $\ln 10$，各类得分相同）附近停留一段时间，之后才开始下降，
      这与最后一层 ReLU 之后直接做全局平均汇聚有关（见练习 4）。
    `,
    ...parameterCells('7.3', file),
    dataCell('7.3'),
    code`const net = nin({ inputShape: [resize, resize, 1] });`,
    trainCell(),
    reportCell('7.3', 'NiN'),
    md`
      ## 7.3.4 小结

      * NiN 使用由一个卷积层和多个 1×1 卷积层组成的块，允许在每个像素上添加更多的非线性。
      * NiN 去掉了容易过拟合的全连接层，用全局平均汇聚层（对每个通道在所有位置上求平均）代替。最后一个 NiN 块的输出
        通道数等于类别数。
      * 去掉全连接层减少了过拟合，也显著减少了参数数量。
      * NiN 的设计影响了后来的许多卷积网络，例如下一节的 GoogLeNet。
    `,
    exercisesCell([
      '调整 NiN 的超参数，以提高分类准确率。',
      '为什么 NiN 块中有两个 1×1 卷积层？删除其中一个，然后观察和分析实验现象。',
      '计算 NiN 的资源使用情况：(a) 参数的数量是多少？(b) 计算量是多少？(c) 训练期间需要多少显存？(d) 预测期间需要多少显存？',
      '一次性把 384×5×5 的表示缩减为 10×5×5 的表示，会有什么问题？',
    ]),
  ],
};
