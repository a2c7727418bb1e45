/**
 * Grade records and the files they are kept in. Nothing already graded is ever lost:
 * - each finished (student, notebook) is written at once to `OUT/results/<student>/<notebook>.json` (atomically);
 * - `grades.json` and `grades.csv` are rebuilt from all those records after each one (atomically), so they always
 *   hold every grade written so far, sorted — the same bytes whatever order the jobs finished in;
 * - a re-run skips a submission whose record matches the same submission and source bytes (unless --force).
 */
import * as fs from 'fs';
import * as path from 'path';
import { writeFileAtomic } from '../util/atomic-write';
import type { FailureReason } from './isolation';
import type { CellScore, Totals } from './scoring';

/** 'graded': ran (possibly stopped early, see `reason`); 'invalid': not a notebook; 'error': grading itself failed. */
export type RecordStatus = 'graded' | 'invalid' | 'error';

export interface GradeRecord extends Totals {
  student: string;
  notebook: string;
  status: RecordStatus;
  /** Why the run stopped early or could not happen ('invalid-notebook', 'timeout', 'memory', 'kernel-died', …). */
  reason?: FailureReason | 'invalid-notebook' | 'unknown-notebook';
  message?: string;
  flags: string[];
  cells: CellScore[];
  submissionSha256: string;
  sourceSha256: string;
}

/** Student names become directory names: keep them to a safe alphabet. */
export function checkStudentName(name: string): string {
  if (!/^[A-Za-z0-9][A-Za-z0-9._@-]*$/.test(name)) {
    throw new Error(`student name '${name}' (from the submission's file or directory name) may only use letters, digits, '.', '_', '@' and '-'; rename it`);
  }
  return name;
}

export function recordPath(outDir: string, student: string, notebook: string): string {
  return path.join(outDir, 'results', student, `${notebook.replace(/\.ipynb$/, '')}.json`);
}

/** The stored record for (student, notebook), if any and readable. */
export function readRecord(outDir: string, student: string, notebook: string): GradeRecord | undefined {
  try {
    return JSON.parse(fs.readFileSync(recordPath(outDir, student, notebook), 'utf8')) as GradeRecord;
  } catch {
    return undefined;
  }
}

/** A record is final (skipped on re-runs) unless grading itself failed (e.g. the kernel could not start). */
export function isFinal(r: GradeRecord | undefined, submissionSha256: string, sourceSha256: string): boolean {
  return !!r && r.status !== 'error' && r.reason !== 'kernel-start' && r.submissionSha256 === submissionSha256 && r.sourceSha256 === sourceSha256;
}

export function writeRecord(outDir: string, r: GradeRecord): void {
  writeFileAtomic(recordPath(outDir, r.student, r.notebook), `${JSON.stringify(r, null, 1)}\n`);
}

/** Every stored record, sorted by student then notebook. */
export function readAllRecords(outDir: string): GradeRecord[] {
  const root = path.join(outDir, 'results');
  const records: GradeRecord[] = [];
  if (!fs.existsSync(root)) return records;
  for (const student of fs.readdirSync(root).sort()) {
    const dir = path.join(root, student);
    if (!fs.statSync(dir).isDirectory()) continue;
    for (const f of fs.readdirSync(dir).filter((x) => x.endsWith('.json')).sort()) {
      try {
        records.push(JSON.parse(fs.readFileSync(path.join(dir, f), 'utf8')));
      } catch {
        // a half-written file cannot exist (atomic writes); anything else unreadable is skipped, not fatal
      }
    }
  }
  return records.sort((a, b) => (a.student === b.student ? cmp(a.notebook, b.notebook) : cmp(a.student, b.student)));
}

const cmp = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

function csvField(v: string | number): string {
  const s = String(v);
  return /[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

export const CSV_COLUMNS = ['student', 'notebook', 'status', 'reason', 'auto_score', 'auto_max', 'manual_max', 'manual_pending', 'flags'];

/** grades.csv: one row per (student, notebook). */
export function gradesCsv(records: GradeRecord[]): string {
  const rows = records.map((r) => [r.student, r.notebook, r.status, r.reason ?? '', r.autoScore, r.autoMax, r.manualMax, r.manualPending, r.flags.join('; ')]);
  return [CSV_COLUMNS, ...rows].map((row) => row.map(csvField).join(',')).join('\n') + '\n';
}

/** grades.json: every record with its per-cell scores. */
export function gradesJson(records: GradeRecord[]): string {
  return `${JSON.stringify({ grades: records }, null, 1)}\n`;
}

/** Rebuilds grades.csv and grades.json from the stored records. */
export function writeAggregates(outDir: string): GradeRecord[] {
  const records = readAllRecords(outDir);
  writeFileAtomic(path.join(outDir, 'grades.json'), gradesJson(records));
  writeFileAtomic(path.join(outDir, 'grades.csv'), gradesCsv(records));
  return records;
}
