/**
 * Dishonest submissions against `d2l grade` in its sandbox (fixtures: test/fixtures/grading/attacks/, written by
 * scripts/exercises/attacks.ts). All of them are graded in one batch next to honest students, as a real class
 * would be; then the batch is resumed over planted records. Each attack hands in blank solutions (or tricks) and
 * tries to read secrets, write records or sources, fake the tests, kill the grader or its peers, leave processes
 * behind, reach the network, or exhaust memory, CPU or time. What must hold:
 *   - every attack scores 0, and the honest students get exactly their grades;
 *   - nothing a student may not see reaches what it gets back (feedback, records);
 *   - nothing outside the sandbox changed (checksums of every file of the test before and after);
 *   - no connection reached the test's listener, and no process of any submission is left;
 *   - untrusted files in results/ are reported and ignored, and what they hid is graded again.
 */
import * as assert from 'assert';
import { createHash } from 'crypto';
import * as fs from 'fs';
import * as net from 'net';
import * as os from 'os';
import * as path from 'path';
import { gradeSubmissions, GradeSummary } from '../src/grading/grade';
import { KEY_FILE } from '../src/grading/outdir';
import { processTree, probeSandbox } from '../src/grading/sandbox';
import { packageRoot } from '../src/util/package-root';

const FIXTURES = path.join(__dirname, 'fixtures', 'grading');
const ATTACKS = fs.readdirSync(path.join(FIXTURES, 'attacks')).map((f) => f.replace(/\.ipynb$/, '')).sort();
const HONEST: Record<string, number> = { correct: 6, 'wrong-answer': 2.5 };
const RUN = `d2l-attack-${process.pid}-${Date.now()}`;
/** Text no attacker may get back: the hidden test region, another student's answer, the home directory's and
 * the environment's secrets, the grader's command line. */
const SECRETS = ['TEACHER-ONLY-7f3c', '6765', 'recomputes the same values', 'HOME-SECRET-91ad', 'ENV-SECRET-c4d2', 'mocha'];

function filesUnder(dir: string): string[] {
  if (!fs.existsSync(dir)) return [];
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    return e.isDirectory() ? filesUnder(p) : [p];
  }).sort();
}

function checksums(dir: string, skip: string): Record<string, string> {
  return Object.fromEntries(filesUnder(dir).filter((f) => !f.startsWith(skip)).map((f) => [path.relative(dir, f), createHash('sha256').update(fs.readFileSync(f)).digest('hex')]));
}

/** Processes whose command line carries this run's marker (what the attacks started). */
function survivors(): string[] {
  return fs.readdirSync('/proc').filter((p) => /^\d+$/.test(p)).flatMap((p) => {
    try {
      const cmd = fs.readFileSync(`/proc/${p}/cmdline`, 'utf8').replace(/\0/g, ' ');
      return cmd.includes(RUN) ? [`${p}: ${cmd.slice(0, 120)}`] : [];
    } catch { return []; }
  });
}

describe('grading: dishonest submissions, in the sandbox', function () {
  this.timeout(20 * 60_000);
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'd2l-attacks-'));
  const out = path.join(root, 'out');
  const saved = { HOME: process.env.HOME, GRADER_SECRET_TOKEN: process.env.GRADER_SECRET_TOKEN };
  const connections: string[] = [];
  const listener = net.createServer((s) => { connections.push(s.remoteAddress ?? '?'); s.destroy(); });
  const pkgMarker = path.join(packageRoot(), 'node_modules', `.d2l-attack-${RUN}`);
  let untouched: Record<string, string> = {};
  let summary: GradeSummary;
  const subDir = (s: string) => path.join(root, 'submissions', s);
  const opts = () => ({ sourceDir: path.join(root, 'source'), outDir: out, jobs: 2, cellTimeoutMs: 8_000, submissionTimeoutMs: 120_000, memoryMb: 768 });

  before(async function () {
    const probe = probeSandbox();
    if (!probe.ok) {
      if (process.env.D2L_REQUIRE_SANDBOX === '1') throw new Error(`the sandbox cannot run here: ${probe.reason}`);
      this.skip(); // no bwrap or no user namespaces here: nothing to attack (docs/teachers.md, "Running it")
    }
    await new Promise<void>((resolve) => listener.listen(0, '127.0.0.1', resolve));
    const fill = (text: string) => text.replace(/@@ROOT@@/g, root).replace(/@@GRADER_PID@@/g, String(process.pid))
      .replace(/@@PORT@@/g, String((listener.address() as net.AddressInfo).port)).replace(/@@RUN@@/g, RUN).replace(/@@PKG@@/g, packageRoot());
    fs.mkdirSync(path.join(root, 'source'));
    fs.copyFileSync(path.join(FIXTURES, 'source', 'tiny.ipynb'), path.join(root, 'source', 'tiny.ipynb'));
    const place = (student: string, text: string) => { fs.mkdirSync(subDir(student), { recursive: true }); fs.writeFileSync(path.join(subDir(student), 'tiny.ipynb'), text); };
    for (const s of Object.keys(HONEST)) place(s, fs.readFileSync(path.join(FIXTURES, 'submissions', `${s}.ipynb`), 'utf8'));
    for (const s of ATTACKS) place(s, fill(fs.readFileSync(path.join(FIXTURES, 'attacks', `${s}.ipynb`), 'utf8')));
    fs.mkdirSync(path.join(root, 'home'));
    fs.writeFileSync(path.join(root, 'home', 'secret.txt'), 'HOME-SECRET-91ad');
    fs.mkdirSync(path.join(root, 'canary'));
    fs.writeFileSync(path.join(root, 'canary', 'file'), 'untouched');
    process.env.HOME = path.join(root, 'home');
    process.env.GRADER_SECRET_TOKEN = 'ENV-SECRET-c4d2';
    untouched = checksums(root, out);
    summary = await gradeSubmissions([...Object.keys(HONEST), ...ATTACKS].map(subDir), opts());
  });

  after(() => {
    for (const [k, v] of Object.entries(saved)) { if (v === undefined) delete process.env[k]; else process.env[k] = v; }
    listener.close();
    fs.rmSync(pkgMarker, { force: true });
    for (const line of survivors()) { try { process.kill(Number(line.split(':')[0]), 'SIGKILL'); } catch { /* gone */ } }
    fs.rmSync(root, { recursive: true, force: true });
  });

  const feedback = (student: string) => filesUnder(path.join(out, 'feedback', student)).map((f) => fs.readFileSync(f, 'utf8')).join('\n');
  const record = (student: string) => summary.records.find((r) => r.student === student)!;
  /** What a student's cells printed, from its feedback notebook. */
  const printed = (student: string) => (JSON.parse(fs.readFileSync(path.join(out, 'feedback', student, 'tiny.ipynb'), 'utf8')).cells as any[])
    .flatMap((c) => c.outputs ?? []).map((o: any) => [].concat(o.text ?? o.data?.['text/plain'] ?? o.evalue ?? '').join('')).join('\n');

  it('gives every attack 0 points and the honest students exactly their grades', () => {
    assert.deepStrictEqual(summary.records.map((r) => r.student), [...Object.keys(HONEST), ...ATTACKS].sort());
    for (const [s, score] of Object.entries(HONEST)) assert.deepStrictEqual([record(s).autoScore, record(s).reason, record(s).flags], [score, undefined, []], s);
    for (const s of ATTACKS) {
      const r = record(s);
      assert.deepStrictEqual([r.autoScore, r.status, r.autoMax, r.sandboxed], [0, 'graded', 6, true], `${s}: ${JSON.stringify(r.cells)}`);
    }
    assert.strictEqual(record('forge-metadata').flags.length, 4, record('forge-metadata').flags.join('\n'));
    assert.match(record('check-tricks').cells[0].message ?? '', /hidden check 1 of 2 failed: your value was \[16,16/);
  });

  it('ran every attack (each left its mark in its own feedback)', () => {
    const marks: Record<string, RegExp> = {
      'read-secrets': /source\/tiny\.ipynb !! ENOENT/, 'write-files': /node_modules\/\.d2l-attack-\S+ !! EROFS/, 'patch-engine': /patched .*engine/,
      'kill-others': /!! ESRCH/, 'detached-child': /spawned/, network: /connect !! E/, 'memory-bomb': /\/tmp !! ENOSPC/, 'cpu-bomb': /spinning/,
      'huge-output': /output over \d+ bytes was dropped/,
    };
    for (const [s, mark] of Object.entries(marks)) assert.match(printed(s), mark, `${s} printed:\n${printed(s).slice(0, 3000)}`);
    // (Writes "succeed" into the sandbox's own /tmp, where the test's directory lies on the host: the checksums
    // below show that nothing of the host changed.)
    // (`KILLED 1`, the sandbox's own init, is no harm: the kernel ignores SIGKILL to its namespace's init.)
    const got = ATTACKS.map(printed).join('\n').match(new RegExp(`KILLED (?!1\\b).*|CONNECTED|FILLED.*`, 'g'));
    assert.deepStrictEqual(got, null, 'no kill, connection or fill succeeded');
  });

  it('lets nothing a student may not see reach what an attacker gets back', () => {
    const key = fs.readFileSync(path.join(out, KEY_FILE), 'utf8').trim();
    for (const s of ATTACKS) {
      const back = feedback(s) + JSON.stringify(record(s));
      const own = fs.readFileSync(path.join(subDir(s), 'tiny.ipynb'), 'utf8'); // what it wrote itself may show
      for (const secret of [...SECRETS, key]) assert.ok(own.includes(secret) || !back.includes(secret), `${s} got back '${secret}'`);
    }
    assert.ok(feedback('patch-engine').includes('square(-4)'), 'a patched kernel sees the expressions of hidden checks, but never their expected values');
  });

  it('changes nothing outside the sandbox, and nothing in the output directory but what the grader wrote', () => {
    assert.deepStrictEqual(checksums(root, out), untouched);
    assert.ok(!fs.existsSync(pkgMarker), 'the package directory is read-only');
    const students = new Set([...Object.keys(HONEST), ...ATTACKS]);
    for (const f of filesUnder(out).map((p) => path.relative(out, p))) {
      const [top, student] = f.split(path.sep);
      assert.ok(['grades.csv', 'grades.json', KEY_FILE].includes(f) || (['results', 'feedback'].includes(top) && students.has(student)), f);
    }
    assert.strictEqual(fs.readFileSync(path.join(out, 'grades.csv'), 'utf8').trim().split('\n').length, students.size + 1);
  });

  it('lets no connection out and leaves no process behind', () => {
    assert.deepStrictEqual(connections, []);
    assert.deepStrictEqual(survivors(), []);
    assert.deepStrictEqual(processTree(process.pid).slice(1), [], 'no kernel or sandbox is left');
  });

  it('records why the runs that killed, bombed or spun ended, and retries those once', async () => {
    assert.deepStrictEqual(['kill-self', 'memory-bomb', 'async-loop'].map((s) => record(s).reason), ['kernel-died', 'memory', 'timeout']);
    // Planted, forged and malformed records: reported, ignored, and what they hid graded again.
    const results = path.join(out, 'results');
    const genuine = fs.readFileSync(path.join(results, 'correct', 'tiny.json'), 'utf8');
    fs.mkdirSync(path.join(results, 'zz-made-up'));
    fs.writeFileSync(path.join(results, 'zz-made-up', 'tiny.json'), genuine.replace('"student": "correct"', '"student": "zz-made-up"'));
    fs.mkdirSync(path.join(results, 'wrong-place'));
    fs.writeFileSync(path.join(results, 'wrong-place', 'tiny.json'), genuine);
    fs.writeFileSync(path.join(results, 'correct', 'tiny.json'), '{}');
    fs.writeFileSync(path.join(results, 'junk.txt'), 'x');
    const again = await gradeSubmissions(['correct', 'kill-self', 'read-secrets'].map(subDir), opts());
    assert.deepStrictEqual(again.ignored.map((p) => p.split(':')[0]), ['results/correct/tiny.json', 'results/junk.txt', 'results/wrong-place/tiny.json', 'results/zz-made-up/tiny.json']);
    assert.deepStrictEqual([again.graded, again.skipped], [2, 1], 'correct (its record was destroyed) and kill-self (retried)');
    const byStudent = Object.fromEntries(again.records.map((r) => [r.student, r]));
    assert.deepStrictEqual([byStudent.correct.autoScore, byStudent['kill-self'].attempt, byStudent['kill-self'].autoScore], [6, 2, 0]);
    assert.ok(!('zz-made-up' in byStudent) && !('wrong-place' in byStudent));
    assert.deepStrictEqual(survivors(), []);
  });
});
