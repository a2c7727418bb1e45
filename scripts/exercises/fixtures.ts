/**
 * Writes the grading test fixtures (test/fixtures/grading/): a tiny teacher notebook (plain TypeScript, no
 * TensorFlow, so a kernel runs it in seconds) and one fake submission per failure mode, each derived from the
 * released version the way a student would edit it.
 *
 *   npx ts-node --transpile-only scripts/exercises/fixtures.ts
 */
import * as fs from 'fs';
import * as path from 'path';
import { Cell, Notebook, serializeNotebook, writeFileAtomic } from '../../src/jupyter/nbformat';
import { releaseNotebook } from '../../src/grading/assign';
import { gradeId } from '../../src/grading/nbgrader';
import { readSource } from '../notebooks/source';
import { exerciseNotebook, toNotebook } from './cells';

export const FIXTURES_DIR = path.resolve(__dirname, '..', '..', 'test', 'fixtures', 'grading');

/**
 * The teacher's notebook (./tiny.md, in the exercise sources' format): two functions, their tests, a
 * partial-credit test (the cell's last value is the fraction of checks passed) and a hand-graded answer.
 */
export function tinySource(): Notebook {
  const root = path.resolve(__dirname, '..', '..');
  return toNotebook(exerciseNotebook(readSource(path.join(__dirname, 'tiny.md'), root), 'tiny.ipynb'));
}

type Edit = (cells: Cell[]) => Cell[];

const setSource = (id: string, source: string): Edit => (cells) => cells.map((c) => (gradeId(c) === id ? { ...c, source } : c));
const remove = (...ids: string[]): Edit => (cells) => cells.filter((c) => !ids.includes(gradeId(c) ?? ''));
const insertAfter = (id: string, cell: Cell): Edit => (cells) => cells.flatMap((c) => (gradeId(c) === id ? [c, cell] : [c]));
const studentCell = (source: string): Cell => ({ cell_type: 'code', source, metadata: {}, execution_count: null, outputs: [] });

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
export function renderSubmissions(): Map<string, string> {
  const released = releaseNotebook(tinySource(), 'tiny.ipynb');
  const out = new Map<string, string>();
  for (const [student, edits] of Object.entries(SUBMISSIONS)) {
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
  console.log(`wrote ${FIXTURES_DIR}`);
}

if (require.main === module) main();
