/**
 * The end-of-run report, from what the notebooks reported with `reportResult` (the one result channel): one row
 * per notebook (status, duration, its last result's loss, accuracies and speed) and the results table of
 * `npm start` (one row per result). Also as JSON for `--json FILE`.
 */
import type { NotebookRun } from './execute';
import { formatDuration } from './progress';
import type { D2lResult } from './result';

/** Renders rows as a plain text table with a header rule (columns padded, no trailing spaces). */
export function textTable(header: string[], rows: string[][], rightAligned: boolean[] = []): string {
  const widths = header.map((h, c) => Math.max(h.length, ...rows.map((r) => (r[c] ?? '').length)));
  const fmt = (cells: string[]) => cells
    .map((cell, c) => (rightAligned[c] ? cell.padStart(widths[c]) : cell.padEnd(widths[c])))
    .join('  ').trimEnd();
  return [fmt(header), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(fmt)].join('\n');
}

function num(x: number | undefined, digits: number): string {
  return x === undefined || Number.isNaN(x) ? '-' : x.toFixed(digits);
}

function statusText(run: NotebookRun): string {
  if (run.status === 'ok') return run.failures.length ? `ok (${run.failures.length} errors allowed)` : 'ok';
  const f = run.failures[run.failures.length - 1];
  return f ? `${run.status} (cell ${f.cellIndex})` : run.status;
}

/** The notebook's last reported result (7.5 reports the scratch and then the concise LeNet-BN). */
function lastResult(run: NotebookRun): D2lResult | undefined {
  return run.results[run.results.length - 1];
}

/** One row per notebook: notebook, status, duration, loss / train acc / test acc, examples/sec (last result). */
export function summaryTable(runs: NotebookRun[]): string {
  const rows = runs.map((r) => {
    const last = lastResult(r);
    const speed = last?.examplesPerSec;
    return [
      r.input,
      statusText(r),
      formatDuration(r.durationMs),
      num(last?.loss, 3),
      num(last?.trainAcc, 3),
      num(last?.testAcc, 3),
      speed === undefined ? '-' : `${speed.toFixed(1)} on ${last?.device ?? '?'}`,
    ];
  });
  return textTable(['notebook', 'status', 'duration', 'loss', 'train acc', 'test acc', 'examples/sec'], rows,
    [false, false, true, true, true, true, false]);
}

function compactCount(n: number | undefined): string {
  if (n === undefined) return '-';
  if (n >= 1e6) return `${(n / 1e6).toFixed(1)}M`;
  if (n >= 1e3) return `${(n / 1e3).toFixed(1)}k`;
  return String(n);
}

/** One row per reported result, notebooks in run order. */
export function resultRows(runs: NotebookRun[]): D2lResult[] {
  return runs.flatMap((r) => r.results);
}

/** The results table: section, model, parameters, backend, profile, examples/sec, train acc, test acc. */
export function resultsTable(results: D2lResult[]): string {
  const rows = results.map((r) => [
    r.section,
    r.model,
    compactCount(r.params),
    r.backend ?? r.device ?? '-',
    r.profile ?? '-',
    num(r.examplesPerSec, 1),
    num(r.trainAcc, 3),
    num(r.testAcc, 3),
  ]);
  return textTable(['section', 'model', 'parameters', 'backend', 'profile', 'examples/sec', 'train acc', 'test acc'], rows,
    [false, false, true, false, false, true, true, true]);
}

/** The data of `--json FILE`. */
export function summaryJson(runs: NotebookRun[], exitCode: number): unknown {
  return {
    exitCode,
    notebooks: runs.map((r) => ({
      input: r.input,
      output: r.output,
      status: r.status,
      durationSec: Math.round(r.durationMs) / 1000,
      failures: r.failures,
      results: r.results,
      ...(r.message ? { message: r.message } : {}),
    })),
    results: resultRows(runs),
  };
}
