/**
 * `import 'd2l'` selects the fastest backend that initializes synchronously, at once (src/backend/select.ts): the
 * first tfjs op after `require('d2l')` runs on native, `tryGpu()` says so without an await, and tfjs' "Hi, looks
 * like you are running TensorFlow.js in Node.js" banner never prints (src/backend/node-banner.ts) — in a plain
 * node process and in the Jupyter kernel. `D2L_BACKEND=cpu`/`wasm` are still honoured, and wasm, which
 * initializes asynchronously, is still what `ensureBackend()` falls back to.
 */
import { strict as assert } from 'assert';
import { childJson, ChildRun, runD2lChild } from './d2l-child';
import { TestKernel } from './kernel/harness';
import { describeNative } from './native-helpers';

const BANNER = /looks like you are running TensorFlow\.js in Node\.js/;

interface FirstOp { device: string; afterOp: string; ensured: string; selected: string; deviceAfter: string }

/** Imports d2l, reads tryGpu() (no await), runs one op, then awaits ensureBackend(). */
const FIRST_OP = `
  const d2l = D2L;
  const tf = require('@tensorflow/tfjs');
  const device = String(d2l.tryGpu());
  tf.add(1, 2).dataSync();
  const afterOp = tf.getBackend();
  d2l.ensureBackend().then((ensured) => console.log(JSON.stringify({ device, afterOp, ensured,
    selected: d2l.backendInfo().selected, deviceAfter: String(d2l.tryGpu()) })), (e) => { console.error(e); process.exit(1); });`;

function firstOp(env: Record<string, string> = {}): { r: FirstOp; run: ChildRun } {
  const run = runD2lChild(FIRST_OP, env);
  return { r: childJson<FirstOp>(run), run };
}

function assertNoBanner(run: ChildRun | string): void {
  const text = typeof run === 'string' ? run : run.stdout + run.stderr;
  assert.doesNotMatch(text, BANNER, 'tfjs printed its Node.js banner');
}

const resolvable = (id: string) => { try { require.resolve(id); return true; } catch { return false; } };
/** tfjs-node, when installed, comes before native in d2l's order. */
const tfjsNode = resolvable('@tensorflow/tfjs-node') || resolvable('@tensorflow/tfjs-node-gpu');

describeNative('backend: importing d2l selects native at once', function () {
  this.timeout(180_000);

  it('the first tfjs op runs on native and tryGpu() says native:cpu:0 without an await; no banner', function () {
    if (tfjsNode) this.skip(); // tensorflow comes first there (checked by backend-select.test.ts)
    const { r, run } = firstOp();
    assert.deepEqual(r, { device: 'native:cpu:0', afterOp: 'native', ensured: 'native', selected: 'native',
      deviceAfter: 'native:cpu:0' });
    assertNoBanner(run);
  });

  it('D2L_BACKEND=native: the same', () => {
    const { r, run } = firstOp({ D2L_BACKEND: 'native' });
    assert.deepEqual([r.device, r.afterOp, r.ensured], ['native:cpu:0', 'native', 'native']);
    assertNoBanner(run);
  });

  it('a D2L_BACKEND set after the import is honoured by ensureBackend() (as `d2l bench` children do)', () => {
    const run = runD2lChild(`
      const d2l = D2L;
      const tf = require('@tensorflow/tfjs');
      const atImport = tf.getBackend();
      process.env.D2L_BACKEND = 'cpu';
      d2l.ensureBackend().then((b) => console.log(JSON.stringify([atImport, b, tf.getBackend()])));`);
    assert.deepEqual(childJson(run), ['native', 'cpu', 'cpu']);
    assertNoBanner(run);
  });

  it('a bad D2L_NUM_THREADS fails the import with one message, rather than a silent fallback to wasm', () => {
    const run = runD2lChild('D2L; console.log("imported")', { D2L_NUM_THREADS: 'x' });
    assert.notEqual(run.status, 0);
    assert.match(run.stderr, /D2L_NUM_THREADS must be a positive integer, got 'x'/);
  });

  it('in the Jupyter kernel: the first op after `import d2l` runs on native; no banner', async function () {
    if (tfjsNode) this.skip();
    const k = await TestKernel.start({ env: { D2L_BACKEND: '' } });
    try {
      const { reply, outputs } = await k.run([
        "import * as tf from '@tensorflow/tfjs';",
        "import * as d2l from 'd2l';",
        'const device = String(d2l.tryGpu());',
        'tf.add(1, 2).dataSync();',
        'JSON.stringify([device, tf.getBackend()])',
      ].join('\n'));
      assert.equal(reply.content.status, 'ok', JSON.stringify(outputs.map((m) => m.content)));
      const result = outputs.find((m) => m.header.msg_type === 'execute_result');
      assert.equal(result?.content.data['text/plain'], `'["native:cpu:0","native"]'`);
      assertNoBanner(JSON.stringify(outputs.map((m) => m.content)) + k.stderr);
    } finally {
      await k.stop();
    }
  });
});

describe('backend: importing d2l without the native backend', function () {
  this.timeout(180_000);

  it('D2L_BACKEND=cpu: selected at import; no banner', () => {
    const { r, run } = firstOp({ D2L_BACKEND: 'cpu' });
    assert.deepEqual(r, { device: 'cpu:cpu:0', afterOp: 'cpu', ensured: 'cpu', selected: 'cpu', deviceAfter: 'cpu:cpu:0' });
    assertNoBanner(run);
  });

  it('D2L_BACKEND=wasm: the first op runs on tfjs\' own choice (cpu), ensureBackend() selects wasm; no banner', () => {
    const { r, run } = firstOp({ D2L_BACKEND: 'wasm' });
    // Before the first op and ensureBackend() nothing is selected yet, and tryGpu() says so.
    assert.deepEqual(r, { device: 'unselected:cpu:0', afterOp: 'cpu', ensured: 'wasm', selected: 'wasm',
      deviceAfter: 'wasm:cpu:0' });
    assertNoBanner(run);
  });

  it('no loadable addon: wasm is still the fallback ensureBackend() selects; no banner', function () {
    if (tfjsNode) this.skip();
    const { r, run } = firstOp({ D2L_NATIVE_ADDON: '/nonexistent/d2l_native.node' });
    assert.deepEqual([r.afterOp, r.ensured, r.deviceAfter], ['cpu', 'wasm', 'wasm:cpu:0']);
    assertNoBanner(run);
  });

  it('a bad patch switch fails the import with one message', () => {
    const run = runD2lChild('D2L; console.log("imported")', { D2L_CONV_TRAINING: 'maybe' });
    assert.notEqual(run.status, 0);
    assert.match(run.stderr, /D2L_CONV_TRAINING must be 0 or 1, got 'maybe'/);
  });
});
