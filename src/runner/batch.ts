/**
 * Runs a set of notebooks: validates all of them and their parameters before anything executes, then executes
 * them on up to `jobs` kernels at once and computes the exit code.
 */
import * as path from 'path';
import type { KernelLaunchOptions } from '../client/client';
import { Notebook, readNotebook } from '../jupyter/nbformat';
import { NotebookRun, RunControl, runNotebook } from './execute';
import { injectParameters } from './params';
import { runTimeLeft } from './eta';
import { formatDuration, NotebookProgress } from './progress';
import { forEachConcurrently } from '../util/pool';

/** Exit codes of `d2l run`. */
export const EXIT = {
  ok: 0,
  /** A cell raised or timed out. */
  cellFailed: 1,
  /** Bad command line, notebook or parameters: nothing was executed. */
  usage: 2,
  /** A kernel died (or could not start); the partial notebook is kept. */
  kernelDied: 3,
  /** The runner itself was interrupted (SIGINT/SIGTERM). */
  interrupted: 130,
} as const;

export interface BatchOptions {
  notebooks: string[];
  outDir: string;
  profile?: string;
  /** `-p` overrides in command-line order. */
  parameters: Array<[string, unknown]>;
  kernel: KernelLaunchOptions;
  /** Use the notebook's own kernelspec when no kernel was chosen explicitly. */
  kernelFromNotebook: boolean;
  timeoutMs?: number;
  allowErrors: boolean;
  jobs: number;
  logOutput: boolean;
  quiet: boolean;
  /** Lets a signal handler stop the run. */
  control: RunControl;
}

interface Prepared {
  input: string;
  output: string;
  notebook: Notebook;
  values: Array<[string, unknown]>;
}

/** Loads every notebook and injects its parameters; throws one error listing every problem found. */
export function prepareNotebooks(opts: Pick<BatchOptions, 'notebooks' | 'outDir' | 'profile' | 'parameters'>): Prepared[] {
  const problems: string[] = [];
  const prepared: Prepared[] = [];
  const outputs = new Map<string, string>();
  const values: Array<[string, unknown]> = [
    ...(opts.profile !== undefined ? [['profile', opts.profile] as [string, unknown]] : []),
    ...opts.parameters,
  ];
  for (const input of opts.notebooks) {
    const output = path.join(opts.outDir, path.basename(input));
    const resolvedOut = path.resolve(output);
    if (resolvedOut === path.resolve(input)) {
      problems.push(`${input}: the output would overwrite the source notebook; choose another --out directory.`);
      continue;
    }
    const clash = outputs.get(resolvedOut);
    if (clash) {
      problems.push(`${clash} and ${input} would both be saved as ${output}; run them with different --out directories.`);
      continue;
    }
    outputs.set(resolvedOut, input);
    try {
      const notebook = injectParameters(readNotebook(input), values, input);
      prepared.push({ input, output, notebook, values });
    } catch (e) {
      problems.push((e as Error).message);
    }
  }
  if (problems.length) throw new Error(problems.join('\n'));
  return prepared;
}

/** The exit code for a set of runs: a dead kernel outranks a failed cell. */
export function exitCodeOf(runs: NotebookRun[]): number {
  if (runs.some((r) => r.status === 'interrupted')) return EXIT.interrupted;
  if (runs.some((r) => r.status === 'dead')) return EXIT.kernelDied;
  if (runs.some((r) => r.status !== 'ok')) return EXIT.cellFailed;
  return EXIT.ok;
}

/** Executes prepared notebooks, `jobs` at a time; results are in input order. */
export async function runBatch(opts: BatchOptions, prepared: Prepared[]): Promise<NotebookRun[]> {
  const runs: NotebookRun[] = new Array(prepared.length);
  const jobs = Math.max(1, Math.min(opts.jobs, prepared.length));
  const finishedMs: number[] = [];
  const runStatus = (): string => {
    const left = runTimeLeft(finishedMs, prepared.length - finishedMs.length - 1, jobs);
    const notebooksLeft = prepared.length - finishedMs.length - 1;
    return notebooksLeft > 0 ? `${notebooksLeft} more notebook(s)${left !== undefined ? `, ~${formatDuration(left)}` : ''}` : '';
  };
  await forEachConcurrently(prepared, jobs, async (p, k) => {
    const label = path.basename(p.input, '.ipynb');
    const progress = new NotebookProgress(label, { prefix: jobs > 1, logOutput: opts.logOutput, quiet: opts.quiet, runStatus });
    const startedAt = Date.now();
    progress.line(`${jobs > 1 ? '' : `[${k + 1}/${prepared.length}] `}${p.input}${p.values.length ? ` with ${p.values.map(([n, v]) => `${n}=${JSON.stringify(v)}`).join(' ')}` : ''}`);
    const specName = p.notebook.metadata?.kernelspec?.name;
    const kernel = opts.kernelFromNotebook && typeof specName === 'string' ? { ...opts.kernel, kernelName: specName } : opts.kernel;
    runs[k] = await runNotebook({
      input: p.input,
      output: p.output,
      notebook: p.notebook,
      parameters: Object.fromEntries(p.values),
      kernel,
      timeoutMs: opts.timeoutMs,
      allowErrors: opts.allowErrors,
      progress,
      control: opts.control,
    });
    const r = runs[k];
    finishedMs.push(Date.now() - startedAt);
    const left = runTimeLeft(finishedMs, prepared.length - finishedMs.length, jobs);
    const tail = left ? ` (${formatDuration(Date.now() - startedAt)}; ${prepared.length - finishedMs.length} left, ~${formatDuration(left)})` : ` (${formatDuration(Date.now() - startedAt)})`;
    progress.line(`${r.status === 'ok' ? 'done' : r.status.toUpperCase()}: ${p.input} → ${p.output}${tail}`);
  }, { stop: () => opts.control.interrupted !== undefined });
  return runs.filter((r) => r !== undefined); // notebooks not started before an interruption have no run
}
