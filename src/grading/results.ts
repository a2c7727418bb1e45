/**
 * Grade records and the files they are kept in. Nothing already graded is ever lost, and nothing else counts:
 * - each finished (student, notebook) is written at once to `OUT/results/<student>/<notebook>.json` (atomically),
 *   signed with the output directory's key (outdir.ts): HMAC-SHA256 over the record's canonical JSON;
 * - a file there that is not a well-formed record signed with that key, or that sits under another student's or
 *   notebook's name, is reported and ignored (never fatal): it neither counts in the aggregates nor saves a
 *   submission from being graded;
 * - `grades.json` and `grades.csv` are rebuilt from the trusted records after each one (atomically), sorted: the
 *   same bytes whatever order the jobs finished in;
 * - a re-run skips a submission whose record matches the same submission and source bytes (unless --force),
 *   except that a run cut short by a timeout, the memory cap or a dead kernel is tried once more (the cause may
 *   have been the machine, not the submission).
 */
import { createHmac, timingSafeEqual } from 'crypto';
import * as fs from 'fs';
import * as path from 'path';
import { writeFileAtomic } from '../util/atomic-write';
import type { FailureReason } from './isolation';
import type { CellScore, Totals } from './scoring';

/** 'graded': ran (possibly stopped early, see `reason`); 'invalid': not a notebook; 'error': grading itself failed. */
export type RecordStatus = 'graded' | 'invalid' | 'error';

export type RecordReason = FailureReason | 'invalid-notebook' | 'unknown-notebook';

export interface GradeRecord extends Totals {
  student: string;
  notebook: string;
  status: RecordStatus;
  /** Why the run stopped early or could not happen ('invalid-notebook', 'timeout', 'memory', 'kernel-died', …). */
  reason?: RecordReason;
  message?: string;
  flags: string[];
  cells: CellScore[];
  submissionSha256: string;
  sourceSha256: string;
  /** How many runs of these exact bytes this record took (1, or 2 after a retry). */
  attempt: number;
  /** Whether the kernel ran in a sandbox. */
  sandboxed: boolean;
}

/** Reasons that may come from outside the submission: such a record is graded once more on the next run. */
export const RETRIED_REASONS: readonly RecordReason[] = ['timeout', 'memory', 'kernel-died'];

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

/** JSON with object keys sorted at every level: the bytes the signature covers. */
function canonical(v: unknown): string {
  if (v === null || typeof v !== 'object') return JSON.stringify(v) ?? 'null';
  if (Array.isArray(v)) return `[${v.map(canonical).join(',')}]`;
  const o = v as Record<string, unknown>;
  return `{${Object.keys(o).filter((k) => o[k] !== undefined).sort().map((k) => `${JSON.stringify(k)}:${canonical(o[k])}`).join(',')}}`;
}

function signature(r: GradeRecord, key: Buffer): string {
  return createHmac('sha256', key).update(canonical(r)).digest('hex');
}

const STATUSES = ['graded', 'invalid', 'error'];
const REASONS = ['timeout', 'memory', 'kernel-died', 'kernel-start', 'invalid-notebook', 'unknown-notebook'];
const CELL_STATUSES = ['passed', 'partial', 'failed', 'timeout', 'not-run', 'manual', 'no-answer'];
const isNum = (x: unknown): x is number => typeof x === 'number' && Number.isFinite(x);
const isStr = (x: unknown): x is string => typeof x === 'string';

function validCell(c: any): boolean {
  return !!c && typeof c === 'object' && isStr(c.gradeId) && (c.kind === 'auto' || c.kind === 'manual') && isNum(c.points) &&
    (c.score === null || isNum(c.score)) && CELL_STATUSES.includes(c.status) && (c.message === undefined || isStr(c.message));
}

/** What is wrong with a parsed record file, or undefined when it has the shape of a GradeRecord. */
function shapeProblem(r: any): string | undefined {
  if (!r || typeof r !== 'object' || Array.isArray(r)) return 'not a grade record';
  const bad = [
    !isStr(r.student) && 'student', !isStr(r.notebook) && 'notebook', !STATUSES.includes(r.status) && 'status',
    r.reason !== undefined && !REASONS.includes(r.reason) && 'reason', r.message !== undefined && !isStr(r.message) && 'message',
    !(Array.isArray(r.flags) && r.flags.every(isStr)) && 'flags', !(Array.isArray(r.cells) && r.cells.every(validCell)) && 'cells',
    ...['autoScore', 'autoMax', 'manualMax', 'manualPending'].map((k) => !isNum(r[k]) && k),
    !isStr(r.submissionSha256) && 'submissionSha256', !isStr(r.sourceSha256) && 'sourceSha256',
    !(Number.isInteger(r.attempt) && r.attempt >= 1) && 'attempt', typeof r.sandboxed !== 'boolean' && 'sandboxed',
    !isStr(r.signature) && 'signature',
  ].filter(Boolean);
  return bad.length ? `not a grade record (${bad.join(', ')} missing or wrong)` : undefined;
}

/** A stored record file: the record when it is well-formed, signed with `key` and under its own name; else why not. */
export function readRecordFile(file: string, key: Buffer, student: string, notebook: string): { record: GradeRecord } | { problem: string } {
  let parsed: any;
  try {
    parsed = JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch (e) {
    return { problem: `unreadable (${(e as Error).message.split('\n')[0]})` };
  }
  const bad = shapeProblem(parsed);
  if (bad) return { problem: bad };
  const { signature: sig, ...record } = parsed as GradeRecord & { signature: string };
  const want = Buffer.from(signature(record, key), 'hex');
  const got = Buffer.from(/^[0-9a-f]{64}$/.test(sig) ? sig : '', 'hex');
  if (got.length !== want.length || !timingSafeEqual(got, want)) return { problem: 'not signed by this output directory\'s key (written by something else, or changed since)' };
  if (record.student !== student || record.notebook.replace(/\.ipynb$/, '') !== notebook) {
    return { problem: `a record of ${record.student}/${record.notebook} in the wrong place` };
  }
  return { record };
}

/** The trusted stored record for (student, notebook), if any. */
export function readRecord(outDir: string, key: Buffer, student: string, notebook: string): GradeRecord | undefined {
  const file = recordPath(outDir, student, notebook);
  if (!fs.existsSync(file)) return undefined;
  const r = readRecordFile(file, key, student, notebook.replace(/\.ipynb$/, ''));
  return 'record' in r ? r.record : undefined;
}

/**
 * Whether a record is final (skipped on re-runs): not when grading itself failed, not for other bytes, and not
 * the first time a run was cut short for a reason that may have come from outside (RETRIED_REASONS).
 */
export function isFinal(r: GradeRecord | undefined, submissionSha256: string, sourceSha256: string): boolean {
  if (!r || r.status === 'error' || r.reason === 'kernel-start') return false;
  if (r.submissionSha256 !== submissionSha256 || r.sourceSha256 !== sourceSha256) return false;
  return !(r.reason && RETRIED_REASONS.includes(r.reason) && r.attempt < 2);
}

/** The attempt number of a new record, given the stored one. */
export function nextAttempt(previous: GradeRecord | undefined, submissionSha256: string, sourceSha256: string): number {
  return previous && previous.submissionSha256 === submissionSha256 && previous.sourceSha256 === sourceSha256 ? previous.attempt + 1 : 1;
}

export function writeRecord(outDir: string, key: Buffer, r: GradeRecord): void {
  writeFileAtomic(recordPath(outDir, r.student, r.notebook), `${JSON.stringify({ ...r, signature: signature(r, key) }, null, 1)}\n`);
}

export interface StoredRecords {
  records: GradeRecord[];
  /** One line per file of results/ that was ignored, and why. */
  problems: string[];
}

/** Every trusted record, sorted by student then notebook, and what was ignored. */
export function readAllRecords(outDir: string, key: Buffer): StoredRecords {
  const root = path.join(outDir, 'results');
  const records: GradeRecord[] = [];
  const problems: string[] = [];
  if (!fs.existsSync(root)) return { records, problems };
  for (const student of fs.readdirSync(root).sort()) {
    const dir = path.join(root, student);
    if (!fs.lstatSync(dir).isDirectory()) { problems.push(`results/${student}: not a directory of records`); continue; }
    for (const f of fs.readdirSync(dir).sort()) {
      const rel = `results/${student}/${f}`;
      if (/^\..*\.tmp$/.test(f)) continue; // another job's record being written (atomic-write's temp file)
      if (!f.endsWith('.json') || !fs.lstatSync(path.join(dir, f)).isFile()) { problems.push(`${rel}: not a record file`); continue; }
      const r = readRecordFile(path.join(dir, f), key, student, f.replace(/\.json$/, ''));
      if ('record' in r) records.push(r.record);
      else problems.push(`${rel}: ${r.problem}`);
    }
  }
  records.sort((a, b) => (a.student === b.student ? cmp(a.notebook, b.notebook) : cmp(a.student, b.student)));
  return { records, problems };
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

/** Rebuilds grades.csv and grades.json from the trusted records. */
export function writeAggregates(outDir: string, key: Buffer): StoredRecords {
  const stored = readAllRecords(outDir, key);
  writeFileAtomic(path.join(outDir, 'grades.json'), gradesJson(stored.records));
  writeFileAtomic(path.join(outDir, 'grades.csv'), gradesCsv(stored.records));
  return stored;
}
