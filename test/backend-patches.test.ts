/**
 * d2l's patch table (src/ops/patches.ts) against what `import 'd2l'` really changes in TensorFlow.js: each case
 * imports d2l in a fresh process, compares tfjs' prototypes, engine methods, gradient and kernel registries,
 * backend factories and io routers before and after (test/fixtures/tfjs-changes.js), and requires the changes to
 * be exactly the active rows' `changes` (plus the native backend's own registrations). Also: switches set to 0
 * keep tfjs' originals, `d2l.patches()` agrees, and README's list is the table.
 */
import { strict as assert } from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import '../src/backend';
import { convTrainingInstalled, useConvTraining } from '../src/ops/conv-training';
import { installLeanGradients, uninstallLeanGradients } from '../src/ops/lean-gradients';
import { PATCHES, patches, patchesMarkdown, PatchStatus } from '../src/ops/patches';
import { BATCH_NORM_TRAINING, BATCH_NORM_TRAINING_GRAD } from '../src/ops/batch-norm-training';
import { SETTINGS } from '../src/settings';
import { childJson, runD2lChild } from './d2l-child';
import { ROOT } from './kernel/harness';

const PROBE = JSON.stringify(path.join(ROOT, 'test', 'fixtures', 'tfjs-changes.js'));

interface Finding { changed: string[]; patches: PatchStatus[]; nativeRegistered: boolean; backend?: string }

/** Imports d2l in a child with `env`; what changed in tfjs, and what d2l.patches() says. */
function importChanges(env: Record<string, string>): Finding {
  return childJson<Finding>(runD2lChild(`
    const tf = require('@tensorflow/tfjs');
    const probe = require(${PROBE});
    const names = probe.classNames(tf);
    const before = probe.snapshot(tf, names);
    const d2l = D2L;
    const after = probe.snapshot(tf, names);
    console.log(JSON.stringify({ changed: probe.changes(before, after), patches: d2l.patches(),
      nativeRegistered: tf.findBackendFactory('native') != null }));`, env));
}

/**
 * What registering the native backend adds (tfjs' public extension API: a backend, not a patch): its factory, its
 * kernels, and the cpu/wasm batch-norm kernels its non-float32 fallbacks call (registered with the fused batch
 * norm's JS kernels even when that patch is off).
 */
function nativeRegistrations(f: Finding): string[] {
  if (!f.nativeRegistered) return [];
  const bnJs = ['cpu', 'wasm'].flatMap((b) => [BATCH_NORM_TRAINING, BATCH_NORM_TRAINING_GRAD].map((k) => `kernel:${b}/${k}`));
  return f.changed.filter((c) => c === 'backend:native.factory' || c.startsWith('kernel:native/') || bnJs.includes(c));
}

function expectExactly(f: Finding, activeRows: string[]): void {
  const rows = PATCHES.filter((p) => activeRows.includes(p.name));
  const expected = new Set([...rows.flatMap((p) => p.targets), ...nativeRegistrations(f)]);
  const unexplained = f.changed.filter((c) => !expected.has(c));
  const missing = [...expected].filter((c) => !f.changed.includes(c));
  assert.deepEqual({ unexplained, missing }, { unexplained: [], missing: [] },
    'what import changed in tfjs vs the patch table (src/ops/patches.ts)');
}

const IMPORT_ROWS = PATCHES.filter((p) => p.when === 'import').map((p) => p.name);
const SWITCHED = PATCHES.filter((p) => p.switch !== null);

describe('backend: the patch table is what `import d2l` changes in tfjs', function () {
  this.timeout(180_000);

  it('every import-time row, and nothing else, changes tfjs; d2l.patches() reports them active', () => {
    const f = importChanges({});
    expectExactly(f, IMPORT_ROWS);
    for (const p of f.patches) {
      assert.equal(p.active, p.when === 'import', `${p.name}: ${p.reason}`);
      if (p.when === 'wasm') assert.match(p.reason!, /wasm backend loads/);
    }
  });

  it('switches set to 0 keep tfjs\' originals, and d2l.patches() says why each is off', () => {
    const env = Object.fromEntries(SWITCHED.map((p) => [p.switch!, '0']));
    const f = importChanges(env);
    const on = IMPORT_ROWS.filter((n) => !SWITCHED.some((p) => p.name === n));
    expectExactly(f, on);
    for (const p of SWITCHED) {
      // The replacements proper (prototypes, gradients, the engine) are tfjs' own objects.
      for (const t of p.targets.filter((t) => !t.startsWith('kernel:'))) assert.ok(!f.changed.includes(t), `${p.switch}=0 but ${t} changed`);
      const status = f.patches.find((s) => s.name === p.name)!;
      assert.equal(status.active, false);
      assert.match(status.reason!, new RegExp(`${p.switch}=0`));
    }
    for (const n of on) assert.equal(f.patches.find((s) => s.name === n)!.active, true, n);
  });

  it("the wasm kernels are installed when the wasm backend loads, and change only the row's kernels", () => {
    const f = childJson<Finding>(runD2lChild(`
      const tf = require('@tensorflow/tfjs');
      const probe = require(${PROBE});
      const d2l = D2L;
      require('@tensorflow/tfjs-backend-wasm'); // its stock kernels, before d2l replaces some
      const names = probe.classNames(tf);
      const before = probe.snapshot(tf, names);
      d2l.ensureBackend().then((backend) => {
        const after = probe.snapshot(tf, names);
        console.log(JSON.stringify({ backend, changed: probe.changes(before, after), patches: d2l.patches(),
          nativeRegistered: false }));
      }, (e) => { console.error(e); process.exit(1); });`, { D2L_BACKEND: 'wasm' }));
    assert.equal(f.backend, 'wasm');
    expectExactly(f, ['wasm-kernels']);
    assert.equal(f.patches.find((p) => p.name === 'wasm-kernels')!.active, true);
  });
});

describe('backend: d2l.patches()', () => {
  it('reports a patch turned off at run time, or removed, with the reason', () => {
    if (!convTrainingInstalled()) return; // this process was started with D2L_CONV_TRAINING=0
    const status = (name: string) => patches().find((p) => p.name === name)!;
    useConvTraining(false);
    try {
      assert.deepEqual([status('conv-training').active, status('conv-training').reason],
        [false, 'turned off by useConvTraining(false)']);
    } finally {
      useConvTraining(true);
    }
    assert.equal(status('conv-training').active, true);
    if (!status('lean-backprop').active) return; // started with D2L_LEAN_BACKPROP=0
    uninstallLeanGradients();
    try {
      assert.equal(status('lean-backprop').active, false);
      assert.match(status('lean-backprop').reason!, /removed after d2l installed it/);
    } finally {
      installLeanGradients();
    }
    assert.equal(status('lean-backprop').active, true);
  });

  it('rows name a switch from src/settings.ts, an existing test file and what they change', () => {
    const names = new Set(SETTINGS.map((s) => s.name));
    for (const p of PATCHES) {
      if (p.switch !== null) assert.ok(names.has(p.switch), `${p.name}: ${p.switch} is not in SETTINGS`);
      assert.ok(fs.existsSync(path.join(ROOT, p.test)), `${p.name}: ${p.test} does not exist`);
      assert.ok(p.targets.length > 0, `${p.name} changes nothing?`);
    }
    assert.equal(new Set(PATCHES.map((p) => p.name)).size, PATCHES.length, 'patch names are unique');
  });

  it("README's patch list is the table (regenerate: npx ts-node -T scripts/readme-tables.ts)", () => {
    const readme = fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8');
    const m = /<!-- patches:begin[^>]*-->\n([\s\S]*?)\n<!-- patches:end -->/.exec(readme);
    assert.ok(m, 'README.md has no <!-- patches:begin --> … <!-- patches:end --> section');
    assert.equal(m[1], patchesMarkdown());
  });
});
