/**
 * Student versions of exercise notebooks (what nbgrader's "generate assignment" does): solution regions become a
 * stub, hidden tests disappear, outputs are cleared and every graded/solution/locked cell gets nbgrader's checksum.
 */
import * as fs from 'fs';
import * as path from 'path';
import { Cell, Notebook, readNotebook, serializeNotebook } from '../jupyter/nbformat';
import { writeFileAtomic } from '../util/atomic-write';
import { computeChecksum, isGrade, isLocked, isSolution, nbgraderMeta, validateNbgraderCells } from './nbgrader';

export const BEGIN_SOLUTION = 'BEGIN SOLUTION';
export const END_SOLUTION = 'END SOLUTION';
export const BEGIN_HIDDEN = 'BEGIN HIDDEN TESTS';
export const END_HIDDEN = 'END HIDDEN TESTS';

/** nbgrader `ClearSolutions.code_stub` for our kernel's language (documented in docs/teachers.md). */
export const CODE_STUBS: Record<string, string> = {
  typescript: '// YOUR CODE HERE\nthrow new Error("not implemented");',
  javascript: '// YOUR CODE HERE\nthrow new Error("not implemented");',
  python: '# YOUR CODE HERE\nraise NotImplementedError()',
};
export const TEXT_STUB = 'YOUR ANSWER HERE';

/** A notebook whose markers do not pair up; the message names the cell and the fix. */
export class AssignError extends Error {
  override name = 'AssignError';
}

/** The code stub for a notebook's kernel language (TypeScript unless the notebook says otherwise). */
export function codeStub(nb: Notebook): string {
  const lang = String(nb.metadata?.kernelspec?.language ?? nb.metadata?.language_info?.name ?? 'typescript').toLowerCase();
  const stub = CODE_STUBS[lang];
  if (!stub) throw new AssignError(`no code stub for kernel language '${lang}'; known: ${Object.keys(CODE_STUBS).join(', ')}`);
  return stub;
}

/**
 * Replaces each `BEGIN SOLUTION` … `END SOLUTION` region (marker lines included) by `stub`, indented like the
 * BEGIN line. Returns undefined when the text has no region.
 */
export function replaceRegions(source: string, begin: string, end: string, stub: string | null, where: string): string | undefined {
  const lines = source.split('\n');
  const out: string[] = [];
  let inside = false;
  let found = false;
  for (const line of lines) {
    if (line.includes(begin)) {
      if (inside) throw new AssignError(`${where}: '${begin}' again before '${end}'; close each region before opening the next`);
      inside = true;
      found = true;
      if (stub !== null) {
        const indent = /^\s*/.exec(line)![0];
        out.push(...stub.split('\n').map((l) => indent + l));
      }
      continue;
    }
    if (line.includes(end)) {
      if (!inside) throw new AssignError(`${where}: '${end}' without a preceding '${begin}'`);
      inside = false;
      continue;
    }
    if (!inside) out.push(line);
  }
  if (inside) throw new AssignError(`${where}: '${begin}' is never closed; add a line containing '${end}'`);
  return found ? out.join('\n') : undefined;
}

/** Source with the hidden test regions removed (unchanged when there are none). */
export function removeHiddenTests(source: string, where = 'cell'): string {
  return replaceRegions(source, BEGIN_HIDDEN, END_HIDDEN, null, where) ?? source;
}

/** Source of a solution cell as released: regions → stub; a solution cell without regions is wholly replaced. */
export function clearSolution(cell: Cell, stub: string, where = 'cell'): string {
  const cleared = replaceRegions(cell.source, BEGIN_SOLUTION, END_SOLUTION, cell.cell_type === 'code' ? stub : TEXT_STUB, where);
  if (cleared !== undefined) {
    // nbgrader refuses this too: a region outside a solution cell would be graded as if it were locked code
    if (!isSolution(cell)) throw new AssignError(`${where} has a '${BEGIN_SOLUTION}' region but is not a solution cell; mark it as one (metadata.nbgrader.solution = true)`);
    return cleared;
  }
  if (!isSolution(cell)) return cell.source;
  return cell.cell_type === 'code' ? stub : TEXT_STUB;
}

/** One released cell: no solution, no hidden tests, no outputs, with nbgrader's checksum. */
function releaseCell(cell: Cell, stub: string, where: string): Cell {
  const copy: Cell = JSON.parse(JSON.stringify(cell));
  copy.source = removeHiddenTests(clearSolution(copy, stub, where), where);
  if (copy.cell_type === 'code') {
    copy.outputs = [];
    copy.execution_count = null;
  }
  const meta = nbgraderMeta(copy);
  if (meta) {
    delete meta.checksum;
    if (isGrade(copy) || isSolution(copy) || isLocked(copy)) meta.checksum = computeChecksum(copy);
  }
  return copy;
}

/** The student version of a teacher's notebook (pure; see the file comment). */
export function releaseNotebook(nb: Notebook, name = 'notebook'): Notebook {
  const problems = validateNbgraderCells(nb.cells, name);
  if (problems.length > 0) throw new AssignError(problems.join('\n'));
  const stub = codeStub(nb);
  return { ...nb, metadata: JSON.parse(JSON.stringify(nb.metadata)), cells: nb.cells.map((c, i) => releaseCell(c, stub, `${name}: cell ${i}`)) };
}

/** The .ipynb files named by `inputs` (files, or directories whose *.ipynb are taken), sorted, without duplicates. */
export function expandNotebookPaths(inputs: string[]): string[] {
  const files = new Set<string>();
  for (const input of inputs) {
    let stat: fs.Stats;
    try {
      stat = fs.statSync(input);
    } catch {
      throw new AssignError(`${input}: no such file or directory`);
    }
    if (stat.isDirectory()) {
      const found = fs.readdirSync(input).filter((f) => f.endsWith('.ipynb')).sort();
      if (found.length === 0) throw new AssignError(`${input}: directory holds no .ipynb notebooks`);
      for (const f of found) files.add(path.resolve(input, f));
    } else {
      files.add(path.resolve(input));
    }
  }
  return [...files].sort();
}

export interface AssignOptions {
  outDir: string;
  force?: boolean;
}

/**
 * Releases every source notebook into `outDir` under its own file name. Everything is read and checked before
 * anything is written; an existing release is only overwritten with `force`. Returns the written paths.
 */
export function assignNotebooks(sources: string[], opts: AssignOptions): string[] {
  const files = expandNotebookPaths(sources);
  const names = new Map<string, string>();
  for (const f of files) {
    const base = path.basename(f);
    if (names.has(base)) throw new AssignError(`two sources share the file name ${base} (${names.get(base)} and ${f}); rename one`);
    names.set(base, f);
  }
  const released = files.map((f) => ({ target: path.join(opts.outDir, path.basename(f)), text: serializeNotebook(releaseNotebook(readNotebook(f), f)) }));
  const existing = released.filter((r) => fs.existsSync(r.target)).map((r) => r.target);
  if (existing.length > 0 && !opts.force) {
    throw new AssignError(`refusing to overwrite an existing release: ${existing.join(', ')}. Pass --force to replace it.`);
  }
  for (const r of released) writeFileAtomic(r.target, r.text);
  return released.map((r) => r.target);
}

/** The source as feedback shows it: each hidden-test region folded to one comment line (the tests stay private). */
export function foldHiddenTests(nb: Notebook): Notebook {
  const cells = nb.cells.map((c, i) => {
    const folded = replaceRegions(c.source, BEGIN_HIDDEN, END_HIDDEN, '// (hidden tests)', `cell ${i}`);
    return folded === undefined ? c : { ...JSON.parse(JSON.stringify(c)), source: folded };
  });
  return { ...nb, cells };
}
