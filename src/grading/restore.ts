/**
 * The notebook that is actually executed for a submission: the teacher's source decides the structure, the
 * student contributes only what they may change.
 *
 * Cells are matched by nbgrader `grade_id` (cells without nbgrader metadata by nbformat cell `id`):
 * - solution cells take the student's source (a deleted one falls back to the released stub, flagged);
 * - locked cells and test cells always come from the source, hidden tests included — a tampered or deleted one
 *   is restored and flagged (tampering = its checksum differs from the released cell's);
 * - cells the student added stay where they were, after the source cell they followed;
 * - a student cell that claims an unknown or duplicate grade_id runs as plain student code and is never scored.
 */
import type { Cell, Notebook } from '../jupyter/nbformat';
import { computeChecksum, gradeId, isGrade, isLocked, isSolution, nbgraderMeta } from './nbgrader';

/** Where an executed cell came from. */
export type CellOrigin = 'source' | 'student' | 'released';

export interface PlannedCell {
  cell: Cell;
  origin: CellOrigin;
  /** grade_id of a source cell; undefined for plain or student-added cells. */
  gradeId?: string;
  /** The cell as the feedback should show it (hidden tests folded away); same as `cell` when nothing is hidden. */
  shown: Cell;
}

export interface RestorePlan {
  cells: PlannedCell[];
  /** Human-readable problems found in the submission's structure (tampering, deletions, duplicates). */
  flags: string[];
}

const clone = (c: Cell): Cell => JSON.parse(JSON.stringify(c));

function describe(cell: Cell): string {
  if (isGrade(cell) && !isSolution(cell)) return 'test cell';
  if (isSolution(cell)) return isGrade(cell) ? 'answer cell' : 'solution cell';
  return 'locked cell';
}

function asStudentCode(cell: Cell): Cell {
  const c = clone(cell);
  delete c.metadata.nbgrader;
  if (c.cell_type === 'code') { c.outputs = []; c.execution_count = null; }
  return c;
}

/**
 * Merges `submission` into `source`. `released` is the student version of `source` (from `releaseNotebook`);
 * `shownSource` is the source with hidden tests folded, used for the feedback notebook.
 */
export function planExecution(source: Notebook, released: Notebook, shownSource: Notebook, submission: Notebook): RestorePlan {
  const flags: string[] = [];
  const sourceIds = new Set(source.cells.map(gradeId).filter((g): g is string => g !== undefined));
  const plainSourceCellIds = new Set(source.cells.filter((c) => !gradeId(c) && c.id).map((c) => c.id as string));
  const studentById = new Map<string, Cell>();
  const extras = new Map<string, Cell[]>(); // anchor grade_id ('' = before the first) → cells the student added
  let anchor = '';
  const addExtra = (c: Cell) => {
    if (!extras.has(anchor)) extras.set(anchor, []);
    extras.get(anchor)!.push(asStudentCode(c));
  };
  // A front end that dropped cell metadata but kept nbformat cell ids still identifies the cells.
  const gidByCellId = new Map(source.cells.filter((c) => gradeId(c) && c.id).map((c) => [c.id as string, gradeId(c)!]));
  for (const cell of submission.cells) {
    const gid = gradeId(cell) ?? (cell.id && !nbgraderMeta(cell) ? gidByCellId.get(cell.id) : undefined);
    if (gid !== undefined && sourceIds.has(gid)) {
      if (studentById.has(gid)) {
        flags.push(`duplicate cell '${gid}': only the first copy was used, the other copy was ignored`);
        continue;
      }
      studentById.set(gid, cell);
      anchor = gid;
    } else if (gid !== undefined) {
      flags.push(`cell '${gid}' is not part of the assignment: it ran as ordinary student code and was not scored`);
      addExtra(cell);
    } else if (cell.id && plainSourceCellIds.has(cell.id)) {
      continue; // the source's own plain cell: the source version runs
    } else {
      addExtra(cell);
    }
  }

  const releasedById = new Map(released.cells.filter((c) => gradeId(c)).map((c) => [gradeId(c)!, c]));
  const shownById = new Map(shownSource.cells.filter((c) => gradeId(c)).map((c) => [gradeId(c)!, c]));
  const out: PlannedCell[] = (extras.get('') ?? []).map((c) => ({ cell: c, origin: 'student' as const, shown: c }));
  source.cells.forEach((src, i) => {
    const gid = gradeId(src);
    if (gid === undefined) {
      const c = clone(src);
      out.push({ cell: c, origin: 'source', shown: clone(shownSource.cells[i] ?? src) });
      return;
    }
    const student = studentById.get(gid);
    const rel = releasedById.get(gid)!;
    if (isSolution(src)) {
      if (!student) {
        flags.push(`${describe(src)} '${gid}' was deleted: the empty released version was used`);
        out.push({ cell: clone(rel), origin: 'released', gradeId: gid, shown: clone(rel) });
      } else {
        // Source metadata (points, flags) with the student's text: students cannot re-weight their own cells.
        const c: Cell = { ...clone(src), source: student.source };
        if (c.cell_type === 'code') { c.outputs = []; c.execution_count = null; }
        if (student.cell_type !== src.cell_type) flags.push(`${describe(src)} '${gid}' changed type to ${student.cell_type}: graded as ${src.cell_type}`);
        out.push({ cell: c, origin: 'student', gradeId: gid, shown: c });
      }
    } else if (isLocked(src) || isGrade(src)) {
      if (!student) {
        flags.push(`${describe(src)} '${gid}' was deleted: restored from the source`);
      } else if (student.source !== rel.source || student.cell_type !== rel.cell_type ||
                 (nbgraderMeta(student) && computeChecksum(student) !== computeChecksum(rel))) {
        // Text, type, or (when metadata is present) flags/points differ from the released cell
        flags.push(`${describe(src)} '${gid}' was modified: restored from the source`);
      }
      out.push({ cell: clone(src), origin: 'source', gradeId: gid, shown: clone(shownById.get(gid) ?? src) });
    } else {
      // An nbgrader cell that is neither locked, graded nor a solution: the student may edit it.
      const c = student ? { ...clone(src), source: student.source } : clone(src);
      out.push({ cell: c, origin: student ? 'student' : 'source', gradeId: gid, shown: c });
    }
    for (const extra of extras.get(gid) ?? []) out.push({ cell: extra, origin: 'student', shown: extra });
  });
  for (const c of out) {
    if (c.cell.cell_type === 'code') { c.cell.outputs = []; c.cell.execution_count = null; }
    if (nbgraderMeta(c.cell)) delete nbgraderMeta(c.cell)!.checksum;
  }
  return { cells: out, flags };
}
