/** Exercises 7.2 (VGG): VGG-16/19 from the paper's table, their parameter counts, the effect of a 96×96 input. */
import { answer, commonSetup, ExerciseNotebook, md, solution, tests } from './cells';

export const vggExercises: ExerciseNotebook = {
  file: '7.2-vgg-exercises.ipynb',
  cells: [
    md('intro')`
      # 7.2 使用块的网络（VGG）：练习

      请只在标有 \`// YOUR CODE HERE\` 的单元格里作答；其他单元格在评分时会被恢复。测试单元格里的检查是公开的一部分，
      评分时还会运行隐藏的检查。本练习只做形状和参数的计算，不训练网络。
    `,
    commonSetup(),
    md('ex1-md')`
      ## 练习 1：VGG-16 与 VGG-19（3 分）

      按 VGG 论文表 1 的 D 列（VGG-16）和 E 列（VGG-19），用书中 \`conv_arch\` 的格式（每个块一项：\`[卷积层数, 输出通道数]\`）
      写出两者的卷积部分。书中的 VGG-11 是 \`[[1, 64], [1, 128], [2, 256], [2, 512], [2, 512]]\`。
    `,
    solution('ex1-solution')`
      type ConvArch = [number, number][];
      function vgg16Arch(): ConvArch {
        // BEGIN SOLUTION
        return [[2, 64], [2, 128], [3, 256], [3, 512], [3, 512]];
        // END SOLUTION
      }
      function vgg19Arch(): ConvArch {
        // BEGIN SOLUTION
        return [[2, 64], [2, 128], [4, 256], [4, 512], [4, 512]];
        // END SOLUTION
      }
    `,
    tests('ex1-tests', 3)`
      const convCount = (arch: ConvArch) => arch.reduce((n, [c]) => n + c, 0);
      assert.strictEqual(convCount(vgg16Arch()) + 3, 16, 'VGG-16 has 13 conv + 3 dense layers');
      assert.strictEqual(convCount(vgg19Arch()) + 3, 19, 'VGG-19 has 16 conv + 3 dense layers');
      // BEGIN HIDDEN TESTS
      d2l.check(vgg16Arch().map(([n, ch]) => [n, ch]), [[2, 64], [2, 128], [3, 256], [3, 512], [3, 512]]);
      d2l.check(vgg19Arch().map(([n, ch]) => [n, ch]), [[2, 64], [2, 128], [4, 256], [4, 512], [4, 512]]);
      // END HIDDEN TESTS
    `,
    md('ex2-md')`
      ## 练习 2：参数数量（4 分）

      实现 \`vggConvParams(arch, inChannels)\`（所有 3×3 卷积层的参数，含偏置）和
      \`vggParams(arch, inChannels, size, numClasses)\`（整个网络：卷积部分，再加书中的三个全连接层 4096 → 4096 → numClasses；
      5 个汇聚层把 size 缩小 32 倍）。书中单通道 224×224、10 类的 VGG-11 有 128,806,154 个参数。
    `,
    solution('ex2-solution')`
      function vggConvParams(arch: ConvArch, inChannels: number): number {
        // BEGIN SOLUTION
        let total = 0, c = inChannels;
        for (const [numConvs, out] of arch) {
          for (let i = 0; i < numConvs; i++) { total += c * out * 9 + out; c = out; }
        }
        return total;
        // END SOLUTION
      }
      function vggParams(arch: ConvArch, inChannels = 1, size = 224, numClasses = 10): number {
        // BEGIN SOLUTION
        const last = arch[arch.length - 1][1];
        const flat = last * Math.floor(size / 32) ** 2;
        return vggConvParams(arch, inChannels) + flat * 4096 + 4096 + 4096 * 4096 + 4096 + 4096 * numClasses + numClasses;
        // END SOLUTION
      }
    `,
    tests('ex2-tests', 4)`
      assert.strictEqual(vggParams(d2l.convArch), 128806154);
      // BEGIN HIDDEN TESTS
      // the conv part, as d2l.vggBlock builds it: 3 → 4 → 4, 4 → 8, 8 → 6 → 6 → 6 channels
      d2l.check(vggConvParams([[2, 4], [1, 8], [3, 6]], 3), (3 * 4 + 4 * 4 + 4 * 8 + 8 * 6 + 2 * 6 * 6) * 9 + 4 + 4 + 8 + 3 * 6);
      // VGG-16/19 as in the paper (3 channels, 1000 classes): the well-known 138,357,544 and 143,667,240
      d2l.check(vggParams(vgg16Arch(), 3, 224, 1000), 138357544);
      d2l.check(vggParams(vgg19Arch(), 3, 224, 1000), 143667240);
      d2l.check(vggParams(vgg16Arch()), 134300362);
      // END HIDDEN TESTS
    `,
    md('ex3-md')`
      ## 练习 3：把输入从 224 改成 96（3 分）

      实现 \`vggFlatten(arch, size)\`：\`Flatten\` 层输出的长度。输入从 224×224 变成 96×96 时，VGG-11 的第一个全连接层
      少了多少参数（\`fcSavedAt96()\`）？
    `,
    solution('ex3-solution')`
      function vggFlatten(arch: ConvArch, size: number): number {
        // BEGIN SOLUTION
        return arch[arch.length - 1][1] * Math.floor(size / 32) ** 2;
        // END SOLUTION
      }
      function fcSavedAt96(): number {
        // BEGIN SOLUTION
        return (vggFlatten(d2l.convArch, 224) - vggFlatten(d2l.convArch, 96)) * 4096;
        // END SOLUTION
      }
    `,
    tests('ex3-tests', 3)`
      assert.strictEqual(vggFlatten(d2l.convArch, 224), 25088);
      // BEGIN HIDDEN TESTS
      d2l.check(vggFlatten(d2l.convArch, 96), 4608);
      d2l.check(vggFlatten(d2l.smallConvArch, 96), 1152);
      d2l.check(fcSavedAt96(), (25088 - 4608) * 4096);
      // a thin VGG's symbolic shape walk ends in 3 × 3 × 4
      d2l.check(vggFlatten([[1, 2], [1, 2], [1, 2], [1, 2], [1, 4]], 96), 36);
      // END HIDDEN TESTS
    `,
    md('q1-md')`
      ## 问答 1（2 分）

      打印 VGG-11 各层的形状时，PyTorch 版本输出 13 行，而卷积层和全连接层一共 11 个。这些行分别对应什么？
      为什么层数（11）和打印的行数不一样？
    `,
    answer('q1-answer', 2)`
      打印循环只遍历最外层的 \`Sequential\`：5 个 VGG 块各打印一行（块内的 8 个卷积层和汇聚层不单独打印），
      然后是 \`Flatten\`、3 个全连接层、2 个 ReLU 和 2 个暂退层，共 5 + 8 = 13 行。“11 层”只数有参数的层（8 个卷积层和 3 个全连接层）。
    `,
    md('q2-md')`
      ## 问答 2（2 分）

      与 AlexNet 相比，VGG 的计算要慢得多，也需要更多的显存。分析原因。
    `,
    answer('q2-answer', 2)`
      VGG 在高分辨率的特征图上连续堆叠 3×3 卷积，且通道数更多（第一块在 224×224 上就有 64 个通道），乘加次数是 AlexNet 的十几倍；
      每个卷积层的输出都要保存用于反向传播，激活值占用的显存随之增大；第一个全连接层输入 25,088 维，参数也比 AlexNet 多。
    `,
  ],
};
