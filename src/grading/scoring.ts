/**
 * Scores of the graded cells of one executed submission.
 *
 * Auto-graded test cell (grade, not solution, code):
 *   error, timeout, or never run (kernel gone) → 0;
 *   a hidden check failed (compared in the grader, see hidden.ts) → 0;
 *   ran without error and its last visible value (execute_result) is a number in [0, 1] → that fraction of its
 *   points; otherwise → all its points.
 * Answer cell graded by hand (grade + solution): unchanged from the released stub → 0 ("no answer"); otherwise the
 * score is left for the teacher (null) and counted as pending.
 */
import type { Cell, Output } from '../jupyter/nbformat';
import type { ChecksOutcome } from './hidden';
import { cellPoints, gradeId, isGrade, isSolution } from './nbgrader';
import type { PlannedCell } from './restore';

/** How a code cell's execution ended, as recorded by the executor. */
export type RunStatus = 'ok' | 'error' | 'timeout' | 'dead' | 'aborted' | 'not-run';

export interface CellRun {
  /** How the cell's visible code ended. */
  status: RunStatus;
  /** The visible code's outputs (a hidden check's own outputs never reach the feedback). */
  outputs: Output[];
  /** The verdicts of the cell's hidden checks, when it has any and they ran. */
  checks?: ChecksOutcome;
}

export type ScoreStatus = 'passed' | 'partial' | 'failed' | 'timeout' | 'not-run' | 'manual' | 'no-answer';

export interface CellScore {
  gradeId: string;
  kind: 'auto' | 'manual';
  points: number;
  /** null = to be graded by hand. */
  score: number | null;
  status: ScoreStatus;
  /** Why points were lost (first line of the error), for the feedback. */
  message?: string;
}

/** Rounds away binary noise so totals print the same everywhere (scores are multiples of 1e-6 at most). */
export function roundScore(x: number): number {
  return Math.round(x * 1e6) / 1e6;
}

/** The fraction encoded by a test cell's last value, or undefined when it is not a number in [0, 1]. */
export function partialFraction(outputs: Output[]): number | undefined {
  const results = outputs.filter((o) => o.output_type === 'execute_result');
  const last = results[results.length - 1];
  if (!last || last.output_type !== 'execute_result') return undefined;
  const text = last.data['text/plain'];
  if (typeof text !== 'string' || !/^\s*[-+]?(\d+\.?\d*|\.\d+)(e[-+]?\d+)?\s*$/i.test(text)) return undefined;
  const value = Number(text);
  return value >= 0 && value <= 1 ? value : undefined;
}

const clip = (s: string, max: number) => (s.length > max ? `${s.slice(0, max - 3)}...` : s);

function errorMessage(outputs: Output[]): string | undefined {
  const err = outputs.find((o) => o.output_type === 'error');
  if (!err || err.output_type !== 'error') return undefined;
  return clip(`${err.ename}: ${err.evalue}`.split('\n')[0], 300);
}

/** Score of one auto-graded test cell from how it ran. */
export function scoreTestCell(gid: string, points: number, run: CellRun | undefined): CellScore {
  const base = { gradeId: gid, kind: 'auto' as const, points };
  if (!run || run.status === 'not-run' || run.status === 'aborted' || run.status === 'dead') {
    const why = run?.status === 'dead' ? errorMessage(run.outputs) ?? 'the kernel died' : 'not run: the submission stopped before this cell';
    return { ...base, score: 0, status: 'not-run', message: why };
  }
  if (run.status === 'timeout') return { ...base, score: 0, status: 'timeout', message: errorMessage(run.outputs) ?? 'timed out' };
  if (run.status === 'error' || run.outputs.some((o) => o.output_type === 'error')) {
    return { ...base, score: 0, status: 'failed', message: errorMessage(run.outputs) ?? 'error' };
  }
  if (run.checks && run.checks.failures.length > 0) {
    return { ...base, score: 0, status: 'failed', message: clip(run.checks.failures.join('; '), 600) };
  }
  const fraction = partialFraction(run.outputs);
  if (fraction !== undefined && fraction < 1) {
    return { ...base, score: roundScore(points * fraction), status: 'partial', message: `partial credit ${fraction}` };
  }
  return { ...base, score: points, status: 'passed' };
}

/** Score of a hand-graded answer: 0 when untouched, else pending. */
export function scoreManualCell(cell: Cell, releasedSource: string | undefined): CellScore {
  const gid = gradeId(cell)!;
  const points = cellPoints(cell);
  const untouched = releasedSource !== undefined && cell.source.trim() === releasedSource.trim();
  return untouched
    ? { gradeId: gid, kind: 'manual', points, score: 0, status: 'no-answer', message: 'no answer written' }
    : { gradeId: gid, kind: 'manual', points, score: null, status: 'manual' };
}

/** Scores every grade cell of an executed plan, in notebook order. `runs` is indexed like `plan`. */
export function scoreCells(plan: PlannedCell[], runs: (CellRun | undefined)[], releasedSources: Map<string, string>): CellScore[] {
  const scores: CellScore[] = [];
  plan.forEach((p, i) => {
    if (p.gradeId === undefined || !isGrade(p.cell)) return;
    if (isSolution(p.cell)) scores.push(scoreManualCell(p.cell, releasedSources.get(p.gradeId)));
    else scores.push(scoreTestCell(p.gradeId, cellPoints(p.cell), runs[i]));
  });
  return scores;
}

export interface Totals {
  autoScore: number;
  autoMax: number;
  manualMax: number;
  /** Hand-graded answers still waiting for the teacher. */
  manualPending: number;
}

export function totals(scores: CellScore[]): Totals {
  let autoScore = 0, autoMax = 0, manualMax = 0, manualPending = 0;
  for (const s of scores) {
    if (s.kind === 'auto') { autoScore += s.score ?? 0; autoMax += s.points; } else { manualMax += s.points; if (s.score === null) manualPending++; }
  }
  return { autoScore: roundScore(autoScore), autoMax: roundScore(autoMax), manualMax: roundScore(manualMax), manualPending };
}
