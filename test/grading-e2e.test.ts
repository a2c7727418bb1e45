/**
 * `d2l grade` end to end on the d2l kernel: the fake submissions (test/fixtures/grading, made by
 * scripts/exercises/fixtures.ts) give the expected score table, and a resumed run grades nothing again; then
 * `assign` + `grade` on the chapter's exercise notebooks give full marks to the teacher's solutions and zero to
 * the empty released versions.
 *
 * Expected scores (tiny.ipynb: square 2 pts, fib 3 pts, a partial-credit cell 1 pt, a hand-graded answer 2 pts),
 * worked out from each submission's edit:
 *   correct          2 + 3 + 1            = 6    answer written → 1 pending
 *   wrong-answer     fib(n) = n + 1: 2 + 0 + (square ✓✓, fib ✗✗ → 2/4 of 1) = 2.5
 *   syntax-error     square does not compile → its test and the partial cell fail: 0 + 3 + 0 = 3
 *   runtime-error    an added cell throws first; stop_on_error is off, so everything else runs: 6
 *   infinite-loop    fib(10) never returns → fib test interrupted; fib(1), fib(6) fine: 2 + 0 + 1 = 3 (timeout)
 *   process-exit     the kernel exits in the fib cell: 2 + 0 + 0 = 2 (kernel-died)
 *   huge-allocation  the memory watchdog stops the kernel in the fib cell: 2 (memory)
 *   tampered-test    square returns 0, its test replaced by `1`: restored → 0 + 3 + (✗✗✓✓ → 0.5) = 3.5, 1 flag
 *   deleted-cells    square's test and fib's solution deleted: test restored (2), fib stub → 0 + 0 = 2, 2 flags
 *   invalid-json     not run: 0 (invalid-notebook)
 */
import * as assert from 'assert';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { readNotebook, writeNotebook } from '../src/jupyter/nbformat';
import { assignNotebooks } from '../src/grading/assign';
import { gradeSubmissions } from '../src/grading/grade';
import { executeIsolated } from '../src/grading/isolation';
import { newCodeCell } from '../src/jupyter/nbformat';
import { gradeId, isSolution } from '../src/grading/nbgrader';
import { EXERCISES_DIR } from '../scripts/exercises/build';

const FIXTURES = path.join(__dirname, 'fixtures', 'grading');

function tmpDir(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), 'd2l-grade-e2e-'));
}

describe('grading end to end on the d2l kernel', function () {
  this.timeout(20 * 60_000);

  it('scores the fake submissions as expected, isolating each failure, and resumes without re-grading', async () => {
    const out = tmpDir();
    const subs = fs.readdirSync(path.join(FIXTURES, 'submissions')).map((f) => path.join(FIXTURES, 'submissions', f));
    const opts = { sourceDir: path.join(FIXTURES, 'source'), outDir: out, jobs: 2, cellTimeoutMs: 15_000, submissionTimeoutMs: 180_000, memoryMb: 1024 };
    const summary = await gradeSubmissions(subs, opts);
    const table = Object.fromEntries(summary.records.map((r) => [r.student, [r.autoScore, r.status, r.reason ?? '', r.flags.length, r.manualPending]]));
    assert.deepStrictEqual(table, {
      correct: [6, 'graded', '', 0, 1],
      'wrong-answer': [2.5, 'graded', '', 0, 0],
      'syntax-error': [3, 'graded', '', 0, 0],
      'runtime-error': [6, 'graded', '', 0, 0],
      'infinite-loop': [3, 'graded', 'timeout', 0, 0],
      'process-exit': [2, 'graded', 'kernel-died', 0, 0],
      'huge-allocation': [2, 'graded', 'memory', 0, 0],
      'tampered-test': [3.5, 'graded', '', 1, 0],
      'deleted-cells': [2, 'graded', '', 2, 0],
      'invalid-json': [0, 'invalid', 'invalid-notebook', 0, 0],
    });
    assert.ok(summary.records.every((r) => r.autoMax === 6 && r.manualMax === 2));
    const csv = fs.readFileSync(path.join(out, 'grades.csv'), 'utf8');
    assert.strictEqual(csv.trim().split('\n').length, 11);
    const html = fs.readFileSync(path.join(out, 'feedback', 'correct', 'tiny.html'), 'utf8');
    assert.ok(html.includes('6 / 6') && !html.includes('6765'), 'feedback shows the score but not the hidden tests');
    assert.ok(fs.existsSync(path.join(out, 'feedback', 'tampered-test', 'tiny.ipynb')));
    assert.ok(fs.readFileSync(path.join(out, 'feedback', 'invalid-json', 'tiny.html'), 'utf8').includes('not valid JSON'));

    const before = fs.readFileSync(path.join(out, 'grades.json'), 'utf8');
    const again = await gradeSubmissions(subs, opts);
    assert.deepStrictEqual([again.graded, again.skipped], [0, 10]);
    assert.strictEqual(fs.readFileSync(path.join(out, 'grades.json'), 'utf8'), before, 'nothing lost or changed on resume');
  });

  it('runs in a fresh, empty working directory that is removed, and kills a submission over its total time', async () => {
    const outcome = await executeIsolated([
      newCodeCell("const fs = require('fs');\nconsole.log(process.cwd() + ' ' + fs.readdirSync('.').join(','))"),
      newCodeCell('const t0 = Date.now();\nwhile (Date.now() - t0 < 2000) {}'),
      newCodeCell('while (true) {}'),
      newCodeCell('1'),
    ], { cellTimeoutMs: 120_000, submissionTimeoutMs: 8_000, memoryMb: 1024 });
    const first = outcome.runs[0]!;
    assert.strictEqual(first.status, 'ok');
    const printed = first.outputs.map((o) => (o.output_type === 'stream' ? o.text : '')).join('').trim();
    const [cwd, listing] = printed.split(' ');
    assert.ok(path.basename(cwd).startsWith('d2l-grade-'), printed);
    assert.strictEqual(listing ?? '', '', "nothing is in it: d2l and tfjs resolve from the kernel's own install");
    assert.ok(!fs.existsSync(cwd), 'the working directory is removed afterwards');
    assert.deepStrictEqual(outcome.runs.slice(1).map((r) => r!.status), ['ok', 'dead', 'not-run']);
    assert.strictEqual(outcome.failure?.reason, 'timeout');
  });

  it('gives full marks to the teacher solutions and zero to the released notebooks, for every section', async () => {
    const root = tmpDir();
    const release = path.join(root, 'release');
    const released = assignNotebooks([EXERCISES_DIR], { outDir: release });
    assert.strictEqual(released.length, 7);
    // "teacher": the released notebook with the teacher's solution and answer cells filled in, as a perfect student
    // would hand it in; "empty": the release untouched.
    for (const file of released) {
      const name = path.basename(file);
      const source = readNotebook(path.join(EXERCISES_DIR, name));
      const rel = readNotebook(file);
      const solutions = new Map(source.cells.filter(isSolution).map((c) => [gradeId(c)!, c.source]));
      writeNotebook(path.join(root, 'teacher', name), { ...rel, cells: rel.cells.map((c) => (solutions.has(gradeId(c)!) ? { ...c, source: solutions.get(gradeId(c)!)! } : c)) });
      writeNotebook(path.join(root, 'empty', name), rel);
    }
    const out = path.join(root, 'grades');
    const summary = await gradeSubmissions([path.join(root, 'teacher'), path.join(root, 'empty')],
      { sourceDir: EXERCISES_DIR, outDir: out, jobs: 2, cellTimeoutMs: 120_000, submissionTimeoutMs: 600_000, memoryMb: 3072 });
    assert.strictEqual(summary.records.length, 14);
    for (const r of summary.records) {
      const failed = r.cells.filter((c) => c.kind === 'auto' && c.score !== (r.student === 'teacher' ? c.points : 0));
      assert.deepStrictEqual(failed, [], `${r.student}/${r.notebook}`);
      assert.deepStrictEqual([r.status, r.reason, r.flags], ['graded', undefined, []], `${r.student}/${r.notebook}`);
      assert.ok(r.autoMax >= 6 && r.cells.filter((c) => c.kind === 'auto').length >= 2);
      assert.strictEqual(r.autoScore, r.student === 'teacher' ? r.autoMax : 0);
    }
  });
});
