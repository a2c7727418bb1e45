/**
 * Teachers' tools, the parts that need no kernel: nbgrader metadata and checksums, `assign` (release),
 * restoring locked cells and hidden tests, scoring, the grade files, submission identity, and the exercise
 * notebooks' structure. End-to-end grading on the kernel is in grading-e2e.test.ts.
 */
import * as assert from 'assert';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { Cell, Notebook, parseNotebook, readNotebook, serializeNotebook } from '../src/jupyter/nbformat';
import { assignNotebooks, foldHiddenTests, releaseNotebook, replaceRegions } from '../src/grading/assign';
import { computeChecksum, gradeId, isGrade, isSolution, nbgraderMeta } from '../src/grading/nbgrader';
import { planExecution } from '../src/grading/restore';
import { partialFraction, scoreCells, scoreTestCell, totals } from '../src/grading/scoring';
import { gradesCsv, GradeRecord, isFinal, readAllRecords, writeAggregates, writeRecord } from '../src/grading/results';
import { gradeSubmissions, resolveSubmissions } from '../src/grading/grade';
import { cappedArgv } from '../src/grading/isolation';
import { parseAssignArgs } from '../src/cli/assign';
import { parseGradeArgs } from '../src/cli/grade';
import { tinySource } from '../scripts/exercises/fixtures';
import { EXERCISE_NOTEBOOKS, EXERCISES_DIR, renderExercises } from '../scripts/exercises/build';
import { toNotebook } from '../scripts/exercises/cells';

const FIXTURES = path.join(__dirname, 'fixtures', 'grading');

function tmpDir(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), 'd2l-grading-test-'));
}

const byId = (nb: Notebook, id: string): Cell => nb.cells.find((c) => gradeId(c) === id)!;

describe('grading: nbgrader metadata and checksums', () => {
  it('computes the same checksum as nbgrader (values from its compute_checksum in Python)', () => {
    const test: Cell = { cell_type: 'code', source: 'assert.ok(true);', execution_count: null, outputs: [],
      metadata: { nbgrader: { grade: true, solution: false, locked: false, grade_id: 't1', points: 2, schema_version: 3 } } };
    // a grade cell that is not a solution is locked whatever its flag says, as in nbgrader
    assert.strictEqual(computeChecksum(test), '03fa7ea319eea4298d36d85064a83c8f');
    const ans: Cell = { cell_type: 'markdown', source: 'YOUR ANSWER HERE',
      metadata: { nbgrader: { grade: true, solution: true, locked: false, grade_id: 'a1', points: 1.5, schema_version: 3 } } };
    assert.strictEqual(computeChecksum(ans), '63718301df5b383ab36c72c1dc57371d');
  });
});

describe('grading: assign', () => {
  it('replaces solution regions by the TypeScript stub, keeping indentation', () => {
    const src = 'function f(): number {\n  // BEGIN SOLUTION\n  return 1;\n  // END SOLUTION\n}';
    assert.strictEqual(replaceRegions(src, 'BEGIN SOLUTION', 'END SOLUTION', '// YOUR CODE HERE\nthrow new Error("not implemented");', 'c'),
      'function f(): number {\n  // YOUR CODE HERE\n  throw new Error("not implemented");\n}');
    assert.throws(() => replaceRegions('// BEGIN SOLUTION\nx', 'BEGIN SOLUTION', 'END SOLUTION', '', 'cell 3'), /cell 3: 'BEGIN SOLUTION' is never closed/);
  });

  it('releases a notebook: stubs, no hidden tests, no outputs, checksums, other cells untouched', () => {
    const source = tinySource();
    source.cells[2] = { ...source.cells[2], execution_count: 4, outputs: [{ output_type: 'stream', name: 'stdout', text: 'x' }] } as Cell;
    const rel = releaseNotebook(source);
    const text = serializeNotebook(rel);
    assert.ok(!text.includes('BEGIN SOLUTION') && !text.includes('BEGIN HIDDEN TESTS'));
    assert.ok(!text.includes('6765') && !text.includes('return x * x'), 'hidden tests and solutions are gone');
    assert.strictEqual(byId(rel, 'sq-solution').source, 'function square(x: number): number {\n  // YOUR CODE HERE\n  throw new Error("not implemented");\n}');
    assert.strictEqual(byId(rel, 'sq-tests').source, 'assert.strictEqual(square(3), 9);');
    assert.strictEqual(byId(rel, 'q-answer').source, 'YOUR ANSWER HERE');
    assert.strictEqual(byId(rel, 'setup').source, byId(source, 'setup').source);
    for (const c of rel.cells) {
      if (c.cell_type === 'code') assert.deepStrictEqual([c.outputs, c.execution_count], [[], null]);
      assert.strictEqual(nbgraderMeta(c)!.checksum, computeChecksum(c), `checksum of ${gradeId(c)}`);
    }
    // the source object is not modified
    assert.ok(byId(source, 'sq-tests').source.includes('BEGIN HIDDEN TESTS'));
  });

  it('refuses a solution region outside a solution cell and duplicate grade ids', () => {
    const nb = tinySource();
    const bad = { ...nb, cells: nb.cells.map((c) => (gradeId(c) === 'setup' ? { ...c, source: '// BEGIN SOLUTION\nx\n// END SOLUTION' } : c)) };
    assert.throws(() => releaseNotebook(bad, 'bad.ipynb'), /not a solution cell/);
    const dup = { ...nb, cells: [...nb.cells, nb.cells[3]] };
    assert.throws(() => releaseNotebook(dup, 'dup.ipynb'), /grade_id 'sq-tests' is used twice/);
  });

  it('writes a release, refuses to overwrite it without --force, and is deterministic', () => {
    const out = tmpDir();
    const [written] = assignNotebooks([path.join(FIXTURES, 'source')], { outDir: out });
    assert.strictEqual(written, path.join(out, 'tiny.ipynb'));
    const first = fs.readFileSync(written, 'utf8');
    assert.throws(() => assignNotebooks([path.join(FIXTURES, 'source', 'tiny.ipynb')], { outDir: out }), /refusing to overwrite.*--force/);
    fs.writeFileSync(written, 'changed');
    assignNotebooks([path.join(FIXTURES, 'source', 'tiny.ipynb')], { outDir: out, force: true });
    assert.strictEqual(fs.readFileSync(written, 'utf8'), first);
    assert.deepStrictEqual(fs.readdirSync(out), ['tiny.ipynb'], 'no temp files left');
    assert.strictEqual(serializeNotebook(parseNotebook(first)), first, 'nbformat round trip');
  });

  it('parses its command line', () => {
    assert.deepStrictEqual(parseAssignArgs(['a.ipynb', '--out', 'rel', '--force']), { sources: ['a.ipynb'], outDir: 'rel', force: true, help: false });
    assert.throws(() => parseAssignArgs(['a.ipynb']), /--out DIR is required/);
    const g = parseGradeArgs(['--source', 's', 'x.ipynb', '--out=o', '--jobs', '2', '--timeout', '1.5']);
    assert.deepStrictEqual([g.opts.sourceDir, g.opts.outDir, g.opts.jobs, g.opts.cellTimeoutMs, g.submissions], ['s', 'o', 2, 1500, ['x.ipynb']]);
    assert.throws(() => parseGradeArgs(['--source', 's', '--out', 'o', '--jobs', '0', 'x']), /--jobs needs a positive integer/);
    assert.strictEqual(parseGradeArgs(['--source', 's', '--out', 'o', 'x', '--no-sandbox']).opts.noSandbox, true);
  });
});

describe('grading: restoring the source into a submission', () => {
  const source = tinySource();
  const released = releaseNotebook(source);
  const shown = foldHiddenTests(source);
  const student = (edit: (cells: Cell[]) => Cell[]): Notebook => ({ ...released, cells: edit(JSON.parse(JSON.stringify(released.cells))) });

  it('runs the student solutions with the teacher tests (hidden ones included) and flags nothing when untouched', () => {
    const plan = planExecution(source, released, shown, student((cs) => cs.map((c) => (gradeId(c) === 'sq-solution' ? { ...c, source: 'mine' } : c))));
    assert.deepStrictEqual(plan.flags, []);
    assert.strictEqual(plan.cells.find((p) => p.gradeId === 'sq-solution')!.cell.source, 'mine');
    const tests = plan.cells.find((p) => p.gradeId === 'sq-tests')!;
    assert.ok(tests.cell.source.includes('square(-4)'), 'hidden tests are restored (and run as checks, see grade.ts)');
    assert.ok(!tests.shown.source.includes('square(-4)') && tests.shown.source.includes('(hidden tests)'), 'but not shown');
  });

  it('restores and flags tampered and deleted locked cells; a deleted solution falls back to the stub', () => {
    const plan = planExecution(source, released, shown, student((cs) => cs
      .filter((c) => gradeId(c) !== 'fib-tests' && gradeId(c) !== 'fib-solution')
      .map((c) => (gradeId(c) === 'sq-tests' ? { ...c, source: '1' } : c))));
    assert.deepStrictEqual(plan.flags, [
      "solution cell 'fib-solution' was deleted: the empty released version was used",
      "test cell 'fib-tests' was deleted: restored from the source",
      "test cell 'sq-tests' was modified: restored from the source",
    ].sort((a, b) => plan.flags.indexOf(a) - plan.flags.indexOf(b)));
    assert.strictEqual(plan.flags.length, 3);
    assert.deepStrictEqual(plan.cells.map((p) => p.gradeId), source.cells.map(gradeId));
    assert.strictEqual(plan.cells.find((p) => p.gradeId === 'sq-tests')!.cell.source, byId(source, 'sq-tests').source);
    assert.ok(plan.cells.find((p) => p.gradeId === 'fib-solution')!.cell.source.includes('not implemented'));
  });

  it('matches cells whose nbgrader metadata was stripped by their nbformat cell id', () => {
    const plan = planExecution(source, released, shown, student((cs) => cs.map((c) => {
      const stripped = { ...c, metadata: {} };
      return gradeId(c) === 'sq-solution' ? { ...stripped, source: 'mine' } : stripped;
    })));
    assert.deepStrictEqual(plan.cells.map((p) => p.gradeId), source.cells.map(gradeId));
    assert.strictEqual(plan.cells.find((p) => p.gradeId === 'sq-solution')!.cell.source, 'mine');
    assert.ok(isSolution(plan.cells.find((p) => p.gradeId === 'sq-solution')!.cell));
    assert.deepStrictEqual(plan.flags, [], 'unchanged text is not tampering');
  });

  it('keeps added cells in place, refuses re-weighted points, ignores duplicates and foreign grade ids', () => {
    const extra: Cell = { cell_type: 'code', source: 'const helper = 1;', metadata: {}, execution_count: null, outputs: [] };
    const foreign: Cell = { ...extra, source: 'foreign', metadata: { nbgrader: { grade: true, solution: false, locked: true, grade_id: 'bonus', points: 100, schema_version: 3 } } };
    const plan = planExecution(source, released, shown, student((cs) => {
      const i = cs.findIndex((c) => gradeId(c) === 'sq-solution');
      cs[i] = { ...cs[i], metadata: { nbgrader: { ...cs[i].metadata.nbgrader, grade: true, points: 50 } } };
      cs.splice(i + 1, 0, extra, foreign, JSON.parse(JSON.stringify(cs[i])));
      return cs;
    }));
    const ids = plan.cells.map((p) => p.gradeId ?? p.cell.source);
    assert.deepStrictEqual(ids.slice(0, 6), ['intro', 'setup', 'sq-solution', 'const helper = 1;', 'foreign', 'sq-tests']);
    assert.ok(!isGrade(plan.cells[2].cell) && isSolution(plan.cells[2].cell), 'source metadata wins');
    assert.strictEqual(plan.cells[4].cell.metadata.nbgrader, undefined, 'a foreign grade cell is not scored');
    assert.strictEqual(plan.flags.length, 2);
  });
});

describe('grading: scoring', () => {
  const result = (text: string) => ({ output_type: 'execute_result' as const, execution_count: 1, data: { 'text/plain': text }, metadata: {} });

  it('scores error → 0, timeout → 0, not run → 0, a fraction in [0, 1] → partial, anything else → full', () => {
    assert.strictEqual(scoreTestCell('t', 4, { status: 'error', outputs: [{ output_type: 'error', ename: 'AssertionError', evalue: 'x\ny', traceback: [] }] }).score, 0);
    assert.strictEqual(scoreTestCell('t', 4, { status: 'error', outputs: [{ output_type: 'error', ename: 'AssertionError', evalue: 'x\ny', traceback: [] }] }).message, 'AssertionError: x');
    assert.strictEqual(scoreTestCell('t', 4, { status: 'timeout', outputs: [] }).status, 'timeout');
    assert.strictEqual(scoreTestCell('t', 4, undefined).status, 'not-run');
    assert.strictEqual(scoreTestCell('t', 4, { status: 'ok', outputs: [result('0.25')] }).score, 1);
    assert.strictEqual(scoreTestCell('t', 4, { status: 'ok', outputs: [result('7')] }).score, 4);
    assert.strictEqual(scoreTestCell('t', 4, { status: 'ok', outputs: [result("'0.5'")] }).score, 4, 'a string is not a number');
    assert.strictEqual(scoreTestCell('t', 3, { status: 'ok', outputs: [] }).score, 3);
    assert.strictEqual(partialFraction([result('1e-1')]), 0.1);
  });

  it('gives 0 to an untouched hand-graded answer and leaves a written one pending', () => {
    const source = tinySource();
    const released = releaseNotebook(source);
    const rel = new Map(released.cells.map((c) => [gradeId(c)!, c.source]));
    const plan = planExecution(source, released, foldHiddenTests(source), released);
    const runs = plan.cells.map((p) => (p.cell.cell_type === 'code' ? { status: 'ok' as const, outputs: [] } : undefined));
    const scores = scoreCells(plan.cells, runs, rel);
    assert.deepStrictEqual(scores.map((s) => [s.gradeId, s.score]), [['sq-tests', 2], ['fib-tests', 3], ['partial-tests', 1], ['q-answer', 0]]);
    assert.deepStrictEqual(totals(scores), { autoScore: 6, autoMax: 6, manualMax: 2, manualPending: 0 });
    const answered = { ...released, cells: released.cells.map((c) => (gradeId(c) === 'q-answer' ? { ...c, source: 'mine' } : c)) };
    const plan2 = planExecution(source, released, foldHiddenTests(source), answered);
    assert.strictEqual(totals(scoreCells(plan2.cells, runs, rel)).manualPending, 1);
  });
});

describe('grading: grade files and submissions', () => {
  const record = (student: string, notebook: string, score: number): GradeRecord => ({
    student, notebook, status: 'graded', flags: student === 'b' ? ['x, "y"'] : [], cells: [], autoScore: score, autoMax: 6,
    manualMax: 2, manualPending: 0, submissionSha256: 's', sourceSha256: 'h', attempt: 1, sandboxed: true,
  });
  const key = Buffer.alloc(32, 7);

  it('keeps every record, writes sorted CSV/JSON the same way whatever the order', () => {
    const out1 = tmpDir(), out2 = tmpDir();
    for (const r of [record('b', 'n.ipynb', 2), record('a', 'n.ipynb', 6.5)]) { writeRecord(out1, key, r); writeAggregates(out1, key); }
    for (const r of [record('a', 'n.ipynb', 6.5), record('b', 'n.ipynb', 2)]) { writeRecord(out2, key, r); writeAggregates(out2, key); }
    for (const f of ['grades.csv', 'grades.json']) assert.strictEqual(fs.readFileSync(path.join(out1, f), 'utf8'), fs.readFileSync(path.join(out2, f), 'utf8'));
    assert.deepStrictEqual(fs.readFileSync(path.join(out1, 'grades.csv'), 'utf8').split('\n'), [
      'student,notebook,status,reason,auto_score,auto_max,manual_max,manual_pending,flags',
      'a,n.ipynb,graded,,6.5,6,2,0,', 'b,n.ipynb,graded,,2,6,2,0,"x, ""y"""', '']);
    assert.strictEqual(readAllRecords(out1, key).records.length, 2);
    assert.strictEqual(gradesCsv([]).trim(), 'student,notebook,status,reason,auto_score,auto_max,manual_max,manual_pending,flags');
    assert.ok(isFinal(record('a', 'n', 1), 's', 'h') && !isFinal(record('a', 'n', 1), 'other', 'h'), 'a changed submission is re-graded');
  });

  it('caps the V8 heap of a Node kernel command line, and leaves other kernels alone', () => {
    assert.deepStrictEqual(cappedArgv([process.execPath, '--max-old-space-size=9', 'k.js', '{connection_file}'], 512),
      [process.execPath, '--max-old-space-size=512', 'k.js', '{connection_file}']);
    assert.deepStrictEqual(cappedArgv(['python3', '-m', 'k'], 512), ['python3', '-m', 'k']);
  });

  it('records an invalid notebook as 0 with its reason and feedback, without starting a kernel', async () => {
    const out = tmpDir();
    const summary = await gradeSubmissions([path.join(FIXTURES, 'submissions', 'invalid-json.ipynb')],
      { sourceDir: path.join(FIXTURES, 'source'), outDir: out, kernelArgv: ['/nonexistent/kernel', '{connection_file}'], noSandbox: true });
    assert.deepStrictEqual(summary.records.map((r) => [r.student, r.status, r.reason, r.autoScore, r.autoMax]), [['invalid-json', 'invalid', 'invalid-notebook', 0, 6]]);
    assert.ok(/not valid JSON/.test(summary.records[0].message ?? ''));
    assert.ok(fs.readFileSync(path.join(out, 'feedback', 'invalid-json', 'tiny.html'), 'utf8').includes('could not be read'));
    assert.strictEqual(fs.readFileSync(path.join(out, 'grades.csv'), 'utf8').split('\n')[1], 'invalid-json,tiny.ipynb,invalid,invalid-notebook,0,6,2,0,');
  });

  it('identifies students by file or directory name', () => {
    const dir = tmpDir();
    fs.mkdirSync(path.join(dir, 'alice'));
    fs.writeFileSync(path.join(dir, 'alice', 'a.ipynb'), '{}');
    fs.writeFileSync(path.join(dir, 'alice', 'b.ipynb'), '{}');
    fs.writeFileSync(path.join(dir, 'bob.ipynb'), '{}');
    const subs = resolveSubmissions([path.join(dir, 'alice')], ['a.ipynb', 'b.ipynb']);
    assert.deepStrictEqual(subs.map((s) => `${s.student}/${s.notebook}`), ['alice/a.ipynb', 'alice/b.ipynb']);
    assert.deepStrictEqual(resolveSubmissions([path.join(dir, 'alice', 'b.ipynb')], ['a.ipynb', 'b.ipynb']).map((s) => s.student), ['alice']);
    assert.deepStrictEqual(resolveSubmissions([path.join(dir, 'bob.ipynb')], ['tiny.ipynb']).map((s) => `${s.student}/${s.notebook}`), ['bob/tiny.ipynb']);
    assert.throws(() => resolveSubmissions([path.join(dir, 'bob.ipynb')], ['a.ipynb', 'b.ipynb']), /cannot tell which assignment/);
    assert.throws(() => resolveSubmissions([path.join(dir, 'alice'), path.join(dir, 'alice', 'a.ipynb')], ['a.ipynb', 'b.ipynb']), /two submissions for alice\/a.ipynb/);
  });
});

describe('grading: the exercise notebooks', () => {
  it('are up to date with their sources (scripts/exercises/build.ts)', () => {
    for (const [file, text] of renderExercises()) {
      assert.strictEqual(fs.readFileSync(path.join(EXERCISES_DIR, file), 'utf8'), text, `${file} is stale: run scripts/exercises/build.ts`);
    }
  });

  it('have, per section, ≥ 2 auto-graded exercises with hidden tests, hand-graded answers, and Chinese prose', () => {
    assert.strictEqual(EXERCISE_NOTEBOOKS.length, 7);
    for (const ex of EXERCISE_NOTEBOOKS) {
      const nb = readNotebook(path.join(EXERCISES_DIR, ex.file));
      assert.deepStrictEqual(nb, parseNotebook(serializeNotebook(toNotebook(ex))));
      const tests = nb.cells.filter((c) => isGrade(c) && !isSolution(c));
      const manual = nb.cells.filter((c) => isGrade(c) && isSolution(c));
      assert.ok(tests.length >= 2, `${ex.file}: ${tests.length} test cells`);
      assert.ok(tests.every((c) => c.source.includes('BEGIN HIDDEN TESTS')), `${ex.file}: every test cell has hidden tests`);
      assert.ok(manual.length >= 1 && manual.every((c) => c.cell_type === 'markdown'), `${ex.file}: hand-graded answers`);
      for (const c of nb.cells) {
        const m = nbgraderMeta(c)!;
        assert.strictEqual(m.schema_version, 3);
        assert.deepStrictEqual(Object.keys(m).sort(), ['grade', 'grade_id', 'locked', 'schema_version', 'solution', 'task', ...(m.grade ? ['points'] : [])].sort());
        if (c.cell_type === 'markdown') assert.ok(/[\u4e00-\u9fff]/.test(c.source), `${ex.file}/${m.grade_id}: Chinese prose`);
      }
      assert.strictEqual(nb.metadata.kernelspec.language, 'typescript');
    }
  });
});
