/**
 * Executes one notebook on a fresh kernel, cell by cell, saving the executed copy after every cell (write-then-
 * rename: a crash leaves the last complete save, never a truncated file; the source notebook is never written).
 * Failure semantics follow papermill/nbclient.
 */
import { randomBytes } from 'crypto';
import * as path from 'path';
import { CellResult, KernelClient, KernelLaunchOptions } from '../client/client';
import { CodeCell, ErrorOutput, Notebook, writeNotebook } from '../jupyter/nbformat';
import { NotebookProgress } from './progress';
import { D2lResult, extractResults } from './result';

/**
 * ok; error: a cell raised; timeout: a cell ran past --timeout; dead: the kernel died or did not start;
 * interrupted: the runner itself was stopped (SIGINT/SIGTERM).
 */
export type RunStatus = 'ok' | 'error' | 'timeout' | 'dead' | 'interrupted';

/** Shared by the notebooks of one `d2l run`, so a signal handler can stop them all. */
export interface RunControl {
  /** Kernels currently running. */
  activeKernels: Set<KernelClient>;
  /** Set by the signal handler: finish the current cell's bookkeeping, then stop. */
  interrupted?: NodeJS.Signals;
}

export interface CellFailure {
  /** 1-based index among all cells of the executed notebook (as Jupyter shows cell positions). */
  cellIndex: number;
  executionCount: number | null;
  status: 'error' | 'timeout' | 'dead';
  ename: string;
  evalue: string;
  traceback: string[];
}

export interface NotebookRun {
  input: string;
  output: string;
  status: RunStatus;
  durationMs: number;
  failures: CellFailure[];
  results: D2lResult[];
  /** Set when the kernel could not be started. */
  message?: string;
}

export interface RunNotebookOptions {
  input: string;
  output: string;
  /** The notebook with parameters already injected. */
  notebook: Notebook;
  /** Parameters as injected (recorded in the output's metadata). */
  parameters: Record<string, unknown>;
  kernel: KernelLaunchOptions;
  timeoutMs?: number;
  allowErrors: boolean;
  progress: NotebookProgress;
  /** Lets a signal handler stop the run. */
  control?: RunControl;
}

/** While a cell streams output, save at most this often (long training cells show progress in the file). */
const SAVE_INTERVAL_MS = 2_000;

function nowIso(): string {
  return new Date().toISOString();
}

function stripAnsi(s: string): string {
  // eslint-disable-next-line no-control-regex
  return s.replace(/\x1b\[[0-9;]*[A-Za-z]/g, '');
}

/** A readable report of a failed cell (notebook, cell index, ename, evalue, traceback). */
export function describeFailure(input: string, f: CellFailure, color = false): string {
  const tb = f.traceback.map((l) => (color ? l : stripAnsi(l))).join('\n').trim();
  const head = `${input}: cell ${f.cellIndex}${f.executionCount !== null ? ` (In [${f.executionCount}])` : ''} ` +
    `${f.status === 'error' ? 'raised' : f.status === 'timeout' ? 'timed out:' : f.ename === 'RunInterrupted' ? 'was stopped:' : 'killed the kernel:'} ${f.ename}: ${f.evalue}`;
  return tb ? `${head}\n${tb.split('\n').map((l) => `    ${l}`).join('\n')}` : head;
}

function failureOf(cellIndex: number, r: CellResult, err: ErrorOutput): CellFailure {
  const status = r.status === 'timeout' ? 'timeout' : r.status === 'dead' ? 'dead' : 'error';
  return { cellIndex, executionCount: r.executionCount, status, ename: err.ename, evalue: err.evalue, traceback: err.traceback };
}

/** Runs the notebook; never throws for notebook or kernel problems (they are in the returned status). */
export async function runNotebook(opts: RunNotebookOptions): Promise<NotebookRun> {
  const started = Date.now();
  const nb = opts.notebook;
  const { progress } = opts;
  const codeCells = nb.cells.filter((c): c is CodeCell => c.cell_type === 'code');
  const meta = {
    input_path: opts.input,
    output_path: opts.output,
    parameters: opts.parameters,
    start_time: nowIso(),
    end_time: null as string | null,
    duration: null as number | null,
    status: 'running',
    exception: null as boolean | null,
  };
  nb.metadata = { ...nb.metadata, papermill: meta };
  if (nb.nbformat_minor >= 5) {
    // nbformat 4.5 requires cell ids; give the executed copy ids where the source had none.
    for (const c of nb.cells) if (!c.id) c.id = randomBytes(4).toString('hex');
  }
  for (const c of codeCells) {
    c.outputs = [];
    c.execution_count = null;
    c.metadata = { ...c.metadata, papermill: { status: 'pending', start_time: null, end_time: null, duration: null, exception: null } };
  }
  const save = () => writeNotebook(opts.output, nb);
  save();

  const run: NotebookRun = { input: opts.input, output: opts.output, status: 'ok', durationMs: 0, failures: [], results: [] };
  const finish = (): NotebookRun => {
    meta.end_time = nowIso();
    meta.duration = (Date.now() - started) / 1000;
    if (opts.control?.interrupted && run.status === 'ok') run.status = 'interrupted';
    meta.status = run.status === 'ok' ? 'completed' : run.status === 'interrupted' ? 'interrupted' : 'failed';
    meta.exception = run.status !== 'ok' || run.failures.length > 0;
    save();
    run.durationMs = Date.now() - started;
    run.results = extractResults(nb);
    return run;
  };

  let kernel: KernelClient;
  try {
    kernel = await KernelClient.start({ cwd: path.dirname(path.resolve(opts.input)), ...opts.kernel });
  } catch (e) {
    run.status = 'dead';
    run.message = (e as Error).message;
    progress.error(`${opts.input}: cannot start the kernel: ${run.message}`);
    return finish();
  }
  opts.control?.activeKernels.add(kernel);
  progress.line(`started kernel ${kernel.spec.name} (pid ${kernel.pid}); ${codeCells.length} code cells → ${opts.output}`);
  try {
    const total = nb.cells.length;
    for (let i = 0; i < total; i++) {
      const cell = nb.cells[i];
      if (cell.cell_type !== 'code' || cell.source.trim() === '') continue;
      if (opts.control?.interrupted) break;
      const cellMeta = cell.metadata.papermill;
      cellMeta.status = 'running';
      cellMeta.start_time = nowIso();
      const t0 = Date.now();
      let lastSave = t0;
      progress.cellStart(i + 1, total, cell.source);
      const result = await kernel.executeCell(cell.source, {
        stopOnError: !opts.allowErrors,
        timeoutMs: opts.timeoutMs,
        onOutput: (outputs) => {
          progress.outputs(outputs);
          cell.outputs = outputs;
          if (Date.now() - lastSave >= SAVE_INTERVAL_MS) {
            lastSave = Date.now();
            save();
          }
        },
      });
      const stoppedBy = opts.control?.interrupted;
      if (stoppedBy && result.status === 'dead' && result.error) {
        // The kernel did not crash: the runner shut it down because it was asked to stop.
        Object.assign(result.error, { ename: 'RunInterrupted', evalue: `d2l run was stopped by ${stoppedBy} while this cell ran`, traceback: [] });
      }
      cell.outputs = result.outputs;
      cell.execution_count = result.executionCount;
      cellMeta.end_time = nowIso();
      cellMeta.duration = (Date.now() - t0) / 1000;
      const failed = result.status === 'error' || result.status === 'timeout' || result.status === 'dead';
      cellMeta.status = failed ? 'failed' : 'completed';
      cellMeta.exception = failed;
      save();
      progress.cellEnd(i + 1, total, cell.source, result.status, Date.now() - t0);
      if (!failed || !result.error) continue;
      const failure = failureOf(i + 1, result, result.error);
      run.failures.push(failure);
      progress.error(describeFailure(opts.input, failure));
      if (result.status === 'dead') {
        run.status = stoppedBy ? 'interrupted' : 'dead';
        break;
      }
      if (run.status === 'ok') run.status = result.status === 'timeout' ? 'timeout' : 'error';
      // A kernel that ignored the interrupt is still busy: nothing more can run on it.
      const unresponsive = result.status === 'timeout' && /did not answer/.test(result.error.evalue);
      if (!opts.allowErrors || unresponsive) break;
    }
  } finally {
    opts.control?.activeKernels.delete(kernel);
    progress.dispose();
    await kernel.shutdown();
  }
  if (opts.allowErrors && (run.status === 'error' || run.status === 'timeout') && !run.failures.some((f) => /did not answer/.test(f.evalue))) {
    // --allow-errors: errors are reported, the run itself counts as completed.
    run.status = 'ok';
  }
  return finish();
}
