/**
 * `d2l bench` driver: runs every backend × model combination in its own child process (peak RSS per
 * combination), the PyTorch twin (bench/torch_bench.py) on the same threads, and reports ratios.
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { machinePeak, MachinePeak } from './peak';
import { BENCH_MODELS, BenchBackend, BenchModel, BenchPath, BenchResult, ChildJob, RESULT_PREFIX } from './specs';

export interface BenchOptions {
  quick: boolean;
  models: string[];
  backends: BenchBackend[];
  /** Training paths of the tfjs backends (default: `step`); PyTorch always runs its own loop once. */
  paths?: BenchPath[];
  threads: number;
  /** Progress lines (stderr in the CLI). */
  log: (line: string) => void;
}

const PYTHON = '/usr/bin/python3';

function packageRoot(): string {
  // eslint-disable-next-line @typescript-eslint/no-var-requires
  return (require('../backend/native/addon') as typeof import('../backend/native/addon')).packageRoot();
}

/** Why a backend cannot run at all here, or null. Checked once per run. */
export function backendUnavailable(backend: BenchBackend): string | null {
  if (backend === 'native') {
    try {
      // eslint-disable-next-line @typescript-eslint/no-var-requires
      (require('../backend/native/addon') as typeof import('../backend/native/addon')).loadAddon();
      return null;
    } catch (e) {
      return (e as Error).message;
    }
  }
  if (backend === 'torch') {
    if (!fs.existsSync(PYTHON)) return `${PYTHON} not found (Debian: apt-get install python3-torch)`;
    const r = spawnSync(PYTHON, ['-c', 'import torch'], { encoding: 'utf8' });
    return r.status === 0 ? null : 'PyTorch is not importable by /usr/bin/python3 (Debian: apt-get install python3-torch)';
  }
  if (backend === 'wasm') {
    try {
      require.resolve('@tensorflow/tfjs-backend-wasm');
      return null;
    } catch {
      return '@tensorflow/tfjs-backend-wasm is not installed';
    }
  }
  return null;
}

/** Combinations that would take far too long or cannot fit, with the reason (full-size runs only). */
function tooBig(backend: BenchBackend, model: BenchModel, quick: boolean): string | null {
  if (backend === 'cpu' && model.key !== 'lenet-bn') {
    return 'skipped: the pure-JS cpu backend is ~700x slower than native (it runs LeNet-BN only)';
  }
  if (quick) return null;
  if (backend === 'wasm' && ['googlenet', 'resnet18', 'densenet'].includes(model.key)) {
    return `skipped: batch ${model.batch} at ${model.size}x${model.size} exceeds the 4 GiB wasm heap`;
  }
  return null;
}

function parseResult(stdout: string): Record<string, unknown> | null {
  const line = stdout.split('\n').reverse().find((l) => l.startsWith(RESULT_PREFIX));
  return line ? (JSON.parse(line.slice(RESULT_PREFIX.length)) as Record<string, unknown>) : null;
}

function childCommand(): { cmd: string; args: string[] } {
  const js = path.join(__dirname, 'child.js');
  if (fs.existsSync(js) && __filename.endsWith('.js')) return { cmd: process.execPath, args: [js] };
  return { cmd: process.execPath, args: ['-r', 'ts-node/register/transpile-only', path.join(__dirname, 'child.ts')] };
}

function measure(backend: BenchBackend, model: BenchModel, trainPath: BenchPath, o: BenchOptions): BenchResult {
  // The pure-JS cpu backend gets a tiny batch even in --quick, or LeNet alone would take minutes.
  const batch = o.quick ? (backend === 'cpu' ? Math.min(8, model.quickBatch) : model.quickBatch) : model.batch;
  const size = o.quick ? model.quickSize : model.size;
  const warmup = 1;
  const steps = o.quick ? 2 : 5;
  const budgetSec = o.quick ? 3 : 60;
  const base: BenchResult = { model: model.key, backend, path: trainPath, batch, size, threads: o.threads, msPerStep: null,
    examplesPerSec: null, peakRssMiB: null, steps: 0 };
  const skip = tooBig(backend, model, o.quick);
  if (skip) return { ...base, note: skip };
  let cmd: string, args: string[];
  if (backend === 'torch') {
    cmd = PYTHON;
    args = [path.join(packageRoot(), 'bench', 'torch_bench.py'), '--model', model.key, '--batch', String(batch),
      '--size', String(size), '--threads', String(o.threads), '--warmup', String(warmup), '--steps', String(steps),
      '--budget', String(budgetSec)];
  } else {
    const job: ChildJob = { model: model.key, backend, path: trainPath, batch, size, threads: o.threads, warmup, steps, budgetSec };
    ({ cmd, args } = childCommand());
    args = [...args, JSON.stringify(job)];
  }
  const r = spawnSync(cmd, args, { encoding: 'utf8', maxBuffer: 64 << 20, cwd: packageRoot(),
    // Same OpenMP wait policy for PyTorch as the native backend uses (it defaults libgomp to passive).
    env: { OMP_WAIT_POLICY: 'passive', ...process.env, D2L_NUM_THREADS: String(o.threads) } });
  const res = parseResult(r.stdout ?? '');
  if (!res) {
    const why = (r.stderr || r.error?.message || `exit ${r.status}, signal ${r.signal}`).trim().split('\n').slice(-1)[0];
    return { ...base, note: `failed: ${why.slice(0, 200)}` };
  }
  if (typeof res.error === 'string') {
    return { ...base, peakRssMiB: res.peakRssMiB as number, note: `failed: ${res.error.slice(0, 200)}` };
  }
  const flops = typeof res.flopsPerStep === 'number' && res.flopsPerStep > 0 ? { flopsPerStep: res.flopsPerStep } : {};
  return { ...base, ...flops, msPerStep: res.msPerStep as number, cpuMsPerStep: res.cpuMsPerStep as number, examplesPerSec: res.examplesPerSec as number,
    peakRssMiB: res.peakRssMiB as number, steps: res.steps as number };
}

/** Runs the benchmark; results in model-major order. */
export function runBench(o: BenchOptions): BenchResult[] {
  const unknown = o.models.filter((m) => !BENCH_MODELS.some((s) => s.key === m));
  if (unknown.length) {
    throw new Error(`unknown model(s) ${unknown.join(', ')}; choose from ${BENCH_MODELS.map((m) => m.key).join(', ')}`);
  }
  const missing = new Map<BenchBackend, string | null>(o.backends.map((b) => [b, backendUnavailable(b)]));
  const peak = machinePeak(o.threads);
  const results: BenchResult[] = [];
  for (const model of BENCH_MODELS.filter((m) => o.models.includes(m.key))) {
    const rows: BenchResult[] = [];
    for (const backend of o.backends) {
      for (const trainPath of backend === 'torch' ? ['step' as const] : (o.paths ?? ['step'])) {
        const name = `${model.label} on ${backend}${trainPath === 'step' ? '' : ` (${trainPath})`}`;
        const why = missing.get(backend);
        if (why) {
          rows.push({ model: model.key, backend, path: trainPath, batch: o.quick ? model.quickBatch : model.batch,
            size: o.quick ? model.quickSize : model.size, threads: o.threads, msPerStep: null, examplesPerSec: null,
            peakRssMiB: null, steps: 0, note: `unavailable: ${why}` });
          continue;
        }
        o.log(`bench: ${name} ...`);
        const r = measure(backend, model, trainPath, o);
        o.log(`bench: ${name}: ${r.msPerStep == null ? r.note : `${r.msPerStep.toFixed(1)} ms/step`}`);
        rows.push(r);
      }
    }
    results.push(...withThroughput(rows, peak));
  }
  return results;
}

/** Fills GFLOP/s and % of peak; rows without their own FLOP count (PyTorch) take a tfjs row's for the same sizes. */
export function withThroughput(rows: BenchResult[], peak: MachinePeak): BenchResult[] {
  return rows.map((r) => {
    const flops = r.flopsPerStep ?? rows.find((x) => x.flopsPerStep && x.batch === r.batch && x.size === r.size)?.flopsPerStep;
    if (flops == null || r.msPerStep == null) return r;
    const gflops = flops / r.msPerStep / 1e6;
    return { ...r, flopsPerStep: flops, gflops, peakPercent: (100 * gflops) / peak.gflops };
  });
}

/** Examples/sec of a fit-path result divided by the same backend's step path (null when either is missing). */
export function ratioToStep(r: BenchResult, all: BenchResult[]): number | null {
  if (r.path === 'step') return null;
  const s = all.find((x) => x.model === r.model && x.backend === r.backend && x.path === 'step');
  if (!s || s.examplesPerSec == null || r.examplesPerSec == null) return null;
  return r.examplesPerSec / s.examplesPerSec;
}

/** Examples/sec of a result divided by the PyTorch twin's on the same model (null when either is missing). */
export function ratioToTorch(r: BenchResult, all: BenchResult[]): number | null {
  const t = all.find((x) => x.model === r.model && x.backend === 'torch');
  if (!t || t.examplesPerSec == null || r.examplesPerSec == null) return null;
  return r.examplesPerSec / t.examplesPerSec;
}

/** A fixed-width text table of the results. */
export function formatTable(results: BenchResult[]): string {
  const label = (key: string): string => BENCH_MODELS.find((m) => m.key === key)?.label ?? key;
  const rows = results.map((r) => {
    const ratio = ratioToTorch(r, results);
    const toStep = ratioToStep(r, results);
    return [label(r.model), `${r.batch}x${r.size}²`, r.path === 'step' ? r.backend : `${r.backend} ${r.path}`,
      r.msPerStep == null ? '-' : r.msPerStep.toFixed(1), r.cpuMsPerStep == null ? '-' : r.cpuMsPerStep.toFixed(0),
      r.examplesPerSec == null ? '-' : r.examplesPerSec.toFixed(1),
      r.backend === 'torch' || ratio == null ? '' : `${ratio.toFixed(2)}x`,
      toStep == null ? '' : `${toStep.toFixed(2)}x`,
      r.gflops == null ? '-' : r.gflops.toFixed(1), r.peakPercent == null ? '-' : `${r.peakPercent.toFixed(0)}%`,
      r.peakRssMiB == null ? '-' : r.peakRssMiB.toFixed(0), r.note ?? ''];
  });
  const head = ['model', 'batch', 'backend', 'ms/step', 'cpu ms/step', 'examples/s', 'vs torch', 'vs step',
    'GFLOP/s', '% peak', 'peak RSS MiB', 'note'];
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const fmt = (cells: string[]): string => cells.map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]))).join('  ').trimEnd();
  return [fmt(head), fmt(widths.map((w) => '-'.repeat(w))), ...rows.map(fmt)].join('\n');
}

export function machineInfo(threads: number): Record<string, unknown> {
  const peak = machinePeak(threads);
  return { cpus: os.cpus().length, cpuModel: os.cpus()[0]?.model, loadAverage: os.loadavg(), threads,
    node: process.version, isa: peak.isa, peakGflops: peak.gflops, peakHow: peak.how };
}
