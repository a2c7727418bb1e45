/**
 * The cells of the exercise notebooks, from their Markdown sources (`notebooks/src/exercises/*.md`). Every cell
 * carries nbgrader schema-3 metadata, so `d2l assign`/`d2l grade` and nbgrader itself read the same roles:
 *
 *   :::{exercise} id          read-only instructions (Markdown)
 *   ```{setup} id             read-only set-up code (imports, helpers the tests use)
 *   ```{solution} id          the student's cell; the teacher's answer between `// BEGIN SOLUTION` / `// END SOLUTION`
 *   ````{tests} id            an auto-graded test cell, `:points: N`; a nested ```{hidden-tests} block becomes the
 *                             part between `// BEGIN HIDDEN TESTS` and `// END HIDDEN TESTS` (removed on release)
 *   :::{answer} id            a written answer graded by hand, `:points: N` (replaced by "YOUR ANSWER HERE")
 */
import type { Cell, Notebook } from '../../src/jupyter/nbformat';
import { KERNELSPEC, LANGUAGE_INFO } from '../notebooks/format';
import { Block, DirectiveBlock, SourceError, SourceDoc } from '../notebooks/source';

/** One exercise notebook. */
export interface ExerciseNotebook {
  /** File name under notebooks/exercises/. */
  file: string;
  cells: Cell[];
}

interface Role { code: boolean; grade: boolean; solution: boolean; locked: boolean; points: boolean; colon: boolean }

const ROLES: Record<string, Role> = {
  exercise: { code: false, grade: false, solution: false, locked: true, points: false, colon: true },
  setup: { code: true, grade: false, solution: false, locked: true, points: false, colon: false },
  solution: { code: true, grade: false, solution: true, locked: false, points: false, colon: false },
  tests: { code: true, grade: true, solution: false, locked: true, points: true, colon: false },
  answer: { code: false, grade: true, solution: true, locked: false, points: true, colon: true },
};

const HIDDEN_OPEN = '```{hidden-tests}';

function fail(b: Block, message: string): never {
  throw new SourceError(`${b.at.file}:${b.at.line}: ${message}`);
}

/** A test cell's source: its nested ```{hidden-tests} block written between nbgrader's HIDDEN TESTS markers. */
function testSource(b: DirectiveBlock): string {
  const lines = b.body.split('\n');
  const open = lines.indexOf(HIDDEN_OPEN);
  if (open < 0) return b.body;
  const close = lines.indexOf('```', open + 1);
  if (close < 0) fail(b, `${HIDDEN_OPEN} is never closed with a line '\`\`\`' (the tests fence needs four backticks)`);
  if (lines.indexOf(HIDDEN_OPEN, close) >= 0) fail(b, `one ${HIDDEN_OPEN} block per test cell`);
  return [...lines.slice(0, open), '// BEGIN HIDDEN TESTS', ...lines.slice(open + 1, close), '// END HIDDEN TESTS',
          ...lines.slice(close + 1)].join('\n');
}

function cellOf(b: Block): Cell {
  if (b.kind !== 'directive' || !(b.name in ROLES)) {
    fail(b, `every cell of an exercise notebook needs a role: ${Object.keys(ROLES).map((r) => `{${r}} id`).join(', ')}` +
      (b.kind === 'directive' ? ` (got {${b.name}})` : ''));
  }
  const role = ROLES[b.name];
  const id = b.arg;
  if (!/^[a-zA-Z0-9_-]{1,64}$/.test(id)) fail(b, `{${b.name}} needs a cell id of letters, digits, '-' or '_', got '${id}'`);
  if (role.colon !== b.colon) fail(b, `{${b.name}} is written ${role.colon ? ':::{' : '```{'}${b.name}} ${id}`);
  const nbgrader: Record<string, unknown> = {
    grade: role.grade, grade_id: id, locked: role.locked, schema_version: 3, solution: role.solution, task: false,
  };
  if (role.points) {
    const points = Number(b.options.points);
    if (!(points > 0)) fail(b, `{${b.name}} ${id} needs ':points: N' (a positive number)`);
    nbgrader.points = points;
  }
  const source = b.name === 'tests' ? testSource(b) : b.body;
  return role.code
    ? { cell_type: 'code', id, source, metadata: { nbgrader }, execution_count: null, outputs: [] }
    : { cell_type: 'markdown', id, source, metadata: { nbgrader } };
}

/** The exercise notebook a parsed source describes. */
export function exerciseNotebook(doc: SourceDoc, file: string): ExerciseNotebook {
  return { file, cells: doc.blocks.map(cellOf) };
}

/** The nbformat notebook (ids checked: unique, nbformat-4.5 alphabet). */
export function toNotebook(ex: ExerciseNotebook): Notebook {
  const ids = new Set<string>();
  for (const c of ex.cells) {
    if (!/^[a-zA-Z0-9_-]{1,64}$/.test(c.id!)) throw new Error(`${ex.file}: bad cell id '${c.id}'`);
    if (ids.has(c.id!)) throw new Error(`${ex.file}: duplicate cell id '${c.id}'`);
    ids.add(c.id!);
  }
  return { nbformat: 4, nbformat_minor: 5, metadata: { kernelspec: KERNELSPEC, language_info: LANGUAGE_INFO }, cells: ex.cells };
}
