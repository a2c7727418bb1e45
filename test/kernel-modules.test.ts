/**
 * `import 'd2l'` and `import '@tensorflow/tfjs'` in a notebook in any folder: the kernel started in an empty
 * folder with no node_modules anywhere above it resolves both to d2l's own copies (types and code), a folder's
 * own packages still win for everything else, and a second tfjs-core is refused with one clear message.
 */
import { strict as assert } from 'assert';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { ROOT, TestKernel } from './kernel/harness';
import { nativeUnavailableReason } from './native-helpers';
import type { Message } from '../src/jupyter/wire';

/** What the cell printed on stdout, parsed as JSON. */
function printedJson(outputs: Message[]): any {
  const text = outputs.filter((m) => m.header.msg_type === 'stream' && m.content.name === 'stdout').map((m) => m.content.text).join('');
  return JSON.parse(text);
}

function resultOf(outputs: Message[]): string {
  const r = outputs.find((m) => m.header.msg_type === 'execute_result');
  if (!r) throw new Error(`no result: ${JSON.stringify(outputs.map((m) => m.content))}`);
  return String(r.content.data['text/plain']);
}

/** A new folder with no node_modules in it or in any folder above it. */
function isolatedFolder(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'd2l-any-folder-'));
  for (let d = path.dirname(dir); d !== path.dirname(d); d = path.dirname(d)) {
    assert.ok(!fs.existsSync(path.join(d, 'node_modules')), `${d}/node_modules exists: the test needs a folder without one above it`);
  }
  return dir;
}

function writePackage(dir: string, name: string, files: Record<string, string>): void {
  const pkg = path.join(dir, 'node_modules', ...name.split('/'));
  fs.mkdirSync(pkg, { recursive: true });
  for (const [file, text] of Object.entries(files)) fs.writeFileSync(path.join(pkg, file), text);
}

describe('a notebook in a folder without d2l installed', function () {
  this.timeout(180_000);
  let k: TestKernel;
  let folder: string;

  before(async () => {
    folder = isolatedFolder();
    k = await TestKernel.start({ cwd: folder });
  });
  after(async () => {
    await k?.stop();
    fs.rmSync(folder, { recursive: true, force: true });
  });

  it("imports d2l and @tensorflow/tfjs from d2l's own install, type-checked", async () => {
    const { reply, outputs } = await k.run([
      "import * as tf from '@tensorflow/tfjs';",
      "import * as d2l from 'd2l';",
      'const shape: number[] = d2l.lenetBN().outputs[0].shape.slice(1) as number[];',
      "console.log(JSON.stringify([require.resolve('d2l'), require.resolve('@tensorflow/tfjs-core'), process.cwd(), shape]));",
    ].join('\n'));
    assert.equal(reply.content.status, 'ok', JSON.stringify(outputs.map((m) => m.content)));
    const [d2lFile, coreFile, cwd, shape] = printedJson(outputs);
    assert.ok(d2lFile.startsWith(ROOT + path.sep), `d2l resolved to ${d2lFile}`);
    assert.equal(path.dirname(path.dirname(coreFile)), path.dirname(require.resolve('@tensorflow/tfjs-core/package.json', { paths: [ROOT] })));
    assert.equal(fs.realpathSync(cwd), fs.realpathSync(folder));
    assert.deepEqual(shape, [10]);
  });

  it('trains one step on the native backend', async function () {
    if (nativeUnavailableReason !== null && process.env.D2L_REQUIRE_NATIVE !== '1') this.skip(); // native not built here
    const { reply, outputs } = await k.run([
      'const [trainIter, testIter] = await d2l.loadDataFashionMnist(64, undefined, { trainLimit: 64, testLimit: 64, seed: 3 });',
      'const r = await d2l.trainCh6(d2l.lenetBN(), trainIter, testIter, 1, 0.5, d2l.tryGpu(), { verbose: false, seed: 3 });',
      'JSON.stringify([tf.getBackend(), r.history.length, Number.isFinite(r.trainLoss)])',
    ].join('\n'));
    assert.equal(reply.content.status, 'ok', JSON.stringify(outputs.map((m) => m.content)));
    assert.equal(resultOf(outputs), `'["native",1,true]'`);
  });

  it("lets the folder's own packages win for everything else, but never for tfjs", async () => {
    writePackage(folder, 'd2l-test-answer', {
      'package.json': JSON.stringify({ name: 'd2l-test-answer', version: '1.0.0', main: 'index.js', types: 'index.d.ts' }),
      'index.js': 'exports.answer = 42;',
      'index.d.ts': 'export declare const answer: number;',
    });
    writePackage(folder, '@tensorflow/tfjs-core', {
      'package.json': JSON.stringify({ name: '@tensorflow/tfjs-core', version: '0.0.1', main: 'index.js' }),
      'index.js': "throw new Error('the folder\\'s own tfjs-core was loaded');",
    });
    const { reply, outputs } = await k.run([
      "import { answer } from 'd2l-test-answer';",
      "import * as tfCore from '@tensorflow/tfjs-core';",
      'console.log(JSON.stringify([answer, tfCore.getBackend(), tf.getBackend()]));',
    ].join('\n'));
    assert.equal(reply.content.status, 'ok', JSON.stringify(outputs.map((m) => m.content)));
    const [answer, coreBackend, tfBackend] = printedJson(outputs);
    assert.equal(answer, 42);
    assert.equal(coreBackend, tfBackend, "tfjs-core is d2l's copy: the engine @tensorflow/tfjs uses");
  });

  it('refuses a second copy of tfjs-core with one message naming both', async () => {
    const other = path.join(folder, 'node_modules', '@tensorflow', 'tfjs-core', 'index.js');
    const { reply } = await k.run(`require(${JSON.stringify(other)});`);
    assert.equal(reply.content.status, 'error');
    assert.match(String(reply.content.evalue), /a second copy of @tensorflow\/tfjs-core would be loaded: .*d2l registered its backends and training kernels on /);
  });
});
