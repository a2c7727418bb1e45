/**
 * `d2l run`: executes notebooks headlessly on the d2l kernel (or any Jupyter kernel) and prints a summary.
 */
import { writeFileAtomic } from '../util/atomic-write';
import { EXIT, exitCodeOf, prepareNotebooks, runBatch } from '../runner/batch';
import type { RunControl } from '../runner/execute';
import { parseParameterArg } from '../runner/params';
import { checkProfileName } from '../profiles';
import { collectNotebooks, parseShard, selectShard } from '../runner/select';
import { resultRows, resultsTable, summaryJson, summaryTable } from '../runner/summary';
import { positiveNumber, splitCommand } from '../util/cli-args';

const USAGE = `usage: d2l run <notebook|dir>... [options]

Executes each notebook (a directory: the .ipynb files directly in it) on a fresh kernel, saving the
executed copy to --out after every cell. The source notebooks are never written.

options:
  --profile P        set the notebook's profile: auto (default in the notebook), book, cpu, smoke
  -p name=value      override a parameter of the cell tagged 'parameters' (value: JSON, else a string)
  --timeout S        per-cell timeout in seconds: interrupt the kernel and fail the cell
  --out DIR          where executed notebooks go (default: out)
  --allow-errors     keep running after a failing cell; exit 0, listing the errors
  --jobs N           run N notebooks at once, each on its own kernel (default 1)
  --shard i/n        run only shard i of n (notebooks sorted by path, every n-th from the i-th)
  --kernel NAME      kernelspec to use (default: the notebook's, else d2l)
  --kernel-cmd CMD   start the kernel with this command line; {connection_file} is replaced
  --startup-timeout S  seconds a kernel may take to start (default 120)
  --json FILE        also write the summary as JSON
  --log-output       echo the cells' stdout/stderr while they run
  --quiet            print only errors and the summary

exit status: 0 ok, 1 a cell failed or timed out, 2 bad arguments/notebook/parameters (nothing ran),
             3 a kernel died (the partial notebook is kept), 130 interrupted`;

interface RunArgs {
  paths: string[];
  profile?: string;
  parameters: Array<[string, unknown]>;
  timeoutMs?: number;
  outDir: string;
  allowErrors: boolean;
  jobs: number;
  shard?: string;
  kernelName?: string;
  kernelCmd?: string[];
  startupTimeoutMs: number;
  json?: string;
  logOutput: boolean;
  quiet: boolean;
  help: boolean;
}

/** Parses `d2l run` arguments (throws Error with a message for the user). */
export function parseRunArgs(argv: string[]): RunArgs {
  const a: RunArgs = { paths: [], parameters: [], outDir: 'out', allowErrors: false, jobs: 1, startupTimeoutMs: 120_000, logOutput: false, quiet: false, help: false };
  for (let i = 0; i < argv.length; i++) {
    let arg = argv[i];
    let inline: string | undefined;
    const eq = arg.startsWith('--') ? arg.indexOf('=') : -1;
    if (eq > 0) {
      inline = arg.slice(eq + 1);
      arg = arg.slice(0, eq);
    }
    const value = (): string => {
      if (inline !== undefined) return inline;
      const v = argv[++i];
      if (v === undefined) throw new Error(`${arg} needs a value.`);
      return v;
    };
    switch (arg) {
      case '-h': case '--help': a.help = true; break;
      case '--profile': a.profile = value(); checkProfileName(a.profile); break;
      case '-p': case '--parameter': a.parameters.push(parseParameterArg(value())); break;
      case '--timeout': a.timeoutMs = positiveNumber('--timeout', value()) * 1000; break;
      case '--out': a.outDir = value(); break;
      case '--allow-errors': a.allowErrors = true; break;
      case '--jobs': a.jobs = positiveNumber('--jobs', value(), true); break;
      case '--shard': a.shard = value(); parseShard(a.shard); break;
      case '--kernel': a.kernelName = value(); break;
      case '--kernel-cmd': {
        a.kernelCmd = splitCommand(value());
        if (!a.kernelCmd.some((p) => p.includes('{connection_file}'))) throw new Error('--kernel-cmd must contain {connection_file}.');
        break;
      }
      case '--startup-timeout': a.startupTimeoutMs = positiveNumber('--startup-timeout', value()) * 1000; break;
      case '--json': a.json = value(); break;
      case '--log-output': a.logOutput = true; break;
      case '--quiet': a.quiet = true; break;
      default:
        if (arg.startsWith('-') && arg !== '-') throw new Error(`unknown option '${arg}'.`);
        a.paths.push(argv[i]);
    }
  }
  return a;
}

/**
 * On SIGINT/SIGTERM: shut the kernels down and let the run finish its bookkeeping (the executed notebooks are
 * saved with status "interrupted"); a second signal exits at once. Outputs saved so far stay valid either way.
 */
function installSignalHandlers(control: RunControl): () => void {
  const handler = (signal: NodeJS.Signals) => {
    if (control.interrupted) process.exit(EXIT.interrupted);
    control.interrupted = signal;
    process.stderr.write(`\nd2l run: ${signal}: stopping ${control.activeKernels.size} kernel(s); send it again to quit at once.\n`);
    for (const k of control.activeKernels) void k.shutdown();
  };
  process.on('SIGINT', handler);
  process.on('SIGTERM', handler);
  return () => {
    process.off('SIGINT', handler);
    process.off('SIGTERM', handler);
  };
}

export async function runCommand(argv: string[]): Promise<number> {
  let args: RunArgs;
  try {
    args = parseRunArgs(argv);
  } catch (e) {
    console.error(`d2l run: ${(e as Error).message}\n\n${USAGE}`);
    return EXIT.usage;
  }
  if (args.help) {
    console.log(USAGE);
    return EXIT.ok;
  }
  if (args.paths.length === 0) {
    console.error(`d2l run: no notebooks given.\n\n${USAGE}`);
    return EXIT.usage;
  }
  let prepared;
  try {
    let notebooks = collectNotebooks(args.paths);
    if (args.shard) notebooks = selectShard(notebooks, parseShard(args.shard));
    prepared = prepareNotebooks({ notebooks, outDir: args.outDir, profile: args.profile, parameters: args.parameters });
  } catch (e) {
    console.error(`d2l run: ${(e as Error).message}`);
    return EXIT.usage;
  }
  if (prepared.length === 0) {
    console.error(`d2l run: shard ${args.shard} has no notebooks; nothing to do.`);
    return EXIT.ok;
  }
  const control: RunControl = { activeKernels: new Set() };
  const removeHandlers = installSignalHandlers(control);
  let runs;
  try {
    runs = await runBatch({
      notebooks: prepared.map((p) => p.input),
      outDir: args.outDir,
      profile: args.profile,
      parameters: args.parameters,
      kernel: {
        kernelName: args.kernelName,
        argv: args.kernelCmd,
        startupTimeoutMs: args.startupTimeoutMs,
      },
      kernelFromNotebook: !args.kernelName && !args.kernelCmd,
      timeoutMs: args.timeoutMs,
      allowErrors: args.allowErrors,
      jobs: args.jobs,
      logOutput: args.logOutput,
      quiet: args.quiet,
      control,
    }, prepared);
  } finally {
    removeHandlers();
  }
  const code = exitCodeOf(runs);
  console.log(`\n${summaryTable(runs)}`);
  const results = resultRows(runs);
  if (results.length) console.log(`\nresults\n${resultsTable(results)}`);
  const failures = runs.flatMap((r) => r.failures.map((f) => `  ${r.input}: cell ${f.cellIndex}: ${f.ename}: ${f.evalue}`));
  if (failures.length) console.log(`\n${args.allowErrors && code === EXIT.ok ? 'errors (allowed)' : 'failures'}:\n${failures.join('\n')}`);
  const dead = runs.filter((r) => r.status === 'dead');
  if (dead.length) console.log(`\nkernel died: ${dead.map((r) => `${r.input} (partial notebook kept in ${r.output})`).join(', ')}`);
  if (args.json) writeFileAtomic(args.json, `${JSON.stringify(summaryJson(runs, code), null, 1)}\n`);
  return code;
}
