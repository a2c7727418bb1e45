/**
 * The committed chapter notebooks: generated (one source with the library), clean (no outputs), deterministically
 * formatted, with the runner's `parameters` cell at the book's values and the content issue 5 asks for.
 */
import { strict as assert } from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import { NOTEBOOK_DIR, generateAll } from '../scripts/notebooks/build';
import { cellId, serializeNotebook, toSourceLines } from '../scripts/notebooks/format';
import { collectRegions, parseRegions, regionCellSource } from '../scripts/notebooks/regions';
import { joinCjkLines } from '../scripts/notebooks/cells';
import { applyProfile, bookParameters } from '../src/profiles';

interface Cell {
  cell_type: string; id: string; metadata: Record<string, any>; source: string[];
  outputs?: unknown[]; execution_count?: unknown;
}
interface Notebook { cells: Cell[]; metadata: Record<string, any>; nbformat: number; nbformat_minor: number }

const ROOT = path.resolve(__dirname, '..');
/** Sections and their notebooks, with the number of exercises in chapter7.md §6. */
const SECTIONS: { section: string; file: string; exercises: number }[] = [
  { section: '7.1', file: '7.1-alexnet.ipynb', exercises: 5 },
  { section: '7.2', file: '7.2-vgg.ipynb', exercises: 4 },
  { section: '7.3', file: '7.3-nin.ipynb', exercises: 4 },
  { section: '7.4', file: '7.4-googlenet.ipynb', exercises: 3 },
  { section: '7.5', file: '7.5-batch-norm.ipynb', exercises: 7 },
  { section: '7.6', file: '7.6-resnet.ipynb', exercises: 5 },
  { section: '7.7', file: '7.7-densenet.ipynb', exercises: 5 },
];

function read(file: string): { text: string; nb: Notebook } {
  const text = fs.readFileSync(path.join(NOTEBOOK_DIR, file), 'utf8');
  return { text, nb: JSON.parse(text) as Notebook };
}
const src = (c: Cell) => c.source.join('');
const codeCells = (nb: Notebook) => nb.cells.filter((c) => c.cell_type === 'code');
const allCode = (nb: Notebook) => codeCells(nb).map(src).join('\n');
const allMarkdown = (nb: Notebook) => nb.cells.filter((c) => c.cell_type === 'markdown').map(src).join('\n');

/** Parses `let a = 1, b = 'x';` lines into name → value (numbers and quoted strings). */
function parseLets(source: string): Record<string, number | string> {
  const values: Record<string, number | string> = {};
  for (const line of source.split('\n')) {
    const m = /^let\s+(.*?);/.exec(line.trim());
    if (!m) continue;
    for (const part of m[1].split(',')) {
      const [name, raw] = part.split('=').map((s) => s.trim());
      values[name] = /^['"]/.test(raw) ? raw.slice(1, -1) : Number(raw);
    }
  }
  return values;
}

describe('chapter notebooks', () => {
  const generated = generateAll();

  it('are exactly what the generator writes (run scripts/notebooks/build.ts after editing)', () => {
    assert.deepEqual([...generated.keys()].sort(), SECTIONS.map((s) => s.file).sort());
    for (const [file, content] of generated) {
      assert.equal(fs.readFileSync(path.join(NOTEBOOK_DIR, file), 'utf8'), content, `${file} is stale`);
    }
    const onDisk = fs.readdirSync(NOTEBOOK_DIR).filter((f) => f.endsWith('.ipynb')).sort();
    assert.deepEqual(onDisk, [...generated.keys()].sort(), 'a notebook in notebooks/ has no generator source');
  });

  it('generate the same bytes twice', () => {
    assert.deepEqual(generateAll(), generated);
  });

  for (const { section, file, exercises } of SECTIONS) {
    describe(file, () => {
      const { text, nb } = read(file);

      it('is nbformat 4.5 for our kernel, formatted like Jupyter saves it', () => {
        assert.equal(nb.nbformat, 4);
        assert.equal(nb.nbformat_minor, 5);
        assert.deepEqual(nb.metadata.kernelspec, { display_name: 'TypeScript (d2l)', language: 'typescript', name: 'd2l' });
        assert.equal(nb.metadata.language_info.name, 'typescript');
        // sort_keys=True, indent=1, ensure_ascii=False, trailing newline
        assert.equal(text, `${JSON.stringify(JSON.parse(text), Object.keys(flattenKeys(nb)).sort(), 1)}\n`);
        assert.equal(text, serializeNotebook(nb));
      });

      it('has no outputs, null execution counts and unique stable cell ids', () => {
        for (const c of codeCells(nb)) {
          assert.deepEqual(c.outputs, []);
          assert.equal(c.execution_count, null);
        }
        const ids = nb.cells.map((c) => c.id);
        assert.equal(new Set(ids).size, ids.length);
        ids.forEach((id, i) => {
          assert.match(id, /^[a-zA-Z0-9_-]{1,64}$/);
          assert.equal(id, cellId(file, i));
        });
      });

      it('copies every library region verbatim (one source)', () => {
        const regions = collectRegions(ROOT);
        const regionCells = nb.cells.filter((c) => c.metadata.d2l?.region);
        assert.ok(regionCells.length > 0);
        for (const c of regionCells) {
          const r = regions.get(c.metadata.d2l.region);
          assert.ok(r, `region book:${c.metadata.d2l.region} is gone from src/`);
          assert.equal(c.metadata.d2l.source, r.file);
          assert.equal(src(c), regionCellSource(r));
          // Read independently of the generator: the library text between the markers, minus a leading `export`
          const expected = r.body
            .replace(/^export (?=(async )?(function|class|const|let|type|interface|enum|abstract))/gm, '')
            .replace(/^\n+|\n+$/g, '');
          assert.equal(src(c), expected);
        }
      });

      it('has one parameters cell at the book values, followed by the profile cell', () => {
        const params = nb.cells.filter((c) => (c.metadata.tags ?? []).includes('parameters'));
        assert.equal(params.length, 1);
        const values = parseLets(src(params[0]));
        assert.equal(values.profile, 'auto');
        const { profile, ...hyper } = values;
        assert.deepEqual(Object.keys(hyper).sort(), Object.keys(bookParameters(section)).sort());
        const numeric = hyper as Record<string, number>;
        assert.deepEqual(applyProfile(section, 'book', numeric, { log: () => undefined }), numeric);
        const next = nb.cells[nb.cells.indexOf(params[0]) + 1];
        assert.equal(next.cell_type, 'code');
        assert.ok(src(next).includes(`d2l.applyProfile('${section}', profile, {`));
        for (const name of Object.keys(hyper)) assert.ok(src(next).includes(`${name}: ${name}`), name);
      });

      it('shows the definitions, shapes, figure, training run and result report', () => {
        const code = allCode(nb);
        assert.ok(code.includes("import * as tf from '@tensorflow/tfjs';"));
        assert.ok(code.includes("import * as d2l from 'd2l';"));
        assert.match(code, /d2l\.printLayerShapes\(/);
        assert.match(code, /d2l\.drawArchitectures?\(/);
        assert.match(code, /await d2l\.loadDataFashionMnist\(batchSize, /);
        assert.match(code, /await d2l\.trainCh6\(\w+, trainIter, testIter, numEpochs, lr, d2l\.tryGpu\(\)\)/);
        assert.match(code, /d2l\.reportResult\(\{\s*section: '7\.\d'/);
        // tslab turns shorthand properties of earlier cells' names into ReferenceErrors: none in our code cells
        assert.doesNotMatch(code, /\{\s*(numEpochs|batchSize|lr|resize|trainLimit|testLimit)\s*[,}]/);
      });

      it(`ends with the section's ${exercises} exercises`, () => {
        const last = src(nb.cells[nb.cells.length - 1]);
        assert.ok(last.startsWith('## 练习'));
        assert.equal(last.split('\n').filter((l) => /^\d+\. /.test(l)).length, exercises);
      });
    });
  }

  it('7.1 contrasts LeNet (10 digit classes) and AlexNet (1000 ImageNet classes)', () => {
    const { nb } = read('7.1-alexnet.ipynb');
    assert.match(allMarkdown(nb), /10 类/);
    assert.match(allMarkdown(nb), /1000 类/);
    assert.match(allCode(nb), /drawArchitectures\(\[lenet, alexnet224\]/);
  });

  it('7.5 shows the scratch batchNorm, trains both LeNet-BN variants and prints gamma/beta', () => {
    const { nb } = read('7.5-batch-norm.ipynb');
    const regions = nb.cells.map((c) => c.metadata.d2l?.region).filter(Boolean);
    for (const name of ['batchNorm', 'BatchNorm', 'lenetBN', 'lenetBNConcise']) assert.ok(regions.includes(name), name);
    assert.equal((allCode(nb).match(/await d2l\.trainCh6\(/g) ?? []).length, 2);
    assert.match(allCode(nb), /\.gamma\.read\(\)\.reshape\(\[-1\]\)\.print\(\)/);
    assert.match(allCode(nb), /\.beta\.read\(\)\.reshape\(\[-1\]\)\.print\(\)/);
  });

  it('7.6 explains the residual split and the fixed point, and runs the block shape tests', () => {
    const { nb } = read('7.6-resnet.ipynb');
    assert.ok(allMarkdown(nb).includes('f(\\mathbf{x}) = \\mathbf{x} + \\big(f(\\mathbf{x}) - \\mathbf{x}\\big)'));
    assert.match(allMarkdown(nb), /不动点/);
    const code = allCode(nb);
    assert.match(code, /new Residual\(3\);\s*const X = tf\.randomUniform\(\[4, 6, 6, 3\]\)/);
    assert.match(code, /new Residual\(6, \{ use1x1conv: true, strides: 2 \}\)/);
  });

  it('7.7 runs the dense block and transition block shape tests', () => {
    const code = allCode(read('7.7-densenet.ipynb').nb);
    assert.match(code, /new DenseBlock\(2, 10\);\s*const X = tf\.randomUniform\(\[4, 8, 8, 3\]\)/);
    assert.match(code, /transitionBlock\(23, 10\)/);
  });
});

describe('notebook generator helpers', () => {
  it('splits cell text into nbformat source lines', () => {
    assert.deepEqual(toSourceLines('a\nb\n\nc'), ['a\n', 'b\n', '\n', 'c']);
    assert.deepEqual(toSourceLines(''), []);
  });

  it('joins hard-wrapped Chinese lines but keeps block structure', () => {
    assert.equal(joinCjkLines('第一行\n第二行'), '第一行第二行');
    assert.equal(joinCjkLines('用\n$x$ 表示'), '用 $x$ 表示');
    assert.equal(joinCjkLines('列表：\n* 一\n* 二'), '列表：\n* 一\n* 二');
    assert.equal(joinCjkLines('段落。\n\n下一段'), '段落。\n\n下一段');
    assert.equal(joinCjkLines('English\nline'), 'English\nline');
  });

  it('parses regions and rejects unclosed or crossed markers', () => {
    const ok = parseRegions('x\n// #region book:a\nexport function a() {}\n// #endregion book:a\n', 'f.ts');
    assert.equal(ok.length, 1);
    assert.equal(regionCellSource(ok[0]), 'function a() {}');
    assert.throws(() => parseRegions('// #region book:a\ncode\n', 'f.ts'), /never closed/);
    assert.throws(() => parseRegions('// #region book:a\n// #endregion book:b\n', 'f.ts'), /does not close/);
  });
});

/** Every key used anywhere in the notebook (so JSON.stringify with a sorted key list reproduces sort_keys). */
function flattenKeys(value: unknown, keys: Record<string, true> = {}): Record<string, true> {
  if (Array.isArray(value)) value.forEach((v) => flattenKeys(v, keys));
  else if (value !== null && typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) {
      keys[k] = true;
      flattenKeys(v, keys);
    }
  }
  return keys;
}
