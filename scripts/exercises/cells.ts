/**
 * Vocabulary of the exercise notebooks: every cell carries nbgrader schema-3 metadata, so `d2l assign`/`d2l grade`
 * and nbgrader itself read the same roles. Text is written as template literals (String.raw semantics, so code
 * like '\n' reaches the notebook as written) and dedented.
 */
import type { Cell, Notebook } from '../../src/jupyter/nbformat';

/** Our kernel (kernelspec name `d2l`, language `typescript`). */
export const KERNELSPEC = { display_name: 'TypeScript (d2l)', language: 'typescript', name: 'd2l' };
export const LANGUAGE_INFO = { file_extension: '.ts', mimetype: 'text/typescript', name: 'typescript' };

function dedent(text: string): string {
  const lines = text.replace(/\r\n/g, '\n').split('\n');
  while (lines.length > 0 && lines[0].trim() === '') lines.shift();
  while (lines.length > 0 && lines[lines.length - 1].trim() === '') lines.pop();
  const indents = lines.filter((l) => l.trim() !== '').map((l) => /^ */.exec(l)![0].length);
  const cut = indents.length > 0 ? Math.min(...indents) : 0;
  return lines.map((l) => l.slice(cut).replace(/\s+$/, '')).join('\n');
}

function text(strings: TemplateStringsArray | string, values: unknown[]): string {
  if (typeof strings === 'string') return dedent(strings);
  const raw = strings.raw.reduce((acc, s, i) => acc + s.replace(/\\([`$])/g, '$1') + (i < values.length ? String(values[i]) : ''), '');
  return dedent(raw);
}

/** Joins hard-wrapped Chinese lines (a line break between two Chinese characters would render as a space). */
function joinCjk(src: string): string {
  const cjkEnd = /[\u3000-\u303f\u3400-\u9fff\uff00-\uffef]$/;
  const blockStart = /^(\s*([*+-]\s|\d+\.\s|#|>|\||```|\$\$)|\s*$)/;
  const out: string[] = [];
  let fence = false;
  for (const line of src.split('\n')) {
    if (line.trim().startsWith('```')) fence = !fence;
    const prev = out[out.length - 1];
    if (!fence && prev !== undefined && cjkEnd.test(prev) && !blockStart.test(line)) out[out.length - 1] = prev + line.trim();
    else out.push(line);
  }
  return out.join('\n');
}

type Template = [TemplateStringsArray | string, ...unknown[]];

function meta(gradeId: string, role: { grade: boolean; solution: boolean; locked: boolean; points?: number }): Record<string, any> {
  const m: Record<string, any> = { grade: role.grade, grade_id: gradeId, locked: role.locked, schema_version: 3, solution: role.solution, task: false };
  if (role.points !== undefined) m.points = role.points;
  return { nbgrader: m };
}

const codeCell = (id: string, source: string, metadata: Record<string, any>): Cell =>
  ({ cell_type: 'code', id, source, metadata, execution_count: null, outputs: [] });
const mdCell = (id: string, source: string, metadata: Record<string, any>): Cell => ({ cell_type: 'markdown', id, source, metadata });

/** Read-only instructions. */
export const md = (id: string) => (...t: Template): Cell => mdCell(id, joinCjk(text(t[0], t.slice(1))), meta(id, { grade: false, solution: false, locked: true }));
/** Read-only set-up code (imports, helpers the tests use). */
export const setup = (id: string) => (...t: Template): Cell => codeCell(id, text(t[0], t.slice(1)), meta(id, { grade: false, solution: false, locked: true }));
/** The student's cell; the teacher's answer sits between `// BEGIN SOLUTION` and `// END SOLUTION`. */
export const solution = (id: string) => (...t: Template): Cell => codeCell(id, text(t[0], t.slice(1)), meta(id, { grade: false, solution: true, locked: false }));
/** An auto-graded test cell worth `points` (visible asserts, hidden ones between the HIDDEN TESTS markers). */
export const tests = (id: string, points: number) => (...t: Template): Cell => codeCell(id, text(t[0], t.slice(1)), meta(id, { grade: true, solution: false, locked: true, points }));
/** A written answer graded by hand; the teacher's model answer is replaced by "YOUR ANSWER HERE" on release. */
export const answer = (id: string, points: number) => (...t: Template): Cell => mdCell(id, joinCjk(text(t[0], t.slice(1))), meta(id, { grade: true, solution: true, locked: false, points }));

/** One exercise notebook. */
export interface ExerciseNotebook {
  /** File name under notebooks/exercises/. */
  file: string;
  cells: Cell[];
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

/** The set-up cell every exercise notebook starts with: imports, backend, and the assertion helpers. */
export function commonSetup(id = 'setup'): Cell {
  return setup(id)`
    import * as tf from '@tensorflow/tfjs';
    import * as d2l from 'd2l';
    import * as assert from 'assert';
    await d2l.ensureBackend();

    /** Passes when |actual - expected| <= tol * max(1, |expected|). */
    function assertClose(actual: number, expected: number, tol = 1e-4, what = 'value'): void {
      const ok = Math.abs(actual - expected) <= tol * Math.max(1, Math.abs(expected));
      assert.ok(ok, what + ': expected ' + expected + ', got ' + actual);
    }
    /** Trainable parameters of a model or layer (weights and biases; BN's gamma and beta). */
    function trainableParams(net: tf.LayersModel | tf.layers.Layer): number {
      return net.trainableWeights.reduce((n, w) => n + w.shape.reduce((a: number, b) => a * (b as number), 1), 0);
    }
  `;
}
