/**
 * nbgrader's cell metadata (schema version 3) and its checksum, so the notebooks `d2l assign` writes can also be
 * processed by nbgrader itself, and so `d2l grade` reads the same markings nbgrader would.
 *
 * A cell's role comes from `metadata.nbgrader`:
 *   solution only            → the student writes code/prose here (the solution region is cleared on release);
 *   grade only (code)        → an auto-graded test cell worth `points` (locked);
 *   grade + solution         → an answer graded by hand (markdown prose, or code read by the teacher);
 *   locked only              → read-only instructions or set-up code;
 *   task                     → a manually graded task description (nbgrader ≥ 0.6).
 */
import { createHash } from 'crypto';
import type { Cell } from '../jupyter/nbformat';

/** `metadata.nbgrader` as nbgrader writes it (schema 3). */
export interface NbgraderMeta {
  grade: boolean;
  solution: boolean;
  locked: boolean;
  task: boolean;
  grade_id: string;
  points?: number;
  schema_version: 3;
  /** Written by `assign` on the released cell (nbgrader's ComputeChecksums). */
  checksum?: string;
}

export const SCHEMA_VERSION = 3;

/** The cell's nbgrader metadata, or undefined for a plain cell (one without a grade_id). */
export function nbgraderMeta(cell: Cell): NbgraderMeta | undefined {
  const m = cell.metadata?.nbgrader;
  if (!m || typeof m !== 'object' || typeof m.grade_id !== 'string' || m.grade_id === '') return undefined;
  return m as NbgraderMeta;
}

export function gradeId(cell: Cell): string | undefined {
  return nbgraderMeta(cell)?.grade_id;
}

export function isGrade(cell: Cell): boolean {
  return nbgraderMeta(cell)?.grade === true;
}

export function isSolution(cell: Cell): boolean {
  return nbgraderMeta(cell)?.solution === true;
}

/** nbgrader's rule: a grade cell that is not a solution cell is always locked. */
export function isLocked(cell: Cell): boolean {
  const m = nbgraderMeta(cell);
  if (!m) return false;
  if (!m.solution && m.grade) return true;
  return m.locked === true;
}

/** Points of a grade cell (0 for any other cell). */
export function cellPoints(cell: Cell): number {
  const p = Number(nbgraderMeta(cell)?.points ?? 0);
  return Number.isFinite(p) && p > 0 ? p : 0;
}

/** Python's `str(float(x))` for the values points take (1 → "1.0", 0.5 → "0.5"). */
function pyFloat(x: number): string {
  return Number.isInteger(x) ? x.toFixed(1) : String(x);
}

/**
 * nbgrader's `compute_checksum`: MD5 over source, cell type, the grade/solution/locked flags (as Python's
 * "True"/"False"), the grade_id and, for grade cells, the points as a float. Same bytes as nbgrader, so a
 * notebook released by `d2l assign` validates in nbgrader and vice versa.
 */
export function computeChecksum(cell: Cell): string {
  const m = nbgraderMeta(cell);
  const py = (b: boolean) => (b ? 'True' : 'False');
  const h = createHash('md5');
  h.update(cell.source, 'utf8');
  h.update(cell.cell_type, 'utf8');
  h.update(py(isGrade(cell)));
  h.update(py(isSolution(cell)));
  h.update(py(isLocked(cell)));
  h.update(m?.grade_id ?? '', 'utf8');
  if (isGrade(cell)) h.update(pyFloat(Number(m?.points ?? 0)));
  return h.digest('hex');
}

/** Checks the markings a grader relies on; returns one message per problem (empty = fine). */
export function validateNbgraderCells(cells: Cell[], name: string): string[] {
  const problems: string[] = [];
  const seen = new Set<string>();
  cells.forEach((cell, i) => {
    const m = nbgraderMeta(cell);
    if (!m) return;
    if (seen.has(m.grade_id)) problems.push(`${name}: cell ${i}: grade_id '${m.grade_id}' is used twice; grade_ids must be unique`);
    seen.add(m.grade_id);
    if (m.grade && !(Number(m.points) > 0)) problems.push(`${name}: cell ${i} ('${m.grade_id}') is a grade cell without positive points`);
    if (m.grade && !m.solution && cell.cell_type !== 'code') {
      problems.push(`${name}: cell ${i} ('${m.grade_id}') is an auto-graded test cell but not a code cell`);
    }
  });
  return problems;
}

/** SHA-256 of a file's bytes (identifies the exact submission/source version graded). */
export function sha256(data: string | Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}
