/**
 * `d2l grade` as a library: find who submitted what, run each submission in isolation, score it, and write
 * records, aggregates and feedback as each one finishes (see results.ts for what is kept where).
 *
 * Submission identity (documented in docs/teachers.md):
 * - a directory `<student>/` holding notebooks named like the source notebooks (`<student>/7.1-alexnet.ipynb`);
 * - a file `<student>/<source notebook name>.ipynb` → student = its directory's name;
 * - a file `<student>.ipynb` when the source directory holds exactly one notebook.
 */
import * as fs from 'fs';
import * as path from 'path';
import { Notebook, parseNotebook, writeNotebook } from '../jupyter/nbformat';
import { writeFileAtomic } from '../util/atomic-write';
import { foldHiddenTests, releaseNotebook } from './assign';
import { feedbackHtml, feedbackNotebook } from './feedback';
import { executeIsolated, IsolationOptions } from './isolation';
import { cellPoints, gradeId, isGrade, isSolution, sha256 } from './nbgrader';
import { planExecution } from './restore';
import { checkStudentName, GradeRecord, isFinal, readRecord, writeAggregates, writeRecord } from './results';
import { CellScore, scoreCells, totals } from './scoring';
import { forEachConcurrently } from '../util/pool';

export interface GradeOptions extends IsolationOptions {
  sourceDir: string;
  outDir: string;
  /** Submissions graded at the same time (default 1). */
  jobs?: number;
  /** Re-grade submissions that already have a record for the same bytes. */
  force?: boolean;
  /** Progress lines (default: none). */
  log?: (line: string) => void;
}

export interface Submission {
  student: string;
  notebook: string;
  file: string;
}

interface SourceNotebook {
  name: string;
  source: Notebook;
  released: Notebook;
  shown: Notebook;
  sha256: string;
  releasedSources: Map<string, string>;
}

/** Reads and checks every source notebook of `dir` (the teacher's versions, with solutions and hidden tests). */
export function loadSources(dir: string): Map<string, SourceNotebook> {
  if (!fs.existsSync(dir) || !fs.statSync(dir).isDirectory()) throw new Error(`--source ${dir}: not a directory; pass the directory of the teacher's notebooks`);
  const files = fs.readdirSync(dir).filter((f) => f.endsWith('.ipynb')).sort();
  if (files.length === 0) throw new Error(`--source ${dir}: no .ipynb notebooks in it`);
  const out = new Map<string, SourceNotebook>();
  for (const name of files) {
    const file = path.join(dir, name);
    const bytes = fs.readFileSync(file);
    const source = parseNotebook(bytes.toString('utf8'), file);
    const released = releaseNotebook(source, file);
    const releasedSources = new Map(released.cells.filter((c) => gradeId(c)).map((c) => [gradeId(c)!, c.source]));
    out.set(name, { name, source, released, shown: foldHiddenTests(source), sha256: sha256(bytes), releasedSources });
  }
  return out;
}

/** Who submitted which notebook (see the file comment). Throws on ambiguous or clashing submissions. */
export function resolveSubmissions(inputs: string[], sourceNames: string[]): Submission[] {
  const subs: Submission[] = [];
  const add = (student: string, notebook: string, file: string) => subs.push({ student: checkStudentName(student), notebook, file: path.resolve(file) });
  for (const input of inputs) {
    if (!fs.existsSync(input)) throw new Error(`${input}: no such submission file or directory`);
    if (fs.statSync(input).isDirectory()) {
      const files = fs.readdirSync(input).filter((f) => f.endsWith('.ipynb')).sort();
      if (files.length === 0) throw new Error(`${input}: submission directory holds no .ipynb notebooks`);
      for (const f of files) add(path.basename(path.resolve(input)), f, path.join(input, f));
    } else if (sourceNames.includes(path.basename(input))) {
      add(path.basename(path.dirname(path.resolve(input))), path.basename(input), input);
    } else if (sourceNames.length === 1) {
      add(path.basename(input).replace(/\.ipynb$/, ''), sourceNames[0], input);
    } else {
      throw new Error(`${input}: cannot tell which assignment notebook this is; name it like the source notebook ` +
        `(<student>/<notebook>.ipynb, one of ${sourceNames.join(', ')}) or pass the student's directory`);
    }
  }
  const seen = new Map<string, string>();
  for (const s of subs) {
    const key = `${s.student}/${s.notebook}`;
    if (seen.has(key)) throw new Error(`two submissions for ${key}: ${seen.get(key)} and ${s.file}; pass only one`);
    seen.set(key, s.file);
  }
  return subs.sort((a, b) => (a.student + '/' + a.notebook < b.student + '/' + b.notebook ? -1 : 1));
}

/** Every graded cell of a source at zero (for submissions that cannot run at all). */
function zeroScores(src: SourceNotebook): CellScore[] {
  return src.source.cells.filter((c) => gradeId(c) && isGrade(c)).map((c) => ({
    gradeId: gradeId(c)!, kind: isSolution(c) ? 'manual' as const : 'auto' as const, points: cellPoints(c), score: 0,
    status: 'not-run' as const, message: 'the submission could not be run',
  }));
}

function feedbackDir(outDir: string, student: string): string {
  return path.join(outDir, 'feedback', student);
}

async function gradeOne(sub: Submission, src: SourceNotebook | undefined, bytes: Buffer, opts: GradeOptions): Promise<GradeRecord> {
  const base = { student: sub.student, notebook: sub.notebook, submissionSha256: sha256(bytes), sourceSha256: src?.sha256 ?? '' };
  if (!src) {
    return { ...base, status: 'invalid', reason: 'unknown-notebook', message: `no source notebook named ${sub.notebook}`, flags: [], cells: [], autoScore: 0, autoMax: 0, manualMax: 0, manualPending: 0 };
  }
  let submission: Notebook;
  try {
    submission = parseNotebook(bytes.toString('utf8'), path.basename(sub.file));
  } catch (e) {
    const cells = zeroScores(src);
    const message = (e as Error).message;
    // The student still gets feedback saying why nothing ran.
    const fb: Notebook = { nbformat: 4, nbformat_minor: 5, metadata: src.source.metadata, cells: [
      { cell_type: 'markdown', metadata: {}, source: `# Feedback: ${sub.student} — ${sub.notebook}\n\nAuto-graded: **0 / ${totals(cells).autoMax}**\n\n**The submission could not be read:** ${message}` }] };
    writeFileAtomic(path.join(feedbackDir(opts.outDir, sub.student), sub.notebook.replace(/\.ipynb$/, '.html')), feedbackHtml(fb, `${sub.student} — ${sub.notebook}`));
    return { ...base, status: 'invalid', reason: 'invalid-notebook', message, flags: [], cells, ...totals(cells) };
  }
  const plan = planExecution(src.source, src.released, src.shown, submission);
  const outcome = await executeIsolated(plan.cells.map((p) => p.cell), opts);
  const cells = scoreCells(plan.cells, outcome.runs, src.releasedSources);
  // A cell that was interrupted for running too long marks the submission even when the rest ran normally.
  const timedOut = outcome.runs.findIndex((r) => r?.status === 'timeout');
  if (!outcome.failure && timedOut >= 0) {
    outcome.failure = { reason: 'timeout', message: `cell ${timedOut} ran longer than the per-cell limit and was interrupted` };
  }
  const t = totals(cells);
  const fb = feedbackNotebook({
    student: sub.student, notebook: sub.notebook, plan: plan.cells, runs: outcome.runs, executionCounts: outcome.executionCounts,
    scores: cells, totals: t, flags: plan.flags, failure: outcome.failure?.message, metadata: src.source.metadata,
  });
  const dir = feedbackDir(opts.outDir, sub.student);
  writeNotebook(path.join(dir, sub.notebook), fb);
  writeFileAtomic(path.join(dir, sub.notebook.replace(/\.ipynb$/, '.html')), feedbackHtml(fb, `${sub.student} — ${sub.notebook}`));
  return {
    ...base, status: outcome.failure?.reason === 'kernel-start' ? 'error' : 'graded',
    ...(outcome.failure ? { reason: outcome.failure.reason, message: outcome.failure.message } : {}),
    flags: plan.flags, cells, ...t,
  };
}

export interface GradeSummary {
  records: GradeRecord[];
  graded: number;
  skipped: number;
}

/** Grades every submission (see the file comment); resumable and safe to interrupt at any point. */
export async function gradeSubmissions(inputs: string[], opts: GradeOptions): Promise<GradeSummary> {
  const sources = loadSources(opts.sourceDir);
  const subs = resolveSubmissions(inputs, [...sources.keys()]);
  const log = opts.log ?? (() => undefined);
  fs.mkdirSync(opts.outDir, { recursive: true });
  let graded = 0, skipped = 0;
  const jobs = Math.max(1, Math.min(opts.jobs ?? 1, subs.length || 1));
  await forEachConcurrently(subs, jobs, async (sub) => {
    const src = sources.get(sub.notebook);
    let bytes: Buffer;
    try {
      bytes = fs.readFileSync(sub.file);
    } catch (e) {
      bytes = Buffer.from(`unreadable: ${(e as Error).message}`);
    }
    if (!opts.force && isFinal(readRecord(opts.outDir, sub.student, sub.notebook), sha256(bytes), src?.sha256 ?? '')) {
      skipped++;
      log(`${sub.student}/${sub.notebook}: already graded (use --force to re-grade)`);
      return;
    }
    let record: GradeRecord;
    try {
      record = await gradeOne(sub, src, bytes, opts);
    } catch (e) {
      // A bug or an unexpected I/O problem with one submission must not stop the batch.
      const cells = src ? zeroScores(src) : [];
      record = { student: sub.student, notebook: sub.notebook, status: 'error', message: (e as Error).message,
        flags: [], cells, ...totals(cells), submissionSha256: sha256(bytes), sourceSha256: src?.sha256 ?? '' };
    }
    writeRecord(opts.outDir, record);
    writeAggregates(opts.outDir);
    graded++;
    log(`${sub.student}/${sub.notebook}: ${record.autoScore} / ${record.autoMax}${record.reason ? ` (${record.reason})` : ''}${record.flags.length ? ` [${record.flags.length} flag(s)]` : ''}`);
  });
  const records = writeAggregates(opts.outDir);
  return { records, graded, skipped };
}
