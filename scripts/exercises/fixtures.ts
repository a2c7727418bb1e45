/**
 * Writes the grading test fixtures (test/fixtures/grading/): a tiny teacher notebook (plain TypeScript, no
 * TensorFlow, so a kernel runs it in seconds), one fake submission per failure mode, each derived from the
 * released version the way a student would edit it, and the attack suite's dishonest submissions (attacks.ts).
 *
 *   npx ts-node --transpile-only scripts/exercises/fixtures.ts
 */
import * as fs from 'fs';
import * as path from 'path';
import { Cell, Notebook, serializeNotebook, writeFileAtomic } from '../../src/jupyter/nbformat';
import { releaseNotebook } from '../../src/grading/assign';
import { gradeId } from '../../src/grading/nbgrader';
import { answer, md, setup, solution, tests, toNotebook } from './cells';
import { attackSubmissions } from './attacks';

export const FIXTURES_DIR = path.resolve(__dirname, '..', '..', 'test', 'fixtures', 'grading');

/**
 * The teacher's notebook: two functions, their tests, a partial-credit test and a hand-graded answer. Every test
 * cell has hidden checks, which `d2l grade` evaluates outside the student's kernel (the attack suite relies on
 * that: visible tests run where a dishonest student can fake them). The marker comment is never sent anywhere.
 */
export function tinySource(): Notebook {
  return toNotebook({ file: 'tiny.ipynb', cells: [
    md('intro')`
      # Tiny exercise sheet

      Write \`square\` and \`fib\`.
    `,
    setup('setup')`
      import * as assert from 'assert';
      import { check } from 'd2l';
    `,
    solution('sq-solution')`
      function square(x: number): number {
        // BEGIN SOLUTION
        return x * x;
        // END SOLUTION
      }
    `,
    tests('sq-tests', 2)`
      assert.strictEqual(square(3), 9);
      // BEGIN HIDDEN TESTS
      // TEACHER-ONLY-7f3c (a marker the attack suite looks for in what students could see)
      check(square(-4), 16);
      check(square(0.5), 0.25);
      // END HIDDEN TESTS
    `,
    solution('fib-solution')`
      function fib(n: number): number {
        // BEGIN SOLUTION
        let [a, b] = [0, 1];
        for (let i = 0; i < n; i++) [a, b] = [b, a + b];
        return a;
        // END SOLUTION
      }
    `,
    tests('fib-tests', 3)`
      assert.strictEqual(fib(10), 55);
      // BEGIN HIDDEN TESTS
      check(fib(20), 6765);
      // END HIDDEN TESTS
    `,
    // Partial credit: the visible code's last value is the fraction of checks passed (if the hidden one passes).
    tests('partial-tests', 1)`
      [square(2) === 4, square(-3) === 9, fib(1) === 1, fib(6) === 8].filter((ok) => ok).length / 4
      // BEGIN HIDDEN TESTS
      check(square(7), 49);
      // END HIDDEN TESTS
    `,
    md('q-md')`Why does \`fib\` use a loop rather than recursion?`,
    answer('q-answer', 2)`Recursion without memoization takes exponential time; the loop is linear.`,
  ] });
}

export type Edit = (cells: Cell[]) => Cell[];

export const setSource = (id: string, source: string): Edit => (cells) => cells.map((c) => (gradeId(c) === id ? { ...c, source } : c));
export const remove = (...ids: string[]): Edit => (cells) => cells.filter((c) => !ids.includes(gradeId(c) ?? ''));
export const insertAfter = (id: string, cell: Cell): Edit => (cells) => cells.flatMap((c) => (gradeId(c) === id ? [c, cell] : [c]));
export const studentCell = (source: string): Cell => ({ cell_type: 'code', source, metadata: {}, execution_count: null, outputs: [] });

const SQUARE = 'function square(x: number): number {\n  return x * x;\n}';
const FIB = 'function fib(n: number): number {\n  let [a, b] = [0, 1];\n  for (let i = 0; i < n; i++) [a, b] = [b, a + b];\n  return a;\n}';
const solved: Edit[] = [setSource('sq-solution', SQUARE), setSource('fib-solution', FIB)];

/** Each fake submission: the edits a student made to the released notebook (or raw bytes). */
export const SUBMISSIONS: Record<string, Edit[] | string> = {
  correct: [...solved, setSource('q-answer', 'Because naive recursion recomputes the same values exponentially often.')],
  'wrong-answer': [setSource('sq-solution', SQUARE), setSource('fib-solution', 'function fib(n: number): number {\n  return n + 1;\n}')],
  'syntax-error': [setSource('sq-solution', 'function square(x: number): number {\n  return x * ;\n}'), setSource('fib-solution', FIB)],
  'runtime-error': [...solved, insertAfter('setup', studentCell('const config: any = null;\nconsole.log(config.missing.value);'))],
  'infinite-loop': [setSource('sq-solution', SQUARE), setSource('fib-solution', 'function fib(n: number): number {\n  if (n < 10) return [0, 1, 1, 2, 3, 5, 8, 13, 21, 34][n];\n  while (true) { n++; }\n}')],
  'process-exit': [setSource('sq-solution', SQUARE), setSource('fib-solution', `process.exit(3);\n${FIB}`)],
  'huge-allocation': [setSource('sq-solution', SQUARE),
    setSource('fib-solution', `const hog: Float64Array[] = [];\nfor (;;) hog.push(new Float64Array(5e7).fill(1));\n${FIB}`)],
  'tampered-test': [setSource('sq-solution', 'function square(x: number): number {\n  return 0;\n}'), setSource('fib-solution', FIB),
    setSource('sq-tests', '// the test was here\n1')],
  'deleted-cells': [setSource('sq-solution', SQUARE), remove('sq-tests', 'fib-solution')],
  'invalid-json': '{"cells": [{"cell_type": "code", "source": "function square(',
};

/** The submission notebooks' file contents, keyed by student name. */
export function renderSubmissions(submissions: Record<string, Edit[] | string> = SUBMISSIONS): Map<string, string> {
  const released = releaseNotebook(tinySource(), 'tiny.ipynb');
  const out = new Map<string, string>();
  for (const [student, edits] of Object.entries(submissions)) {
    if (typeof edits === 'string') { out.set(student, edits); continue; }
    const cells = edits.reduce((cs, edit) => edit(cs), JSON.parse(JSON.stringify(released.cells)) as Cell[]);
    out.set(student, serializeNotebook({ ...released, cells }));
  }
  return out;
}

function main(): void {
  writeFileAtomic(path.join(FIXTURES_DIR, 'source', 'tiny.ipynb'), serializeNotebook(tinySource()));
  const subDir = path.join(FIXTURES_DIR, 'submissions');
  fs.rmSync(subDir, { recursive: true, force: true });
  for (const [student, text] of renderSubmissions()) writeFileAtomic(path.join(subDir, `${student}.ipynb`), text);
  const attackDir = path.join(FIXTURES_DIR, 'attacks');
  fs.rmSync(attackDir, { recursive: true, force: true });
  for (const [student, text] of renderSubmissions(attackSubmissions())) writeFileAtomic(path.join(attackDir, `${student}.ipynb`), text);
  console.log(`wrote ${FIXTURES_DIR}`);
}

if (require.main === module) main();
