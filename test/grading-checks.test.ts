/**
 * The grader's defences that need no kernel: the check helpers and their plain-JSON values, the hidden-check
 * format (parsing, the code sent to the kernel, judging what comes back), signed records and the locked output
 * directory, and the sandbox's arguments and environment. On a kernel: grading-e2e.test.ts, grading-attacks.test.ts.
 */
import * as assert from 'assert';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { check, checkClose, checkShape, equalPlain, Plain, showPlain, toPlain, toPlainSource } from '../src/grading/checks';
import { checksCode, CHECKS_MIME, judgeChecks, testSteps } from '../src/grading/hidden';
import { releaseNotebook } from '../src/grading/assign';
import { KEY_FILE, LOCK_FILE, openOutputDir } from '../src/grading/outdir';
import { GradeRecord, isFinal, nextAttempt, readAllRecords, readRecord, recordPath, writeRecord } from '../src/grading/results';
import { envArgs, probeSandbox, sandboxArgs } from '../src/grading/sandbox';
import type { Output } from '../src/jupyter/nbformat';
import { tinySource } from '../scripts/exercises/fixtures';

const tmpDir = () => fs.mkdtempSync(path.join(os.tmpdir(), 'd2l-grading-checks-'));
/** Duck-typed like a tfjs tensor (what toPlain looks for), without loading tfjs. */
const fakeTensor = (values: unknown, shape: number[]) => ({ shape, dtype: 'float32', size: shape.reduce((a, b) => a * b, 1), arraySync: () => values });

describe('grading: check helpers and plain values', () => {
  it('turns values into plain data without calling toJSON or getters, tagging what JSON cannot hold', () => {
    let called = false;
    const tricky = { toJSON() { called = true; return 1; }, get g() { called = true; return 2; }, n: NaN, u: undefined, big: 5n };
    assert.deepStrictEqual(toPlain(tricky, 'value'), { toJSON: { $function: 'toJSON' }, n: { $number: 'NaN' }, u: { $undefined: true }, big: { $bigint: '5' } });
    assert.strictEqual(called, false);
    assert.deepStrictEqual(toPlain(fakeTensor([[1, 2], [3, 4]], [2, 2]), 'value'), [[1, 2], [3, 4]]);
    assert.deepStrictEqual(toPlain(fakeTensor([], [2, 2]), 'shape'), [2, 2]);
    assert.deepStrictEqual(toPlain({ shape: [null, 54, 54, 96] }, 'shape'), [null, 54, 54, 96], 'a symbolic tensor');
    assert.deepStrictEqual(toPlain([[1, 2, 3], [4, 5, 6]], 'shape'), [2, 3]);
    assert.deepStrictEqual(toPlain(new Float32Array([0.5, -0]), 'value'), [0.5, 0]);
    assert.throws(() => toPlain(new Array(300000).fill(0), 'value'), /too large/);
    const deep: any[] = []; let d = deep; for (let i = 0; i < 40; i++) { const n: any[] = []; d.push(n); d = n; }
    assert.throws(() => toPlain(deep, 'value'), /too deeply/);
    const cyclic: any = { a: 1 }; cyclic.self = cyclic;
    assert.throws(() => toPlain(cyclic, 'value'), /too deeply/);
    assert.throws(() => toPlain(3, 'shape'), /no shape/);
  });

  it('sends a toPlain to the kernel that behaves like this one', () => {
    const remote = new Function(`return (${toPlainSource()})`)() as typeof toPlain;
    for (const v of [1, 'a', [1, [2, NaN]], { a: undefined, b: [true, null] }, new Int8Array([1, 2]), fakeTensor([[1]], [1, 1])]) {
      assert.deepStrictEqual(remote(v, 'value'), toPlain(v, 'value'));
    }
    assert.deepStrictEqual(remote([[1, 2]], 'shape'), [1, 2]);
  });

  it('compares exactly, within a relative tolerance, or by shape, and says what it got', () => {
    check(6765, 6765);
    check({ b: [1, 2], a: 'x' }, { a: 'x', b: [1, 2] });
    assert.throws(() => check(1992000, 1992166, 'NiN'), /NiN: expected value 1992166, got 1992000/);
    assert.throws(() => check('16', 16), /expected value 16, got "16"/);
    checkClose(fakeTensor([[0.025, 0.92500004]], [1, 2]), [[0.025, 0.925]]);
    checkClose(1e6 + 50, 1e6, { tol: 1e-4 });
    assert.throws(() => checkClose(1.01, 1, 1e-3), /expected value 1, got 1.01/);
    assert.throws(() => checkClose([1, 2], [1, 2, 3]), /expected/);
    checkClose(NaN, NaN);
    checkShape(fakeTensor([], [4, 3, 3, 6]), [4, 3, 3, 6]);
    assert.throws(() => checkShape({ shape: [null, 5] }, [null, 6]), /expected shape \[null,6\], got \[null,5\]/);
    assert.ok(equalPlain({ a: [1] }, { a: [1] }) && !equalPlain([1], { 0: 1 } as unknown as Plain));
    assert.strictEqual(showPlain([NaN, undefined].map((x) => toPlain(x, 'value'))), '[NaN,undefined]');
  });
});

describe('grading: hidden checks', () => {
  const cell = [
    'const blk = makeBlock();',
    'assert.ok(blk);',
    '// BEGIN HIDDEN TESTS',
    '// a comment stays in the grader',
    'd2l.check(params(blk), 3 * 16 * 25 + 16);',
    'checkClose(smooth(y, 4, 0.1),',
    '  [[0.025, 0.925]], { tol: 1e-5, message: "smoothed labels" });',
    'checkShape(blk.apply(x), [null, 54, 54, 96]);',
    '// END HIDDEN TESTS',
    'blk.dispose();',
  ].join('\n');

  it('splits a test cell into visible code and checks whose expected values are computed here', () => {
    const steps = testSteps(cell, 'c')!;
    assert.deepStrictEqual(steps.map((s) => ('code' in s ? s.code : s.checks.map((c) => [c.kind, c.actual, c.expected, c.tol, c.message, c.line]))), [
      'const blk = makeBlock();\nassert.ok(blk);',
      [['check', 'params(blk)', 1216, undefined, undefined, 5],
        ['checkClose', 'smooth(y, 4, 0.1)', [[0.025, 0.925]], 1e-5, 'smoothed labels', 6],
        ['checkShape', 'blk.apply(x)', [null, 54, 54, 96], undefined, undefined, 8]],
      'blk.dispose();',
    ]);
    assert.strictEqual(testSteps('assert.ok(1);', 'c'), undefined, 'no region: one ordinary cell');
  });

  it('refuses hidden code that is not a check, expected values it cannot compute, and regions outside test cells', () => {
    assert.throws(() => testSteps('// BEGIN HIDDEN TESTS\nassert.strictEqual(f(), 2);\n// END HIDDEN TESTS', 'nb: cell 3'), /nb: cell 3, line 2: 'assert.strictEqual\(f\(\), 2\);' is not a check/);
    assert.throws(() => testSteps('// BEGIN HIDDEN TESTS\ncheck(f(), g())\n// END HIDDEN TESTS', 'c'), /cannot evaluate 'g\(\)' in the grader/);
    assert.throws(() => testSteps('// BEGIN HIDDEN TESTS\ncheck(f(), \n// END HIDDEN TESTS', 'c'), /do not parse/);
    assert.throws(() => testSteps('// BEGIN HIDDEN TESTS\ncheck(f())\n// END HIDDEN TESTS', 'c'), /takes \(actual, expected, message\), got 1/);
    const nb = tinySource();
    nb.cells[1] = { ...nb.cells[1], source: '// BEGIN HIDDEN TESTS\ncheck(1, 1)\n// END HIDDEN TESTS' };
    assert.throws(() => releaseNotebook(nb, 'tiny'), /tiny: cell 1 has a 'BEGIN HIDDEN TESTS' region but is not an auto-graded test cell/);
  });

  it('sends only the expressions to the kernel and judges what comes back here, never showing an expected value', () => {
    const checks = (testSteps(cell, 'c')![1] as { checks: any[] }).checks;
    const code = checksCode(checks);
    for (const secret of ['1216', '0.925', '54', 'smoothed labels', 'comment']) assert.ok(!code.includes(secret), `'${secret}' is not sent`);
    assert.ok(code.includes('params(blk)') && code.includes('smooth(y, 4, 0.1)'));
    const reply = (data: unknown): Output[] => [{ output_type: 'execute_result', execution_count: 1, metadata: {}, data: { [CHECKS_MIME]: typeof data === 'string' ? data : JSON.stringify(data) } }];
    assert.deepStrictEqual(judgeChecks(checks, reply([{ value: 1216 }, { value: [[0.025, 0.925000001]] }, { value: [null, 54, 54, 96] }])), { total: 3, passed: 3, failures: [] });
    const bad = judgeChecks(checks, reply([{ value: 1200 }, { error: 'not implemented' }, { value: [null, 54, 54] }]), 1, 4);
    assert.deepStrictEqual(bad.failures, ['hidden check 2 of 4 failed: your value was 1200', 'hidden check 3 of 4 (smoothed labels) failed: not implemented',
      'hidden check 4 of 4 failed: your shape was [null,54,54]']);
    for (const [data, why] of [['[{"value":1}]', /malformed/], ['{"value": 1', /unreadable/], ['['.repeat(100) + ']'.repeat(100), /malformed/],
      ['"' + 'x'.repeat(5e6) + '"', /too large/], [[{ value: 1, extra: 2 }, { value: 1 }, { value: 1 }], /malformed/]] as const) {
      assert.match(judgeChecks(checks, reply(data)).failures[0], why);
    }
    const display: Output[] = [{ output_type: 'display_data', metadata: {}, data: { [CHECKS_MIME]: JSON.stringify([{ value: 1216 }, { value: 1 }, { value: 1 }]) } }];
    assert.match(judgeChecks(checks, display).failures[0], /returned no values/, 'only the cell\'s own result counts');
    assert.match(judgeChecks(checks, [{ output_type: 'error', ename: 'CompileError', evalue: "Cannot find name 'params'.", traceback: [] }]).failures[0],
      /could not run: CompileError: Cannot find name 'params'/);
  });
});

describe('grading: the output directory and signed records', () => {
  const record = (student: string, over: Partial<GradeRecord> = {}): GradeRecord => ({
    student, notebook: 'tiny.ipynb', status: 'graded', flags: [], cells: [{ gradeId: 't', kind: 'auto', points: 6, score: 6, status: 'passed' }],
    autoScore: 6, autoMax: 6, manualMax: 0, manualPending: 0, submissionSha256: 's', sourceSha256: 'h', attempt: 1, sandboxed: true, ...over,
  });

  it('is private, locked while in use, taken over when its locker is gone, and keeps a key only its owner reads', () => {
    const dir = path.join(tmpDir(), 'out');
    const out = openOutputDir(dir);
    assert.strictEqual(fs.statSync(dir).mode & 0o777, 0o700);
    assert.strictEqual(fs.statSync(path.join(dir, KEY_FILE)).mode & 0o777, 0o600);
    assert.throws(() => openOutputDir(dir), /in use by another d2l grade \(pid \d+\)/);
    out.close();
    fs.writeFileSync(path.join(dir, LOCK_FILE), `999999999 ${os.hostname()}\n`); // a run that crashed
    const lines: string[] = [];
    const again = openOutputDir(dir, (l) => lines.push(l));
    assert.deepStrictEqual(again.key, out.key, 'the same key: earlier records stay trusted');
    assert.match(lines[0], /taking over the lock/);
    again.close();
    fs.chmodSync(path.join(dir, KEY_FILE), 0o644);
    assert.throws(() => openOutputDir(dir), /can be read by others.*chmod 600/);
  });

  it('trusts only records signed with the key, under their own name; reports the rest and never fails on them', () => {
    const dir = tmpDir();
    const key = Buffer.alloc(32, 1);
    writeRecord(dir, key, record('alice'));
    writeRecord(dir, key, record('bob', { reason: 'timeout' }));
    const plant = (rel: string, text: string) => { fs.mkdirSync(path.dirname(path.join(dir, 'results', rel)), { recursive: true }); fs.writeFileSync(path.join(dir, 'results', rel), text); };
    plant('carol/tiny.json', '{}');
    plant('dave/tiny.json', 'not json');
    const alice = JSON.parse(fs.readFileSync(recordPath(dir, 'alice', 'tiny.ipynb'), 'utf8'));
    plant('mallory/tiny.json', JSON.stringify(alice)); // a genuine record copied under another name
    plant('bob/tiny.json', JSON.stringify({ ...JSON.parse(fs.readFileSync(recordPath(dir, 'bob', 'tiny.ipynb'), 'utf8')), autoScore: 6, reason: undefined }));
    plant('zz-made-up/tiny.json', JSON.stringify({ ...alice, student: 'zz-made-up' }));
    plant('alice/notes.txt', 'x');
    const { records, problems } = readAllRecords(dir, key);
    assert.deepStrictEqual(records.map((r) => r.student), ['alice']);
    assert.deepStrictEqual(problems.map((p) => p.replace(/ \(.*/, '').replace(/:.*/, '')), [
      'results/alice/notes.txt', 'results/bob/tiny.json', 'results/carol/tiny.json', 'results/dave/tiny.json', 'results/mallory/tiny.json', 'results/zz-made-up/tiny.json']);
    assert.match(problems.find((p) => p.startsWith('results/carol'))!, /not a grade record/);
    assert.match(problems.find((p) => p.startsWith('results/bob'))!, /not signed/);
    assert.match(problems.find((p) => p.startsWith('results/mallory'))!, /in the wrong place/);
    assert.strictEqual(readRecord(dir, Buffer.alloc(32, 2), 'alice', 'tiny.ipynb'), undefined, 'another key: not trusted');
    assert.ok(readRecord(dir, key, 'alice', 'tiny.ipynb'));
  });

  it('retries a run cut short by a timeout, the memory cap or a dead kernel once, and nothing else', () => {
    for (const reason of ['timeout', 'memory', 'kernel-died'] as const) {
      assert.ok(!isFinal(record('a', { reason }), 's', 'h') && isFinal(record('a', { reason, attempt: 2 }), 's', 'h'), reason);
    }
    assert.ok(isFinal(record('a'), 's', 'h') && !isFinal(record('a'), 's', 'other') && !isFinal(record('a', { status: 'error' }), 's', 'h'));
    assert.deepStrictEqual([nextAttempt(record('a'), 's', 'h'), nextAttempt(record('a'), 'new', 'h'), nextAttempt(undefined, 's', 'h')], [2, 1, 1]);
  });
});

describe('grading: the sandbox', () => {
  it('says why it cannot run where bwrap is missing', () => {
    assert.deepStrictEqual(probeSandbox('/nonexistent/bwrap'), { ok: false, reason: '/nonexistent/bwrap is not installed' });
  });

  it('passes only allow-listed variables, the kernel\'s own, and never JPY_PARENT_PID', () => {
    const args = envArgs({ HOME: '/root', GRADER_SECRET: 'x', AWS_SECRET_ACCESS_KEY: 'y', D2L_BACKEND: 'wasm', LANG: 'C.UTF-8', JPY_PARENT_PID: '1' },
      { TS_NODE_PROJECT: '/p/tsconfig.json', NODE_OPTIONS: '--max-old-space-size=99', JPY_PARENT_PID: '7' });
    const env = Object.fromEntries(args.reduce<string[][]>((acc, a, i) => (a === '--setenv' ? [...acc, [args[i + 1], args[i + 2]]] : acc), []));
    assert.strictEqual(env.HOME, '/tmp');
    assert.deepStrictEqual(Object.keys(env).sort(), ['D2L_BACKEND', 'HOME', 'LANG', 'NODE_OPTIONS', 'PATH', 'TMPDIR', 'TS_NODE_PROJECT']);
  });

  it('shows bound paths read-only and masks protected paths that lie under them', () => {
    const root = tmpDir();
    fs.mkdirSync(path.join(root, 'pkg', 'secret'), { recursive: true });
    fs.writeFileSync(path.join(root, 'pkg', 'sub.ipynb'), '{}');
    const args = sandboxArgs({ bound: [path.join(root, 'pkg')], hide: [path.join(root, 'pkg', 'secret'), path.join(root, 'pkg', 'sub.ipynb'), path.join(root, 'elsewhere')], tmpMb: 64, env: [] });
    const text = args.join(' ');
    assert.ok(text.includes(`--ro-bind ${root}/pkg ${root}/pkg`));
    assert.ok(text.includes(`--tmpfs ${root}/pkg/secret`) && text.includes(`--ro-bind /dev/null ${root}/pkg/sub.ipynb`));
    assert.ok(!text.includes('elsewhere'), 'a path not shown needs no mask');
    for (const flag of ['--unshare-all', '--die-with-parent', '--new-session', '--clearenv']) assert.ok(args.includes(flag), flag);
    assert.ok(text.includes(`--size ${64 * 1024 * 1024} --perms 1777 --tmpfs /tmp`));
    // bwrap mounts in order: the fresh /tmp must come before the binds, or a package under the host's /tmp (this
    // test's root, a CI clone in /tmp/ci) would be covered by it and the kernel would not start.
    assert.ok(text.indexOf('--tmpfs /tmp ') < text.indexOf(`--ro-bind ${root}/pkg`), 'the fresh /tmp is mounted before the binds');
    assert.ok(text.indexOf(`--ro-bind ${root}/pkg`) < text.indexOf(`--tmpfs ${root}/pkg/secret`), 'masks go on top of the binds');
    assert.ok(!args.some((a) => a === os.homedir() || a === '/home' || a === '/root'), 'no home directory');
  });
});
