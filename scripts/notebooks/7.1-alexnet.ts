/** Notebook 7.1: AlexNet — learned features, data and hardware, the model, LeNet vs AlexNet, training. */
import { NotebookSpec, code, md, region } from './cells';
import {
  dataCell, exercisesCell, importCells, parameterCells, reportCell, scopeCell, trainCell,
} from './common';

const file = '7.1-alexnet.ipynb';

export const alexnetNotebook: NotebookSpec = {
  file,
  section: '7.1',
  cells: [
    md`
      # 7.1 深度卷积神经网络（AlexNet）

      LeNet 提出之后，卷积神经网络在计算机视觉和机器学习领域小有名气，但并没有立刻占据主导地位。在 MNIST 这样的小数据
      集上它表现不错，可在更大、更真实的数据集上训练卷积网络的效果和可行性都还没有得到证明。从 20 世纪 90 年代到 2012
      年，支持向量机等方法在很多任务上反而更胜一筹。

      那时的计算机视觉流水线大致是：收集数据集，用手工设计的特征提取方法（如 SIFT、SURF、HOG）预处理图像，再把特征
      交给一个标准分类器。研究者们关心的是数据和特征，而“学习”只占其中一小部分。
    `,
    ...importCells(),
    md`
      ## 7.1.1 学习表征

      另一种想法是：特征本身也应该从数据中学出来。多层网络的底层可以学到边缘、颜色、纹理这样的通用特征，更高层再把它们
      组合成更复杂的结构，直到能够识别整个物体。这一想法长期停留在设想阶段，原因是缺了两样东西。

      ### 7.1.1.1 缺少的成分：数据

      有很多参数的深层模型需要大量有标签的数据。2009 年发布的 ImageNet 数据集及其挑战赛提供了 1000 类、每类约 1000 张、
      共约一百万张图像，这才让在大规模数据上学习表征成为可能。

      ### 7.1.1.2 缺少的成分：硬件

      深度学习需要大量计算。2012 年的突破来自 Alex Krizhevsky 和 Ilya Sutskever：他们意识到卷积神经网络的计算瓶颈——
      卷积和矩阵乘法——都可以在硬件上高度并行，于是用两块各有 3GB 显存的 NVIDIA GTX 580 GPU 实现了快速卷积。
      他们写的 cuda-convnet 在此后几年里一直是业界标准，推动了深度学习的热潮。
    `,
    md`
      ## 7.1.2 AlexNet

      2012 年，AlexNet 横空出世。它第一次证明了**学习到的特征可以超过手工设计的特征**，以很大的优势赢得了当年的
      ImageNet 图像识别挑战赛，一举改变了计算机视觉研究的局面。AlexNet 有 8 层：5 个卷积层、2 个全连接隐藏层和
      1 个全连接输出层。

      下图左边是 LeNet，右边是 AlexNet，都是由下面代码中的模型对象直接画出来的。注意两者的输出层：
      **LeNet 用来识别手写数字，输出只有 10 类；AlexNet 原本用于 ImageNet 物体识别，输出有 1000 类。**
      本节用 Fashion-MNIST 训练，所以我们的 AlexNet 输出层也是 10 类。

      AlexNet 和 LeNet 的设计理念很相似，但也有明显差别：AlexNet 比 LeNet 深得多，并且用 ReLU 而不是 sigmoid
      作为激活函数。

      ### 7.1.2.1 模型设计

      ImageNet 的图像比 MNIST 大得多（224 对 28，高和宽都是 8 倍），物体也占据更多像素，所以 AlexNet 第一层用了 11×11 的大窗口、
      步幅 4 来捕捉物体；第二层缩小到 5×5，之后都是 3×3。第一、二、五个卷积层之后各有一个 3×3、步幅 2 的最大汇聚层。
      它的通道数是 LeNet 的 10 倍左右。最后是两个 4096 个输出的全连接层，它们的参数将近 1GB——这正是当年必须用两块
      GPU 的原因。

      ### 7.1.2.2 激活函数

      AlexNet 把 sigmoid 换成了更简单的 ReLU。一方面它的计算更简单（不需要求幂）；另一方面，当 sigmoid 的输出接近
      0 或 1 时梯度几乎为 0，初始化不好时参数很难更新，而 ReLU 在正区间的梯度恒为 1，模型更容易训练。

      ### 7.1.2.3 容量控制和预处理

      AlexNet 在全连接层使用暂退法（dropout，见 4.6 节）来控制模型复杂度，而 LeNet 只用了权重衰减。为了进一步扩充
      数据，AlexNet 训练时还加入了大量的图像增强，例如翻转、裁切和变色。这让模型更健壮，更大的样本量也有效地减少了
      过拟合（13.1 节会详细讨论数据扩增）。
    `,
    scopeCell(['resolveOptions'], ['ModelOptions']),
    region('alexnet'),
    md`
      构造一个高和宽都是 224 的单通道输入，逐层查看输出形状（与书中的 54×54、26×26、…、6400 对应；
      TensorFlow.js 的张量布局是 NHWC，通道在最后）：
    `,
    code`
      const alexnet224 = alexnet();
      d2l.printLayerShapes(alexnet224, [1, 224, 224, 1]);
    `,
    md`
      为了对比作图，这里按 6.6 节写出 LeNet（5×5 卷积、sigmoid、平均汇聚），和 AlexNet 画在一起：
    `,
    code`
      const lenet = tf.sequential({ layers: [
        tf.layers.conv2d({ inputShape: [28, 28, 1], filters: 6, kernelSize: 5, padding: 'same', activation: 'sigmoid' }),
        tf.layers.averagePooling2d({ poolSize: 2, strides: 2 }),
        tf.layers.conv2d({ filters: 16, kernelSize: 5, activation: 'sigmoid' }),
        tf.layers.averagePooling2d({ poolSize: 2, strides: 2 }),
        tf.layers.flatten(),
        tf.layers.dense({ units: 120, activation: 'sigmoid' }),
        tf.layers.dense({ units: 84, activation: 'sigmoid' }),
        tf.layers.dense({ units: 10 })] });
      await d2l.drawArchitectures([lenet, alexnet224], ['LeNet（10 类数字）', 'AlexNet（ImageNet 1000 类，此处 10 类）'])
    `,
    code`
      const alexnetParams = d2l.countTrainableParams(alexnet224);
      // 这两个网络只用于查看形状和作图：释放它们的权重（AlexNet 约 190MB）
      alexnet224.dispose();
      lenet.dispose();
      console.log('AlexNet parameters:', alexnetParams);
    `,
    md`
      ## 7.1.3 读取数据集

      AlexNet 是在 ImageNet 上训练的，这里用 Fashion-MNIST。ImageNet 训练到收敛要花几小时甚至几天，即使在现代 GPU 上也是
      如此。为了不改动网络结构，书中把 28×28 的图像放大到 224×224——这通常并不是明智的做法，只是为了和 AlexNet 的
      设计保持一致。在 CPU 上（\`cpu\` 配置）我们改用接近下限的 67×67：第一层 11×11、步幅 4 的卷积加上三次最大汇聚，
      至少需要 65×65 的输入，最后的特征图才不小于 1×1。\`cpu\` 配置还用了训练子集、更小的批量和更大的学习率（0.05），
      这样在很少的迭代步数内也能看到损失开始下降。
    `,
    ...parameterCells('7.1', file),
    dataCell('7.1'),
    md`
      ## 7.1.4 训练 AlexNet

      与 LeNet 相比，这里的学习率更小（0.01），因为网络更深更宽，每个样本的计算量也大得多。
    `,
    code`const net = alexnet({ inputShape: [resize, resize, 1] });`,
    trainCell(),
    reportCell('7.1', 'AlexNet'),
    md`
      ## 7.1.5 小结

      * AlexNet 的结构与 LeNet 相似，但层数更多、参数更多，并在大规模的 ImageNet 数据集上训练。
      * 它用 ReLU 代替 sigmoid，用暂退法控制全连接层的复杂度，并借助图像增强扩充数据。
      * 今天 AlexNet 已被更有效的结构超越，但它是从浅层网络走向深层网络的关键一步。
      * 尽管它的代码只比 LeNet 多几行，学术界却花了很多年才迈出这一步；高效的计算工具（GPU）功不可没。
    `,
    exercisesCell([
      '试着增加迭代轮数。对比 LeNet 的结果有什么不同？为什么？',
      'AlexNet 对 Fashion-MNIST 来说可能太复杂了：(a) 尝试简化模型以加快训练，同时保证准确率不明显下降；(b) 设计一个更好的模型，直接在 28×28 的图像上工作。',
      '修改批量大小，观察模型精度和（GPU）内存的变化。',
      '分析 AlexNet 的计算性能：(a) 在内存占用中，什么最重要？(b) 在计算量上，什么占主导？(c) 计算结果时的内存带宽如何？',
      '将暂退法和 ReLU 应用于 LeNet-5，效果有提升吗？再试试预处理会怎样？',
    ]),
  ],
};
