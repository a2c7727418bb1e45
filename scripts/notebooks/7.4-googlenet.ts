/** Notebook 7.4: GoogLeNet — the Inception block with four parallel paths, and the full network. */
import { NotebookSpec, code, md, region } from './cells';
import {
  dataCell, exercisesCell, importCells, parameterCells, reportCell, scopeCell, trainCell,
} from './common';

const file = '7.4-googlenet.ipynb';

export const googlenetNotebook: NotebookSpec = {
  file,
  section: '7.4',
  cells: [
    md`
      # 7.4 含并行连结的网络（GoogLeNet）

      2014 年，GoogLeNet（Szegedy 等人，2015）赢得了 ImageNet 图像识别挑战赛。它吸收了 NiN 中串联网络的思想，并在此
      基础上做了改进。它要回答的一个问题是：卷积核选多大合适？此前的网络有的用 1×1，有的用 11×11。GoogLeNet 的看法是：
      **不必只选一个，把不同大小的卷积核并行组合起来**，往往更有效。

      名字中的 “LeNet” 是向 LeNet 致敬。本节介绍一个稍简化的版本：省略了原论文中为稳定训练而加的一些特性，
      现在有了更好的训练方法，这些特性已经不再必要。
    `,
    ...importCells(),
    md`
      ## 7.4.1 Inception 块

      GoogLeNet 的基本卷积块叫 **Inception 块**（名字来自电影《盗梦空间》里的台词 “We need to go deeper”）。
      它由四条并行路径组成：

      1. 一个 1×1 卷积层；
      2. 一个 1×1 卷积层（减少通道数，降低计算量），接一个 3×3 卷积层；
      3. 一个 1×1 卷积层，接一个 5×5 卷积层；
      4. 一个 3×3 最大汇聚层，接一个 1×1 卷积层（改变通道数）。

      四条路径都用合适的填充让输入和输出的高、宽一致，最后把每条路径的输出**在通道维上连结**起来，作为整个块的输出。
      Inception 块的超参数就是每条路径的输出通道数。
    `,
    scopeCell(['CompositeLayer', 'singleShape', 'singleTensor'], ['LayerArgs', 'Shape']),
    region('Inception'),
    md`
      下面是一个 Inception 块的结构图（GoogLeNet 第一个 Inception 块的通道设置），由模型对象生成：
      四条路径从同一个输入出发，在顶端连结。
    `,
    code`await d2l.drawArchitecture(new Inception(64, [96, 128], [16, 32], 32, { inputShape: [null, null, 192] }))`,
    md`
      为什么这个结构有效？不同大小的滤波器可以在不同的尺度上探索图像，细节和大块的结构都能被有效地识别；同时，
      可以给不同的路径分配不同数量的参数（通道数）。1×1 卷积先减少通道数，让 3×3 和 5×5 卷积的计算量保持在可控范围内。
    `,
    md`
      ## 7.4.2 GoogLeNet 模型

      GoogLeNet 一共使用 9 个 Inception 块和全局平均汇聚层来生成估计值。Inception 块之间的步幅为 2 的 3×3 最大汇聚层
      降低维度。第一个模块类似于 AlexNet 和 LeNet，Inception 块的组合从 VGG 继承，全局平均汇聚层避免了在最后使用很多
      全连接层。

      逐个模块来看：

      * 第一个模块：64 个通道的 7×7 卷积层（步幅 2），接 3×3 最大汇聚层；
      * 第二个模块：64 个通道的 1×1 卷积层，接一个把通道数增加到三倍（192）的 3×3 卷积层，再接最大汇聚层——
        这对应 Inception 块中的第二条路径；
      * 第三个模块：2 个 Inception 块，输出通道分别为 64+128+32+32=256 和 128+192+96+64=480；
      * 第四个模块：5 个 Inception 块，输出通道依次为 512、512、512、528、832；
      * 第五个模块：2 个 Inception 块（输出 832 和 1024 个通道），接全局平均汇聚层，把每个通道的高和宽变成 1，
        最后接一个输出个数为类别数的全连接层。

      每个 Inception 块的通道配置写成一张表（与书中的代码一一对应）：
    `,
    scopeCell(['globalAvgPool2d', 'resolveOptions'], ['ModelOptions', 'InceptionSpec']),
    region('googlenetInceptions'),
    region('inceptionStage'),
    region('googlenet'),
    md`
      GoogLeNet 的计算很复杂，也不像 VGG 那样容易修改通道数。为了让 Fashion-MNIST 上的训练时间短一些，
      书中把输入的高和宽从 224 降到 96。下面看看各个模块输出的形状：
    `,
    code`
      const googlenet96 = googlenet();
      d2l.printLayerShapes(googlenet96, [1, 96, 96, 1]);
    `,
    md`
      完整的 GoogLeNet（每个 Inception 块画成一个方框，由模型对象生成）：
    `,
    code`await d2l.drawArchitecture(googlenet96, { collapse: ['Inception'] })`,
    code`
      const googlenet96Params = d2l.countTrainableParams(googlenet96);
      googlenet96.dispose();
      console.log('GoogLeNet parameters:', googlenet96Params);
    `,
    md`
      ## 7.4.3 训练模型

      和之前一样，用 Fashion-MNIST 训练，把图像放大到 96×96（\`cpu\` 配置用 48×48 和训练子集）。
    `,
    ...parameterCells('7.4', file),
    dataCell('7.4'),
    code`const net = googlenet({ inputShape: [resize, resize, 1] });`,
    trainCell(),
    reportCell('7.4', 'GoogLeNet'),
    md`
      ## 7.4.4 小结

      * Inception 块相当于一个有 4 条路径的子网络。它用不同窗口大小的卷积层和最大汇聚层并行地提取信息，并用 1×1 卷积
        减少每像素级别上的通道数，从而降低模型复杂度。
      * GoogLeNet 把多个设计精巧的 Inception 块与其他层（卷积层、全连接层）串联起来。每个 Inception 块中各路径的通道数
        分配比例是在 ImageNet 上通过大量实验得来的。
      * GoogLeNet 和它的后继者一度是 ImageNet 上最有效的模型之一：它以较低的计算复杂度取得了相近的准确率。
    `,
    exercisesCell([
      'GoogLeNet 有几个后续版本，尝试实现并运行它们，观察实验结果：添加批量规范化层（7.5 节）；调整 Inception 块（宽度、选择、顺序）；使用标签平滑进行模型正则化；加入残差连接（7.6 节）。',
      '使用 GoogLeNet 的最小图像大小是多少？',
      '将 AlexNet、VGG 和 NiN 的模型参数大小与 GoogLeNet 进行比较。后两个网络是如何显著减少模型参数数量的？',
    ]),
  ],
};
