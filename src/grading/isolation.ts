/**
 * Runs one submission's cells in a kernel of its own, fenced in:
 * - a fresh kernel per submission, in a bubblewrap sandbox (sandbox.ts) unless the caller opts out; without one,
 *   its working directory is a new empty temp dir, removed after;
 * - V8 heap capped with `--max-old-space-size` (kernel argv and NODE_OPTIONS), plus a watchdog that kills the
 *   kernel when the resident memory of its whole process tree (which also counts ArrayBuffers, the WebAssembly
 *   heap and any child process) passes the cap;
 * - a wall-clock limit per cell (interrupt_request; a kernel that does not stop is killed) and per submission;
 * - a cap on what one cell's outputs and messages may make this process hold;
 * - hidden checks (hidden.ts) evaluated by the kernel only as expressions; their results are compared here.
 * What this does and does not protect against is described in docs/teachers.md.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { KernelClient } from '../client/client';
import { ownKernel } from '../client/launch';
import { findKernelSpec } from '../jupyter/kernelspec';
import { checksCode, ChecksOutcome, judgeChecks, TestStep } from './hidden';
import { BwrapSpawner, processTree, treeResidentMb } from './sandbox';
import type { CellRun } from './scoring';

export interface IsolationOptions {
  /** Per-cell limit; the kernel is interrupted when a cell runs longer (default 60 s). */
  cellTimeoutMs?: number;
  /** Per-submission limit; the kernel is killed when the whole notebook runs longer (default 600 s). */
  submissionTimeoutMs?: number;
  /** Memory cap of the kernel's process tree in MiB (default 2048). */
  memoryMb?: number;
  /** An installed kernelspec to use instead of this package's own kernel. */
  kernelName?: string;
  /** An explicit kernel command line containing `{connection_file}` (overrides kernelName). */
  kernelArgv?: string[];
  startupTimeoutMs?: number;
  /** Run kernels without a sandbox (default: in one; the caller checks first that it works, see probeSandbox). */
  noSandbox?: boolean;
  /** Host paths the sandbox must hide even where they lie under a directory it shows (sources, submissions, output). */
  hide?: string[];
  /** More host paths the sandbox shows read-only (e.g. another kernelspec's files). */
  readOnly?: string[];
}

/** Why a submission's run ended early; each costs only this submission. */
export type FailureReason = 'timeout' | 'memory' | 'kernel-died' | 'kernel-start';

/** What to run for each cell: its steps (a plain code cell is one step), or undefined for markdown/raw cells. */
export type CellProgram = TestStep[] | undefined;

export interface ExecutionOutcome {
  /** One entry per program: undefined for markdown/raw cells. */
  runs: (CellRun | undefined)[];
  executionCounts: (number | null)[];
  failure?: { reason: FailureReason; message: string };
}

const WATCH_INTERVAL_MS = 200;
/** What one cell's outputs may make the grader hold, and the largest message it accepts from a kernel. */
const MAX_OUTPUT_BYTES = 4 * 1024 * 1024;
const MAX_MESSAGE_BYTES = 32 * 1024 * 1024;

/** The kernel command line with the V8 heap cap added when it starts Node directly. */
export function cappedArgv(argv: string[], heapMb: number): string[] {
  const isNode = argv[0] === process.execPath || /(^|[\\/])node(\.exe)?$/.test(argv[0]);
  if (!isNode) return argv;
  return [argv[0], `--max-old-space-size=${heapMb}`, ...argv.slice(1).filter((a) => !a.startsWith('--max-old-space-size'))];
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

function killTree(pid: number): void {
  // The root first: a sandbox's bwrap takes everything in it along (its pid namespace ends).
  for (const p of processTree(pid)) {
    try { process.kill(p, 'SIGKILL'); } catch { /* already gone */ }
  }
}

/** Compile errors name lines of the generated check cell, which mean nothing to a student. */
function withoutLine(outcome: ChecksOutcome): ChecksOutcome {
  return { ...outcome, failures: outcome.failures.map((f) => f.replace(/(CompileError: )line \d+:\d+ - /, '$1')) };
}

/** Executes `programs` in order with stop_on_error = false under the limits above. Never throws for kernel problems. */
export async function executeIsolated(programs: CellProgram[], opts: IsolationOptions = {}): Promise<ExecutionOutcome> {
  const cellTimeoutMs = opts.cellTimeoutMs ?? 60_000;
  const memoryMb = opts.memoryMb ?? 2048;
  // The heap cap sits below the RSS cap, so runaway JS objects hit V8's own limit (a clean OOM) first.
  const heapMb = Math.max(64, Math.floor(memoryMb * 0.75));
  const runs: (CellRun | undefined)[] = programs.map(() => undefined);
  const executionCounts: (number | null)[] = programs.map(() => null);
  const sandboxed = !opts.noSandbox;
  const workDir = sandboxed ? undefined : fs.mkdtempSync(path.join(os.tmpdir(), 'd2l-grade-'));
  const own = opts.kernelArgv || opts.kernelName ? undefined : ownKernel();
  const baseArgv = opts.kernelArgv ?? own?.argv;
  const env = { ...own?.env, NODE_OPTIONS: `--max-old-space-size=${heapMb}` };
  // Another installed kernel may need its kernelspec's own files (its resource directory) in the sandbox.
  const specDir = opts.kernelName && !opts.kernelArgv ? findKernelSpec(opts.kernelName)?.resourceDir : undefined;
  const readOnly = [...(opts.readOnly ?? []), ...(specDir ? [specDir] : [])];
  const spawner = sandboxed ? new BwrapSpawner({ hide: opts.hide, readOnly, tmpMb: Math.max(64, Math.floor(memoryMb / 4)) }) : undefined;
  let client: KernelClient | undefined;
  let killedFor: { reason: FailureReason; message: string } | undefined;
  const timers: NodeJS.Timeout[] = [];
  const kill = (reason: FailureReason, message: string) => {
    if (killedFor || !client?.alive || client.pid === undefined) return;
    killedFor = { reason, message };
    killTree(client.pid);
  };
  try {
    try {
      client = await KernelClient.start({
        ...(baseArgv ? { argv: cappedArgv(baseArgv, heapMb) } : { kernelName: opts.kernelName }),
        env, cwd: workDir, startupTimeoutMs: opts.startupTimeoutMs ?? 60_000, maxMessageBytes: MAX_MESSAGE_BYTES,
        ...(spawner ? { spawner, interruptMode: 'message' as const } : {}),
      });
    } catch (e) {
      return { runs, executionCounts, failure: { reason: 'kernel-start', message: (e as Error).message } };
    }
    const started = client;
    timers.push(setInterval(() => {
      const rss = started.pid !== undefined ? treeResidentMb(started.pid) : undefined;
      if (rss !== undefined && rss > memoryMb) kill('memory', `the kernel used ${Math.round(rss)} MiB, over the ${memoryMb} MiB limit, and was stopped`);
    }, WATCH_INTERVAL_MS));
    const totalMs = opts.submissionTimeoutMs ?? 600_000;
    timers.push(setTimeout(() => kill('timeout', `the submission ran longer than ${totalMs / 1000} s in all and was stopped`), totalMs));

    const execute = async (code: string) => {
      let r = await started.executeCell(code, { stopOnError: false, timeoutMs: cellTimeoutMs, maxOutputBytes: MAX_OUTPUT_BYTES });
      if (r.status === 'aborted' && started.alive) {
        // A kernel may still be draining the abort window of an earlier error: try the cell once more.
        await sleep(300);
        r = await started.executeCell(code, { stopOnError: false, timeoutMs: cellTimeoutMs, maxOutputBytes: MAX_OUTPUT_BYTES });
      }
      return r;
    };
    for (let i = 0; i < programs.length; i++) {
      const steps = programs[i];
      if (!steps) continue;
      const run: CellRun = { status: 'ok', outputs: [] };
      runs[i] = run;
      const total = steps.reduce((n, s) => n + ('checks' in s ? s.checks.length : 0), 0);
      let checked = 0;
      for (const step of steps) {
        if (killedFor || !started.alive) { if (run.status === 'ok') run.status = 'not-run'; break; }
        const r = await execute('code' in step ? step.code : checksCode(step.checks));
        if ('code' in step) {
          run.outputs.push(...r.outputs);
          executionCounts[i] = r.executionCount;
        } else {
          // The check cell's outputs stay here: only the verdicts reach the feedback (an error in it is a verdict).
          const judged = withoutLine(judgeChecks(step.checks, r.outputs, checked, total));
          checked += step.checks.length;
          const before = run.checks ?? { total, passed: 0, failures: [] };
          run.checks = { total, passed: before.passed + judged.passed, failures: [...before.failures, ...judged.failures] };
          if (r.status === 'error') continue;
          if (r.status !== 'ok') run.outputs.push(...r.outputs.filter((o) => o.output_type === 'error'));
        }
        if (r.status === 'ok') continue;
        // The cell has failed: the rest of its steps would only add to the time.
        run.status = r.status === 'aborted' ? 'not-run' : r.status;
        if (r.status === 'timeout' && started.alive && /did not answer/.test(r.error?.evalue ?? '')) {
          // Interrupt failed (e.g. a tight synchronous loop): the kernel is stuck for good.
          kill('timeout', `cell ${i} ran longer than ${cellTimeoutMs / 1000} s and did not stop when interrupted`);
        }
        break;
      }
    }
    if (!killedFor && !started.alive) {
      const death = await started.died();
      const oom = /heap out of memory|Allocation failed|out of memory/i.test(death.logTail);
      return {
        runs, executionCounts,
        failure: oom
          ? { reason: 'memory', message: 'the kernel ran out of memory (V8 heap limit) and crashed' }
          : { reason: 'kernel-died', message: `the kernel process ${death.signal ? `was killed by ${death.signal}` : `exited with code ${death.exitCode}`}` },
      };
    }
    return killedFor ? { runs, executionCounts, failure: killedFor } : { runs, executionCounts };
  } finally {
    for (const t of timers) { clearInterval(t); clearTimeout(t); }
    if (client) {
      // Without a sandbox, children the kernel started would outlive it: stop those still below it first.
      if (!sandboxed && client.alive && client.pid !== undefined) for (const p of processTree(client.pid).slice(1)) { try { process.kill(p, 'SIGKILL'); } catch { /* gone */ } }
      await client.shutdown().catch(() => undefined);
    }
    if (workDir) fs.rmSync(workDir, { recursive: true, force: true });
  }
}
