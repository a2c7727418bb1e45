/**
 * How long a run has left. A training cell reports its progress as display metadata (`d2l.progress` on the live
 * figure: epochs done of total, see src/train/trainCh6.ts); from it and the time the cell has run, the time left
 * in that training follows. A run's time left is the remaining notebooks at the pace of those finished so far.
 */
import { PROGRESS_METADATA_KEY } from '../display/protocol';
import type { Output } from '../jupyter/nbformat';

/** The metadata key a training cell reports its progress under (on any display output). */
export const PROGRESS_KEY = PROGRESS_METADATA_KEY;

export interface TrainingProgress {
  done: number;
  total: number;
  unit: string;
}

/** The newest training progress among a cell's outputs, if it reports one. */
export function trainingProgress(outputs: Output[]): TrainingProgress | undefined {
  for (let i = outputs.length - 1; i >= 0; i--) {
    const o = outputs[i];
    if (o.output_type !== 'display_data' && o.output_type !== 'execute_result') continue;
    const p = (o.metadata as Record<string, unknown> | undefined)?.[PROGRESS_KEY] as Partial<TrainingProgress> | undefined;
    if (p && Number.isFinite(p.done) && Number.isFinite(p.total) && p.total! > 0) {
      return { done: Math.max(0, Math.min(p.done!, p.total!)), total: p.total!, unit: String(p.unit ?? 'epoch') };
    }
  }
  return undefined;
}

/** Milliseconds left in a training that has run `elapsedMs` and done `p`; undefined until it has measurably begun. */
export function trainingTimeLeft(p: TrainingProgress, elapsedMs: number): number | undefined {
  const fraction = p.done / p.total;
  if (fraction < 0.02 || elapsedMs < 2000) return undefined;
  return (elapsedMs * (1 - fraction)) / fraction;
}

/** Milliseconds left for `remaining` notebooks at the mean pace of `finishedMs`, run `jobs` at a time. */
export function runTimeLeft(finishedMs: number[], remaining: number, jobs = 1): number | undefined {
  if (finishedMs.length === 0 || remaining <= 0) return remaining <= 0 ? 0 : undefined;
  const mean = finishedMs.reduce((a, b) => a + b, 0) / finishedMs.length;
  return (mean * remaining) / Math.max(1, jobs);
}
