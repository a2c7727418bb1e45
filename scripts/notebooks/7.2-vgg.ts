/** Notebook 7.2: VGG — networks built from repeated blocks. */
import { NotebookSpec, code, md, region } from './cells';
import {
  dataCell, exercisesCell, importCells, parameterCells, reportCell, scopeCell, trainCell,
} from './common';

const file = '7.2-vgg.ipynb';

export const vggNotebook: NotebookSpec = {
  file,
  section: '7.2',
  cells: [
    md`
      # 7.2 使用块的网络（VGG）

      AlexNet 证明了深层卷积网络是有效的，却没有给出设计新网络的通用模板。网络设计的思路后来逐渐抽象：从单个神经元，
      到整层，再到由层组成的**块**，就像芯片设计从晶体管发展到逻辑元件、再到逻辑块一样。

      用块来搭网络的想法最早出现在牛津大学视觉几何组（Visual Geometry Group）的 VGG 网络中。借助循环和函数，
      这些重复的结构用几行代码就能实现。
    `,
    ...importCells(),
    md`
      ## 7.2.1 VGG 块

      经典卷积网络的基本单元是：带填充以保持分辨率的卷积层、非线性激活函数（如 ReLU）、汇聚层（如最大汇聚）。
      这种设计的问题是空间分辨率下降得太快：每经过一次汇聚，高和宽就减半，对 $d$ 维的图像最多只能叠
      $\log_2 d$ 个这样的单元。

      VGG 的做法是在两次汇聚之间连续放**多个** 3×3 卷积，组成一个 VGG 块：若干个填充为 1 的 3×3 卷积层（保持高和宽），
      接一个 2×2、步幅 2 的最大汇聚层（高和宽减半）。VGG 论文发现，深而窄的网络（多层 3×3 卷积）比浅而宽的网络
      （少量大卷积核）效果更好。

      \`vggBlock\` 的参数是卷积层的数量、输入通道数和输出通道数：
    `,
    region('vggBlock'),
    md`
      ## 7.2.2 VGG 网络

      与 AlexNet、LeNet 一样，VGG 分两部分：前面是由卷积层和汇聚层组成的卷积部分，后面是全连接部分。卷积部分由若干个
      VGG 块串联而成。下面的 \`convArch\` 列出每个块的（卷积层数，输出通道数）：一共 5 个块，前两个各有一个卷积层，
      后三个各有两个，共 8 个卷积层，再加上 3 个全连接层，所以叫 VGG-11。第一个块输出 64 个通道，之后每个块把通道数
      翻倍，直到 512。
    `,
    scopeCell(['resolveOptions'], ['ModelOptions', 'ConvArch']),
    region('convArch'),
    region('vgg'),
    md`
      用 224×224 的单通道输入查看每个块的输出形状：每个块都把高和宽减半，最终高和宽都是 7，展平后交给全连接层。
    `,
    code`
      const vgg11 = vgg(convArch);
      d2l.printLayerShapes(vgg11, [1, 224, 224, 1]);
    `,
    md`
      左边是一个 VGG 块（2 个卷积层），右边是完整的 VGG-11，两张图都由模型对象生成。与 AlexNet 相比，
      VGG 把“一个卷积层 + 一个汇聚层”换成了可以重复的“若干个 3×3 卷积层 + 一个汇聚层”的块。
    `,
    code`await d2l.drawArchitectures([vggBlock(2, 64, 128), vgg11], ['VGG 块', 'VGG-11'])`,
    code`
      const vgg11Params = d2l.countTrainableParams(vgg11);
      vgg11.dispose();  // 约 5 亿字节的权重，只用于查看形状和作图
      console.log('VGG-11 parameters:', vgg11Params);
    `,
    md`
      ## 7.2.3 训练模型

      VGG-11 比 AlexNet 的计算量大得多，所以书中把每层的通道数除以 4（\`ratio = 4\`）得到一个窄一些的网络，
      这对 Fashion-MNIST 已经足够。
    `,
    region('smallConvArch'),
    ...parameterCells('7.2', file),
    dataCell('7.2'),
    md`
      除了稍大的学习率（0.05），训练过程与 AlexNet 一样。
    `,
    code`const net = vgg(smallConvArch, { inputShape: [resize, resize, 1] });`,
    trainCell(),
    reportCell('7.2', 'VGG-11 (÷4)'),
    md`
      ## 7.2.4 小结

      * VGG-11 用可复用的卷积块构造网络；不同的 VGG 模型只是每个块里卷积层数和输出通道数不同。
      * 块的使用让网络的定义非常简洁，也让设计复杂网络更加高效。
      * VGG 论文发现，深而窄的卷积（多个 3×3 卷积层）比浅而宽的卷积更有效。
    `,
    exercisesCell([
      '打印层的形状时，书中的 MXNet 版本只看到 8 个结果，而不是 11 个。剩余的 3 层去哪了？（提示：看看一个块里有几层、形状是在哪一级打印的。）',
      '与 AlexNet 相比，VGG 的计算要慢得多，而且需要更多的（GPU）内存。分析其原因。',
      '尝试把 Fashion-MNIST 图像的高和宽从 224 改为 96，这对实验有什么影响？',
      '参考 VGG 论文中的表 1 构建其他常见模型，如 VGG-16 或 VGG-19。',
    ]),
  ],
};
