/**
 * The committed chapter notebooks: generated from their Markdown sources (one source with the library), clean (no
 * outputs), deterministically formatted, with the runner's `parameters` cell for the section and the content
 * issue 5 asks for; and the source format itself.
 */
import { strict as assert } from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import { NOTEBOOK_DIR, SOURCE_DIR, generateAll } from '../scripts/notebooks/build';
import { cellId } from '../scripts/notebooks/format';
import { collectRegions, parseRegions, regionCellSource, regionScope } from '../scripts/notebooks/regions';
import { parseSource, readSource, SourceError } from '../scripts/notebooks/source';
import { exerciseNotebook } from '../scripts/exercises/cells';
import { parseNotebook, serializeNotebook, splitLines } from '../src/jupyter/nbformat';
import { bookParameters } from '../src/profiles';

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

/** Parses `a = 1, b = 0.05` into name → number. */
function parseAssignments(text: string): Record<string, number | string> {
  return Object.fromEntries(text.split(',').map((part) => {
    const [name, raw] = part.split('=').map((x) => x.trim());
    const quoted = /^'(.*)'$/.exec(raw);
    return [name, quoted ? quoted[1] : Number(raw)];
  }));
}

describe('chapter notebooks', () => {
  const generated = generateAll();

  it('are exactly what the generator writes from notebooks/src/*.md (run npm run notebooks after editing)', () => {
    assert.deepEqual([...generated.keys()].sort(), SECTIONS.map((s) => s.file).sort());
    const sources = fs.readdirSync(SOURCE_DIR).filter((f) => /^7\.\d-.*\.md$/.test(f)).sort();
    assert.deepEqual(sources, SECTIONS.map((s) => s.file.replace(/\.ipynb$/, '.md')).sort());
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
        assert.deepEqual(nb.metadata.d2l, { section }, 'the runner resolves --profile from metadata.d2l.section');
        // sort_keys=True, indent=1, ensure_ascii=False, trailing newline
        assert.equal(text, `${JSON.stringify(JSON.parse(text), Object.keys(flattenKeys(nb)).sort(), 1)}\n`);
        assert.equal(text, serializeNotebook(parseNotebook(text)));
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

      it('has one parameters cell: profile auto, the section\'s settings from one call, the book values noted', () => {
        const params = nb.cells.filter((c) => (c.metadata.tags ?? []).includes('parameters'));
        assert.equal(params.length, 1);
        const [profileLine, comment, call, ...rest] = src(params[0]).split('\n');
        assert.equal(profileLine, "let profile = 'auto';");
        assert.deepEqual(rest, []);
        const names = Object.keys(bookParameters(section));
        assert.equal(call, `let { ${names.join(', ')} } = d2l.settings('${section}', profile);`);
        const book: Record<string, unknown> = bookParameters(section);
        const noted = parseAssignments(comment.replace(/^\/\/ 书中的设置：/, ''));
        assert.deepEqual(noted, Object.fromEntries(names.filter((n) => !/Limit$/.test(n)).map((n) => [n, book[n]])));
        // The settings are resolved in that one place (the runner injects its values right after it)
        const resolving = codeCells(nb).filter((c) => /d2l\.(settings|applyProfile)\(/.test(src(c)));
        assert.deepEqual(resolving, params);
      });

      it('shows the definitions, shapes, figure, training run and result report', () => {
        const code = allCode(nb);
        assert.ok(code.includes("import * as tf from '@tensorflow/tfjs';"));
        assert.ok(code.includes("import * as d2l from 'd2l';"));
        assert.match(code, /d2l\.printLayerShapes\(/);
        assert.match(code, /d2l\.drawArchitectures?\(/);
        assert.match(code, /await d2l\.loadDataFashionMnist\(batchSize, /);
        assert.match(code, /await d2l\.trainCh6\(\w+, trainIter, testIter, numEpochs, lr, d2l\.tryGpu\(\)(, \{ init: init \})?\)/);
        assert.match(code, /d2l\.reportResult\(\{\s*section: '7\.\d'/);
        // tslab turns shorthand properties of earlier cells' names into ReferenceErrors: none in our code cells
        // (the parameters cell's `let { … } =` declares the names, which tslab compiles correctly)
        const others = codeCells(nb).filter((c) => !(c.metadata.tags ?? []).includes('parameters')).map(src).join('\n');
        assert.doesNotMatch(others, /\{\s*(numEpochs|batchSize|lr|resize|trainLimit|testLimit|init)\s*[,}]/);
        // every training setting reaches the report
        const report = codeCells(nb).map(src).filter((c) => c.includes('d2l.reportResult(')).join('\n');
        for (const name of Object.keys(bookParameters(section)).filter((n) => !/Limit$/.test(n))) {
          assert.ok(report.includes(`${name}: ${name}`), `reportResult gets ${name}`);
        }
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

describe('notebook sources and generator', () => {
  it('splits cell text into nbformat source lines', () => {
    assert.deepEqual(splitLines('a\nb\n\nc'), ['a\n', 'b\n', '\n', 'c']);
    assert.deepEqual(splitLines(''), []);
  });

  it('reads prose, +++ breaks, ts fences and directives with options (other fences stay prose)', () => {
    const doc = parseSource([
      '---', 'section: 7.6', '---', '', '# Title', '', 'Prose with `code`.', '', '```text', '+++ not a break', '```',
      '+++', 'Second cell.', '', '```ts', 'const x = 1;', '', 'x', '```', '```{region} Residual', '```', '',
      '````{tests} t1', ':points: 2', 'a();', '```{hidden-tests}', 'b();', '```', '````', ':::{answer} q', ':points: 1',
      'Because.', ':::',
    ].join('\n'), 'x.md');
    assert.deepEqual(doc.meta, { section: '7.6' });
    assert.deepEqual(doc.blocks.map((b) => (b.kind === 'directive' ? `{${b.name}} ${b.arg}` : b.kind)),
      ['markdown', 'markdown', 'code', '{region} Residual', '{tests} t1', '{answer} q']);
    assert.equal((doc.blocks[0] as { text: string }).text, '# Title\n\nProse with `code`.\n\n```text\n+++ not a break\n```');
    assert.equal((doc.blocks[2] as { text: string }).text, 'const x = 1;\n\nx');
    const tests = doc.blocks[4] as { options: Record<string, string>; body: string; at: { line: number } };
    assert.deepEqual(tests.options, { points: '2' });
    assert.equal(tests.body, 'a();\n```{hidden-tests}\nb();\n```');
    assert.equal(tests.at.line, 23);
  });

  it('rejects unclosed fences and front matter, naming file and line', () => {
    assert.throws(() => parseSource('text\n```ts\nx', 'a.md'), /^SourceError: a\.md:2: '```ts' is never closed/);
    assert.throws(() => parseSource('---\nsection 7.1\n---', 'b.md'), /b\.md:2: front matter line is not 'key: value'/);
    assert.throws(() => parseSource('```text\nnever closed', 'c.md'), SourceError);
  });

  it('expands includes, substituting {{ name }} in their prose', () => {
    const doc = readSource(path.join(SOURCE_DIR, '7.6-resnet.md'), path.resolve(__dirname, '..'), { file: '7.6-resnet.ipynb' });
    const prose = doc.blocks.filter((b) => b.kind === 'markdown').map((b) => (b as { text: string }).text).join('\n');
    assert.ok(prose.includes('notebooks/7.6-resnet.ipynb'));
    assert.ok(!prose.includes('{{'));
    assert.ok(doc.blocks.some((b) => b.kind === 'directive' && b.name === 'parameters'));
    assert.ok(!doc.blocks.some((b) => b.kind === 'directive' && b.name === 'include'));
  });

  it('builds exercise cells with nbgrader roles; hidden tests go between the markers', () => {
    const doc = parseSource([':::{exercise} intro', 'Do it.', ':::', '````{tests} t', ':points: 3', 'a();',
      '```{hidden-tests}', 'b();', '```', 'c();', '````'].join('\n'), 'e.md');
    const [intro, tests] = exerciseNotebook(doc, 'e.ipynb').cells;
    assert.deepEqual(intro.metadata.nbgrader, { grade: false, grade_id: 'intro', locked: true, schema_version: 3, solution: false, task: false });
    assert.equal(tests.source, 'a();\n// BEGIN HIDDEN TESTS\nb();\n// END HIDDEN TESTS\nc();');
    assert.deepEqual(tests.metadata.nbgrader, { grade: true, grade_id: 't', locked: true, points: 3, schema_version: 3, solution: false, task: false });
    assert.throws(() => exerciseNotebook(parseSource('Just prose.', 'p.md'), 'p.ipynb'), /p\.md:1: every cell of an exercise notebook needs a role/);
    assert.throws(() => exerciseNotebook(parseSource('```{tests} t\nx\n```', 'q.md'), 'q.ipynb'), /q\.md:1: \{tests\} t needs ':points: N'/);
  });

  it('parses regions and rejects unclosed or crossed markers', () => {
    const ok = parseRegions('x\n// #region book:a\nexport function a() {}\n// #endregion book:a\n', 'f.ts');
    assert.equal(ok.length, 1);
    assert.equal(regionCellSource(ok[0]), 'function a() {}');
    assert.throws(() => parseRegions('// #region book:a\ncode\n', 'f.ts'), /never closed/);
    assert.throws(() => parseRegions('// #region book:a\n// #endregion book:b\n', 'f.ts'), /does not close/);
  });

  it('finds the library names a region uses from its file\'s imports and exports (values and types apart)', () => {
    const file = [
      "import * as tf from '@tensorflow/tfjs';",
      "import { Base, Args, helper, unused } from './lib';",
      'export interface Opts extends Args { k?: number }',
      'function notExported() {}',
      '// #region book:Block',
      'class Block extends Base {',
      '  readonly helper = 1;',
      '  constructor(o: Opts, a: Args = {}) { super(a); this.x = helper(o.k, tf.ones([1])); }',
      '}',
      'const local = { Base: 1 }.Base;',
      '// #endregion book:Block',
      'export { Block };',
    ].join('\n');
    const [region] = parseRegions(file, 'lib/block.ts');
    const { uses, declares } = regionScope(region, file, [region]);
    assert.deepEqual(uses.map((u) => `${u.name}:${u.value ? 'v' : ''}${u.type ? 't' : ''}`), ['Base:v', 'Args:t', 'helper:v', 'Opts:t']);
    assert.deepEqual(declares, ['Block', 'local']);
  });

  it('uses every book region of the library in some notebook (none kept for nothing)', () => {
    const shown = new Set<string>();
    for (const text of generateAll().values()) {
      for (const c of (JSON.parse(text) as Notebook).cells) if (c.metadata.d2l?.region) shown.add(c.metadata.d2l.region);
    }
    assert.deepEqual([...collectRegions(ROOT).keys()].filter((name) => !shown.has(name)), []);
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
