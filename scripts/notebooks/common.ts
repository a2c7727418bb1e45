/**
 * Cells every chapter notebook shares: imports, the parameters/profile pair (runner contract), data loading,
 * training, the result report for the runner's summary, and the exercises heading.
 *
 * tslab (the engine under our kernel) rewrites references to names from earlier cells into `exports.<name>`, and
 * gets shorthand properties wrong (`{ lr }` becomes a ReferenceError). Notebook code therefore always spells
 * properties out (`{ lr: lr }`).
 */
import { CellSpec, CodeSpec, code, md, taggedCode } from './cells';
import { bookParameters } from '../../src/profiles';

/** `import` lines and backend start-up: the first code cells of every notebook. */
export function importCells(): CellSpec[] {
  return [
    code`
      import * as tf from '@tensorflow/tfjs';
      import * as d2l from 'd2l';
    `,
    md`
      \`d2l\` 会自动挑选本机可用的最快后端（有 GPU 时用 TensorFlow，其次是原生 oneDNN 后端、WebAssembly，最后是纯 JavaScript）。
      \`d2l.backendInfo()\` 会列出每个候选后端以及不可用的原因。
    `,
    code`
      await d2l.ensureBackend();
      console.log('backend:', tf.getBackend(), '| device:', d2l.tryGpu().toString());
    `,
  ];
}

/**
 * Brings library names that the copied regions use into scope: values with `const { … } = d2l;`, types with
 * `type X = d2l.X;` (a region compiles where only `tf`, `d2l` and earlier regions exist — see the contract).
 */
export function scopeCell(values: string[], types: string[] = []): CodeSpec {
  const lines: string[] = [];
  if (values.length > 0) lines.push(`const { ${values.join(', ')} } = d2l;`);
  for (const t of types) lines.push(`type ${t} = d2l.${t};`);
  return code(lines.join('\n'));
}

function literal(value: number): string {
  return Number.isInteger(value) && Math.abs(value) < 1e15 ? String(value) : JSON.stringify(value);
}

/** The parameter names of a section, in declaration order. */
export function parameterNames(section: string): string[] {
  return Object.keys(bookParameters(section));
}

/**
 * The cell tagged `parameters` (book values, from `src/profiles.ts` so the two cannot drift), its explanation,
 * and the cell right after it that resolves the profile.
 */
export function parameterCells(section: string, file: string): CellSpec[] {
  const book = bookParameters(section);
  const hyper = Object.keys(book).filter((n) => n !== 'trainLimit' && n !== 'testLimit');
  const decl = (names: string[]) => `let ${names.map((n) => `${n} = ${literal(book[n])}`).join(', ')};`;
  const names = parameterNames(section);
  const spelled = names.map((n) => `${n}: ${n}`).join(', ');
  return [
    md`
      ### 运行参数

      下一个单元（标记为 \`parameters\`）按书中的设置给出本节的超参数。\`profile\` 决定实际采用哪一组取值：

      * \`'auto'\`（默认）：有 GPU 后端时用 \`'book'\`，否则用 \`'cpu'\`；
      * \`'book'\`：书中的完整设置，适合 GPU；
      * \`'cpu'\`：在双核 CPU 上约十分钟内能看到模型在学习（更少的轮数、训练子集、可行时更小的输入尺寸）；
      * \`'smoke'\`：几分钟内跑完，只检查整个流程（用于 CI）。

      手动改动的值（与书中取值不同的值）总会被保留。命令行中可以用
      \`d2l run --profile book -p numEpochs=5 notebooks/${file}\` 达到同样的效果。
    `,
    taggedCode(['parameters'], [
      `let profile = 'auto';`,
      decl(hyper),
      `${decl(['trainLimit', 'testLimit'])}  // 0 = 使用全部数据`,
    ].join('\n')),
    code([
      `({ ${spelled} } =`,
      `  d2l.applyProfile('${section}', profile, { ${spelled} }));`,
    ].join('\n')),
  ];
}

/** Loads Fashion-MNIST with the resolved parameters (`resize` only for sections that resize). */
export function dataCell(section: string): CodeSpec {
  const resize = 'resize' in bookParameters(section) ? 'resize' : 'undefined';
  return code`
    const [trainIter, testIter] = await d2l.loadDataFashionMnist(batchSize, ${resize}, {
      trainLimit: trainLimit || undefined, testLimit: testLimit || undefined,  // 0 = 全部
    });
    console.log('training batches per epoch:', trainIter.numBatches, '| test examples:', testIter.numExamples);
  `;
}

/** The book's training call; `resultVar` receives the returned metrics. */
export function trainCell(net = 'net', resultVar = 'metrics'): CodeSpec {
  return code`const ${resultVar} = await d2l.trainCh6(${net}, trainIter, testIter, numEpochs, lr, d2l.tryGpu());`;
}

/** Hands the run's outcome to the runner's summary table (`d2l run`, `npm start`) via `d2l.reportResult`. */
export function reportCell(section: string, model: string, net = 'net', resultVar = 'metrics'): CodeSpec {
  const resize = 'resize' in bookParameters(section) ? ' resize: resize,' : '';
  return code`
    d2l.reportResult({
      section: '${section}', model: '${model}', params: d2l.countTrainableParams(${net}),
      backend: tf.getBackend(), device: d2l.tryGpu().toString(),
      loss: ${resultVar}.trainLoss, trainAcc: ${resultVar}.trainAcc, testAcc: ${resultVar}.testAcc,
      examplesPerSec: ${resultVar}.examplesPerSec,
      profile: d2l.resolveProfileName(profile), numEpochs: numEpochs, batchSize: batchSize, lr: lr,${resize}
    });
  `;
}

/** The exercises at the end of a notebook (chapter7.md §6, in our own words). */
export function exercisesCell(items: string[]): CellSpec {
  return md(['## 练习', '', ...items.map((item, i) => `${i + 1}. ${item}`)].join('\n'));
}
