/**
 * `d2l bench [--quick] [--json] [--models a,b] [--backends x,y] [--path step,fit] [--threads N]`: training-step
 * time, examples/sec, GFLOP/s (with the share of the machine's FP32 peak) and peak RSS of the chapter's models on
 * every available backend, next to PyTorch.
 */
import * as os from 'os';
import { machinePeak } from '../bench/peak';
import { formatTable, machineInfo, runBench } from '../bench/run';
import { BENCH_BACKENDS, BENCH_MODELS, BENCH_PATHS, BenchBackend, BenchPath } from '../bench/specs';
import { setting } from '../settings';

const USAGE = `usage: d2l bench [--quick] [--json] [--models ${BENCH_MODELS.map((m) => m.key).join(',')}]
                 [--backends ${BENCH_BACKENDS.join(',')}] [--path ${BENCH_PATHS.join(',')}] [--threads N]

Times SGD training steps (median after warm-up) of the chapter-7 models at the book's batch size and
resize on each backend, each in its own process (peak RSS), and the same architecture in PyTorch
(/usr/bin/python3, python3-torch) with the same number of threads. --quick uses small sizes (< 2 min).
--path picks how the tfjs backends train: step (trainCh6's loop, the default), fit (tfjs' own
net.compile + net.trainOnBatch), or both; "vs step" compares them. GFLOP/s counts the step's
convolutions and matrix products (forward and both backward passes); "% peak" divides by the FP32
peak printed under the table.`;

/** Entry point of `d2l bench`; returns the exit code. */
export async function benchCommand(args: string[]): Promise<number> {
  let quick = false, json = false;
  let models = BENCH_MODELS.map((m) => m.key);
  let backends: BenchBackend[] = [...BENCH_BACKENDS];
  let paths: BenchPath[] = ['step'];
  let threads = setting('D2L_NUM_THREADS') ?? os.cpus().length;
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    const value = (): string => {
      const v = args[++i];
      if (v === undefined) throw new Error(`d2l bench: ${a} needs a value.\n${USAGE}`);
      return v;
    };
    if (a === '--help' || a === '-h') { console.log(USAGE); return 0; }
    else if (a === '--quick') quick = true;
    else if (a === '--json') json = true;
    else if (a === '--models') models = value().split(',').filter(Boolean);
    else if (a === '--backends') {
      const list = value().split(',').filter(Boolean);
      const bad = list.filter((b) => !(BENCH_BACKENDS as readonly string[]).includes(b));
      if (bad.length) { console.error(`d2l bench: unknown backend(s) ${bad.join(', ')}; choose from ${BENCH_BACKENDS.join(', ')}`); return 2; }
      backends = list as BenchBackend[];
    } else if (a === '--path') {
      const list = value().split(',').filter(Boolean);
      const bad = list.filter((p) => !(BENCH_PATHS as readonly string[]).includes(p));
      if (bad.length || !list.length) { console.error(`d2l bench: unknown path(s) ${bad.join(', ')}; choose from ${BENCH_PATHS.join(', ')}`); return 2; }
      paths = list as BenchPath[];
    } else if (a === '--threads') {
      threads = Number(value());
      if (!Number.isInteger(threads) || threads < 1) { console.error('d2l bench: --threads needs a positive integer'); return 2; }
    } else { console.error(`d2l bench: unknown option ${a}\n${USAGE}`); return 2; }
  }
  const started = Date.now();
  let results;
  try {
    results = runBench({ quick, models, backends, paths, threads, log: (l) => console.error(l) });
  } catch (e) {
    console.error(`d2l bench: ${(e as Error).message}`);
    return 2;
  }
  if (json) {
    console.log(JSON.stringify({ quick, machine: machineInfo(threads), seconds: (Date.now() - started) / 1000, results }, null, 2));
  } else {
    console.log(formatTable(results));
    const peak = machinePeak(threads);
    console.log(`\nFP32 peak ${peak.gflops.toFixed(0)} GFLOP/s = ${peak.how}.`);
    console.log(`\n${threads} thread(s) per backend; load average ${os.loadavg().map((l) => l.toFixed(1)).join(' ')} ` +
      '(other processes on these cores make every number noisier; compare ratios measured in the same run).');
  }
  return 0;
}
