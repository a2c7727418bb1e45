import { strict as assert } from 'assert';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { newCodeCell, Notebook, parseNotebook } from '../src/jupyter/nbformat';
import { declaredParameters, injectParameters, parseParameterArg } from '../src/runner/params';
import { checkProfileName, PROFILE_CHOICES, PROFILE_NAMES, profileValues } from '../src/profiles';
import { setDisplaySink, MimeBundle } from '../src/display/protocol';
import { extractResults, reportResult, RESULT_MIME, resultText } from '../src/runner/result';
import type { NotebookRun } from '../src/runner/execute';
import { collectNotebooks, parseShard, selectShard } from '../src/runner/select';
import { firstLine } from '../src/runner/progress';
import { resultRows, resultsTable, summaryTable, textTable } from '../src/runner/summary';
import { parseRunArgs } from '../src/cli/run';
import { splitCommand } from '../src/util/cli-args';

function notebook(params: string, language = 'typescript'): Notebook {
  return {
    nbformat: 4,
    nbformat_minor: 5,
    metadata: { kernelspec: { name: 'd2l', language } },
    cells: [
      { cell_type: 'markdown', source: '# t', metadata: {} },
      { ...newCodeCell(params, { tags: ['parameters'] }), id: 'p' },
      { ...newCodeCell('console.log(1);'), id: 'c' },
    ],
  };
}

describe('runner: parameters', () => {
  it('parses -p values as JSON when they are JSON, else as strings', () => {
    assert.deepEqual(parseParameterArg('lr=0.1'), ['lr', 0.1]);
    assert.deepEqual(parseParameterArg('name=resnet'), ['name', 'resnet']);
    assert.deepEqual(parseParameterArg('flag=true'), ['flag', true]);
    assert.deepEqual(parseParameterArg('sizes=[1,2]'), ['sizes', [1, 2]]);
    assert.deepEqual(parseParameterArg('s="7"'), ['s', '7']);
    assert.deepEqual(parseParameterArg('eq=a=b'), ['eq', 'a=b']);
    assert.throws(() => parseParameterArg('novalue'), /not name=value/);
    assert.throws(() => parseParameterArg('1x=2'), /'1x' is not a variable name/);
  });

  it('finds the top-level declarations of a TypeScript parameters cell', () => {
    const src = [
      'let profile = "auto"; // auto | book | cpu | smoke',
      'let numEpochs: number | null = null, batchSize = 128;',
      'const fixed = { a: 1, b: [2, 3] };',
      'var lr =',
      '  0.1;',
      '// let commentedOut = 1;',
      'let s = "let notAName = 2";',
      'let resize: number | null',
      'function f() { let inner = 1; return inner; }',
    ].join('\n');
    assert.deepEqual(declaredParameters(src).map((p) => `${p.kind} ${p.name}`),
      ['let profile', 'let numEpochs', 'let batchSize', 'const fixed', 'var lr', 'let s', 'let resize']);
    // destructuring, as the chapter notebooks declare their settings
    const settings = "let { numEpochs, batchSize = 2, lr: rate, ...rest } = d2l.settings('7.6', profile);\nlet [a, { b }] = pair;";
    assert.deepEqual(declaredParameters(settings).map((p) => p.name), ['numEpochs', 'batchSize', 'rate', 'rest', 'a', 'b']);
  });

  it('injects assignments after the parameters cell, profile first, replacing an earlier injection', () => {
    const nb = notebook('let profile = "auto";\nlet numEpochs = 10;\nlet lr = 0.1;');
    const once = injectParameters(nb, [['profile', 'smoke'], ['numEpochs', 2], ['lr', 0.5]], 'n.ipynb');
    assert.equal(once.cells.length, 4);
    const injected = once.cells[2];
    assert.deepEqual(injected.metadata.tags, ['injected-parameters']);
    assert.equal(injected.source, '// Parameters injected by `d2l run`\nprofile = "smoke";\nnumEpochs = 2;\nlr = 0.5;');
    assert.match(String(injected.id), /^[0-9a-f]{8}$/);
    assert.equal(nb.cells.length, 3, 'the source notebook object is not modified');
    const twice = injectParameters(once, [['lr', 1]], 'n.ipynb');
    assert.equal(twice.cells.length, 4);
    assert.equal(twice.cells[2].source, '// Parameters injected by `d2l run`\nlr = 1;');
    assert.equal(injectParameters(once, [], 'n.ipynb').cells.length, 3, 'no values: an old injection is dropped');
  });

  it('rejects an unknown name, listing the declared ones', () => {
    const nb = notebook('let numEpochs = 10;\nlet lr = 0.1;');
    assert.throws(() => injectParameters(nb, [['epochs', 1]], 'n.ipynb'),
      /n\.ipynb: unknown parameter 'epochs'; the parameters cell declares numEpochs, lr\./);
  });

  it('rejects overriding a const and a notebook without a parameters cell', () => {
    assert.throws(() => injectParameters(notebook('const lr = 0.1;'), [['lr', 1]], 'n.ipynb'), /declared with const .* declare it with let/);
    const bare = notebook('let lr = 0.1;');
    bare.cells[1].metadata = {};
    assert.throws(() => injectParameters(bare, [['lr', 1]], 'n.ipynb'), /n\.ipynb has no code cell tagged 'parameters'/);
  });

  it('writes Python literals for Python notebooks', () => {
    const nb = notebook('a = 1\nb: int = 2\nif a == 1:\n    c = 3', 'python');
    const out = injectParameters(nb, [['a', true], ['b', null]], 'p.ipynb');
    assert.equal(out.cells[2].source, '# Parameters injected by `d2l run`\na = True\nb = None');
    assert.throws(() => injectParameters(nb, [['c', 1]], 'p.ipynb'), /unknown parameter 'c'; the parameters cell declares a, b\./);
  });
});

describe('runner: profiles', () => {
  it('accepts the profiles the notebooks define, plus auto (one list, src/profiles.ts)', () => {
    assert.deepEqual([...PROFILE_CHOICES].sort(), ['auto', ...PROFILE_NAMES].sort());
    for (const p of PROFILE_CHOICES) checkProfileName(p);
  });

  it('rejects an unknown profile listing the choices', () => {
    assert.throws(() => checkProfileName('fast'), /unknown profile 'fast'; choose one of auto, book, cpu, smoke/);
  });

  it('loads without TensorFlow.js, so d2l run checks and resolves profiles cheaply', () => {
    const { spawnSync } = require('child_process') as typeof import('child_process');
    const probe = `require(${JSON.stringify(path.join(__dirname, '..', 'src', 'profiles'))}).profileValues('7.6', 'smoke');` +
      "if (Object.keys(require.cache).some((f) => f.includes('@tensorflow'))) { console.error('tfjs loaded'); process.exit(1); }";
    const r = spawnSync(process.execPath, ['-r', require.resolve('ts-node/register/transpile-only'), '-e', probe], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
  });

  it('resolves --profile into the section\'s concrete values for a chapter notebook; -p overrides win', () => {
    const nb = notebook("let profile = 'auto';\nlet { numEpochs, batchSize, lr, resize, trainLimit, testLimit } = d2l.settings('7.6', profile);");
    nb.metadata.d2l = { section: '7.6' };
    const out = injectParameters(nb, [['profile', 'smoke'], ['numEpochs', 2]], '7.6-resnet.ipynb');
    const smoke = { ...profileValues('7.6', 'smoke'), numEpochs: 2 };
    assert.equal(out.cells[2].source, [
      '// Parameters injected by `d2l run`',
      "// profile 'smoke' of section 7.6 (src/profiles.ts), with numEpochs from -p; these values replace the ones above",
      'profile = "smoke";',
      ...Object.entries(smoke).map(([name, value]) => `${name} = ${value};`),
    ].join('\n'));
    // auto is decided by the kernel (GPU or not): only the name is injected, like any other notebook's
    assert.equal(injectParameters(nb, [['profile', 'auto']], 'n.ipynb').cells[2].source,
      '// Parameters injected by `d2l run`\nprofile = "auto";');
    assert.throws(() => injectParameters(nb, [['profile', 'smoke'], ['epochs', 1]], 'n.ipynb'),
      /unknown parameter 'epochs'; the parameters cell declares profile, numEpochs, batchSize, lr, resize, trainLimit, testLimit\./);
  });
});

describe('runner: selection and command line', () => {
  it('shards round-robin over the sorted list; the shards partition it', () => {
    const items = ['a', 'b', 'c', 'd', 'e', 'f', 'g'];
    const shards = [1, 2, 3].map((i) => selectShard(items, parseShard(`${i}/3`)));
    assert.deepEqual(shards, [['a', 'd', 'g'], ['b', 'e'], ['c', 'f']]);
    assert.throws(() => parseShard('0/3'), /1 ≤ i ≤ n/);
    assert.throws(() => parseShard('4/3'), /1 ≤ i ≤ n/);
    assert.throws(() => parseShard('x'), /not i\/n/);
  });

  it('takes the notebooks directly in a directory, sorted, without duplicates', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'd2l-select-'));
    for (const f of ['b.ipynb', 'a.ipynb', '.hidden.ipynb', 'notes.txt', 'sub/x.ipynb']) {
      fs.mkdirSync(path.dirname(path.join(dir, f)), { recursive: true });
      fs.writeFileSync(path.join(dir, f), '{}');
    }
    assert.deepEqual(collectNotebooks([dir, path.join(dir, 'a.ipynb')]), [path.join(dir, 'a.ipynb'), path.join(dir, 'b.ipynb')]);
    assert.deepEqual(collectNotebooks([path.join(dir, 'sub', 'x.ipynb')]), [path.join(dir, 'sub', 'x.ipynb')]);
    assert.throws(() => collectNotebooks([path.join(dir, 'missing.ipynb')]), /missing\.ipynb: no such notebook or directory/);
    fs.rmSync(path.join(dir, 'sub', 'x.ipynb'));
    assert.throws(() => collectNotebooks([path.join(dir, 'sub')]), /contains no \.ipynb notebooks/);
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('parses the options of d2l run', () => {
    const a = parseRunArgs(['nb', '--profile', 'smoke', '-p', 'lr=0.5', '--timeout=2.5', '--jobs', '2', '--shard', '1/2',
      '--allow-errors', '--kernel-cmd', 'node "my kernel.js" {connection_file}', 'nb2']);
    assert.deepEqual(a.paths, ['nb', 'nb2']);
    assert.equal(a.profile, 'smoke');
    assert.deepEqual(a.parameters, [['lr', 0.5]]);
    assert.equal(a.timeoutMs, 2500);
    assert.equal(a.jobs, 2);
    assert.equal(a.allowErrors, true);
    assert.deepEqual(a.kernelCmd, ['node', 'my kernel.js', '{connection_file}']);
    assert.equal(a.outDir, 'out');
    assert.throws(() => parseRunArgs(['--jobs', '0']), /--jobs needs a positive integer, got '0'/);
    assert.throws(() => parseRunArgs(['--profile', 'gpu']), /unknown profile 'gpu'/);
    assert.throws(() => parseRunArgs(['--frobnicate']), /unknown option '--frobnicate'/);
    assert.throws(() => parseRunArgs(['--kernel-cmd', 'node k.js']), /must contain \{connection_file\}/);
    assert.deepEqual(splitCommand(`a 'b c' "d"`), ['a', 'b c', 'd']);
  });
});

describe('runner: results and summary', () => {
  const executed = parseNotebook(JSON.stringify({
    nbformat: 4, nbformat_minor: 5, metadata: {},
    cells: [{
      cell_type: 'code', metadata: {}, source: 'train()', execution_count: 1,
      outputs: [
        { output_type: 'stream', name: 'stdout', text: 'loss 0.900, train acc 0.500, test acc 0.400\n' },
        { output_type: 'display_data', metadata: {}, data: { 'text/plain': '4321.5 examples/sec on wasm (cpu:0)' } },
        { output_type: 'display_data', metadata: {}, data: { [RESULT_MIME]: { section: '7.5', model: 'LeNet-BN', params: 61706, trainAcc: 0.91 }, 'text/plain': 'd2l result: …' } },
        { output_type: 'execute_result', execution_count: 1, metadata: {}, data: { [RESULT_MIME]: { section: '7.5', model: 'LeNet-BN (concise)', loss: 0.245, trainAcc: 0.92, testAcc: 0.893, examplesPerSec: 8021.5, device: 'native:cpu:0' }, 'text/plain': 'd2l result: …' } },
      ],
    }],
  }));
  const run = (input: string, results = extractResults(executed)): NotebookRun =>
    ({ input, output: `out/${input}`, status: 'ok', durationMs: 61_000, failures: [], results });

  it('reads the reported results only (printed lines are not results)', () => {
    assert.deepEqual(extractResults(executed), [
      { section: '7.5', model: 'LeNet-BN', params: 61706, trainAcc: 0.91 },
      { section: '7.5', model: 'LeNet-BN (concise)', loss: 0.245, trainAcc: 0.92, testAcc: 0.893, examplesPerSec: 8021.5, device: 'native:cpu:0' },
    ]);
    assert.deepEqual(resultRows([run('a.ipynb', []), run('b.ipynb')]).map((r) => r.model), ['LeNet-BN', 'LeNet-BN (concise)']);
  });

  it('shows each notebook\'s last result in its summary row, and "-" for a notebook that reported none', () => {
    const lines = summaryTable([run('7.5-batch-norm.ipynb'), run('plain.ipynb', [])]).split('\n');
    assert.match(lines[0], /^notebook\s+status\s+duration\s+loss\s+train acc\s+test acc\s+examples\/sec$/);
    assert.match(lines[2], /^7\.5-batch-norm\.ipynb\s+ok\s+\S+\s+0\.245\s+0\.920\s+0\.893\s+8021\.5 on native:cpu:0$/);
    assert.match(lines[3], /^plain\.ipynb\s+ok\s+\S+\s+-\s+-\s+-\s+-$/);
  });

  it('renders the reported results as a table', () => {
    const results = extractResults(executed).slice(0, 1);
    const lines = resultsTable(results).split('\n');
    assert.match(lines[0], /^section\s+model\s+parameters\s+backend\s+profile\s+examples\/sec\s+train acc\s+test acc$/);
    assert.match(lines[2], /^7\.5\s+LeNet-BN\s+61\.7k\s+-\s+-\s+-\s+0\.910\s+-$/);
    assert.equal(resultText({ section: '7.5', model: 'LeNet-BN', trainAcc: 0.91 }),
      'd2l result: section 7.5, model LeNet-BN, loss -, train acc 0.910, test acc -');
  });

  it('labels a cell by its first line of code', () => {
    assert.equal(firstLine('/**\n * Doc.\n */\nfunction vggBlock() {}'), 'function vggBlock() {}');
    assert.equal(firstLine('// only a comment'), '// only a comment');
    assert.equal(firstLine(`const x = ${'1 + '.repeat(30)}1;`, 20), 'const x = 1 + 1 + 1…');
  });

  it('pads table columns', () => {
    assert.equal(textTable(['a', 'bb'], [['xxx', '1'], ['y', '22']], [false, true]), 'a    bb\n---  --\nxxx   1\ny    22');
  });

  it('reportResult shows the result as its MIME type plus a text line', () => {
    const shown: MimeBundle[] = [];
    setDisplaySink({ display: (data) => shown.push(data), clearOutput: () => undefined });
    try {
      reportResult({ section: '7.6', model: 'ResNet-18', params: 11_178_378, backend: 'wasm', testAcc: 0.9, examplesPerSec: 250.04, device: 'cpu:0' });
    } finally {
      setDisplaySink(null);
    }
    assert.equal(shown.length, 1);
    assert.deepEqual(shown[0][RESULT_MIME], { section: '7.6', model: 'ResNet-18', params: 11_178_378, backend: 'wasm', testAcc: 0.9, examplesPerSec: 250.04, device: 'cpu:0' });
    assert.equal(shown[0]['text/plain'],
      'd2l result: section 7.6, model ResNet-18, params 11178378, backend wasm, loss -, train acc -, test acc 0.900, 250.0 examples/sec on cpu:0');
    assert.throws(() => reportResult({ model: 'x' } as any), /reportResult needs at least \{section: string, model: string\}/);
  });
});
