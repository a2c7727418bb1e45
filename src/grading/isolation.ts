/**
 * Runs one submission's cells in a kernel of its own, fenced in:
 * - a fresh kernel process per submission, working directory a new empty temp dir, removed after;
 * - V8 heap capped with `--max-old-space-size` (kernel argv and NODE_OPTIONS), plus a watchdog that kills the
 *   kernel when its resident memory (which also counts ArrayBuffers and the WebAssembly heap) passes the cap;
 * - a wall-clock limit per cell (interrupt) and per submission (kill);
 * - cells are sent one execute request at a time, so hidden tests exist only in this process's memory until the
 *   request that runs them; nothing about the source is written where the kernel could read it.
 * What this does not protect against is described in docs/teachers.md.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { KernelClient } from '../client/client';
import { ownKernel } from '../client/launch';
import type { Cell } from '../jupyter/nbformat';
import type { CellRun } from './scoring';

export interface IsolationOptions {
  /** Per-cell limit; the kernel is interrupted when a cell runs longer (default 60 s). */
  cellTimeoutMs?: number;
  /** Per-submission limit; the kernel is killed when the whole notebook runs longer (default 600 s). */
  submissionTimeoutMs?: number;
  /** Memory cap of the kernel process in MiB (default 2048). */
  memoryMb?: number;
  /** An installed kernelspec to use instead of this package's own kernel. */
  kernelName?: string;
  /** An explicit kernel command line containing `{connection_file}` (overrides kernelName). */
  kernelArgv?: string[];
  startupTimeoutMs?: number;
}

/** Why a submission's run ended early; each costs only this submission. */
export type FailureReason = 'timeout' | 'memory' | 'kernel-died' | 'kernel-start';

export interface ExecutionOutcome {
  /** One entry per input cell: undefined for markdown/raw cells. */
  runs: (CellRun | undefined)[];
  executionCounts: (number | null)[];
  failure?: { reason: FailureReason; message: string };
}

const WATCH_INTERVAL_MS = 200;

/** Resident set size of a process in MiB (Linux /proc; undefined elsewhere or when it is gone). */
export function residentMb(pid: number): number | undefined {
  try {
    const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
    const m = /VmRSS:\s*(\d+)\s*kB/.exec(status);
    return m ? Number(m[1]) / 1024 : undefined;
  } catch {
    return undefined;
  }
}

/** The kernel command line with the V8 heap cap added when it starts Node directly. */
export function cappedArgv(argv: string[], heapMb: number): string[] {
  const isNode = argv[0] === process.execPath || /(^|[\\/])node(\.exe)?$/.test(argv[0]);
  if (!isNode) return argv;
  return [argv[0], `--max-old-space-size=${heapMb}`, ...argv.slice(1).filter((a) => !a.startsWith('--max-old-space-size'))];
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** Executes `cells` in order with stop_on_error = false under the limits above. Never throws for kernel problems. */
export async function executeIsolated(cells: Cell[], opts: IsolationOptions = {}): Promise<ExecutionOutcome> {
  const cellTimeoutMs = opts.cellTimeoutMs ?? 60_000;
  const memoryMb = opts.memoryMb ?? 2048;
  // The heap cap sits below the RSS cap, so runaway JS objects hit V8's own limit (a clean OOM) first.
  const heapMb = Math.max(64, Math.floor(memoryMb * 0.75));
  const runs: (CellRun | undefined)[] = cells.map(() => undefined);
  const executionCounts: (number | null)[] = cells.map(() => null);
  const workDir = fs.mkdtempSync(path.join(os.tmpdir(), 'd2l-grade-'));
  const own = opts.kernelArgv || opts.kernelName ? undefined : ownKernel();
  const baseArgv = opts.kernelArgv ?? own?.argv;
  // TMPDIR is left alone: the kernel's compile cache (v8-compile-cache) lives there and saves seconds per start.
  const env = { ...own?.env, NODE_OPTIONS: `--max-old-space-size=${heapMb}` };
  let client: KernelClient | undefined;
  let killedFor: { reason: FailureReason; message: string } | undefined;
  const timers: NodeJS.Timeout[] = [];
  const kill = (reason: FailureReason, message: string) => {
    if (killedFor || !client?.alive || client.pid === undefined) return;
    killedFor = { reason, message };
    try { process.kill(client.pid, 'SIGKILL'); } catch { /* already gone */ }
  };
  try {
    try {
      client = await KernelClient.start({
        ...(baseArgv ? { argv: cappedArgv(baseArgv, heapMb) } : { kernelName: opts.kernelName }),
        env, cwd: workDir, startupTimeoutMs: opts.startupTimeoutMs ?? 60_000,
      });
    } catch (e) {
      return { runs, executionCounts, failure: { reason: 'kernel-start', message: (e as Error).message } };
    }
    const started = client;
    timers.push(setInterval(() => {
      const rss = started.pid !== undefined ? residentMb(started.pid) : undefined;
      if (rss !== undefined && rss > memoryMb) kill('memory', `the kernel used ${Math.round(rss)} MiB, over the ${memoryMb} MiB limit, and was stopped`);
    }, WATCH_INTERVAL_MS));
    const totalMs = opts.submissionTimeoutMs ?? 600_000;
    timers.push(setTimeout(() => kill('timeout', `the submission ran longer than ${totalMs / 1000} s in all and was stopped`), totalMs));

    for (let i = 0; i < cells.length; i++) {
      const cell = cells[i];
      if (cell.cell_type !== 'code') continue;
      if (killedFor || !started.alive) { runs[i] = { status: 'not-run', outputs: [] }; continue; }
      let r = await started.executeCell(cell.source, { stopOnError: false, timeoutMs: cellTimeoutMs });
      if (r.status === 'aborted' && started.alive) {
        // A kernel may still be draining the abort window of an earlier error: try the cell once more.
        await sleep(300);
        r = await started.executeCell(cell.source, { stopOnError: false, timeoutMs: cellTimeoutMs });
      }
      runs[i] = { status: r.status === 'aborted' ? 'not-run' : r.status, outputs: r.outputs };
      executionCounts[i] = r.executionCount;
      if (r.status === 'timeout' && started.alive && /did not answer/.test(r.error?.evalue ?? '')) {
        // Interrupt failed (e.g. a tight synchronous loop): the kernel is stuck for good.
        kill('timeout', `cell ${i} ran longer than ${cellTimeoutMs / 1000} s and did not stop when interrupted`);
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
    if (client) await client.shutdown().catch(() => undefined);
    fs.rmSync(workDir, { recursive: true, force: true });
  }
}
