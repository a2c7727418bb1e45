/**
 * The end-of-run report: one row per notebook (status, duration, final metric lines) and, when the notebooks
 * reported results (`reportResult`), the results table of `npm start`. Also as JSON for `--json FILE`.
 */
import * as path from 'path';
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

/** One row per notebook: notebook, status, duration, loss / train acc / test acc, examples/sec. */
export function summaryTable(runs: NotebookRun[]): string {
  const rows = runs.map((r) => [
    r.input,
    statusText(r),
    formatDuration(r.durationMs),
    num(r.metrics.loss, 3),
    num(r.metrics.trainAcc, 3),
    num(r.metrics.testAcc, 3),
    r.metrics.examplesPerSec === undefined ? '-' : `${r.metrics.examplesPerSec.toFixed(1)} on ${r.metrics.device ?? '?'}`,
  ]);
  return textTable(['notebook', 'status', 'duration', 'loss', 'train acc', 'test acc', 'examples/sec'], rows,
    [false, false, true, true, true, true, false]);
}

function compactCount(n: number | undefined): string {
  if (n === undefined) return '-';
  if (n >= 1e6) return `${(n / 1e6).toFixed(1)}M`;
  if (n >= 1e3) return `${(n / 1e3).toFixed(1)}k`;
  return String(n);
}

/**
 * One row per reported result; a notebook that reported none contributes a row from its metric lines (section =
 * file name), so the table is useful even before every notebook calls `reportResult`.
 */
export function resultRows(runs: NotebookRun[]): D2lResult[] {
  const rows: D2lResult[] = [];
  for (const r of runs) {
    if (r.results.length > 0) {
      rows.push(...r.results);
    } else if (r.metrics.lines.length > 0) {
      const m = r.metrics;
      rows.push({ section: path.basename(r.input, '.ipynb'), model: '-', device: m.device, examplesPerSec: m.examplesPerSec, loss: m.loss, trainAcc: m.trainAcc, testAcc: m.testAcc });
    }
  }
  return rows;
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
      metrics: r.metrics,
      results: r.results,
      ...(r.message ? { message: r.message } : {}),
    })),
    results: resultRows(runs),
  };
}
