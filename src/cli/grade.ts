/**
 * `d2l grade --source DIR <submissions...> --out DIR`: auto-grades submitted exercise notebooks.
 */
import { gradeSubmissions, GradeOptions } from '../grading/grade';
import { positiveNumber, splitCommand } from '../util/cli-args';

const USAGE = `usage: d2l grade --source DIR <submission>... --out DIR [options]

Runs every submission on its own d2l kernel (stop_on_error off), with locked cells and hidden tests restored
from the teacher's notebooks in --source, scores the test cells and writes OUT/grades.csv, OUT/grades.json and
OUT/feedback/<student>/<notebook>.{ipynb,html}. Already graded submissions are skipped (resume) unless --force.

A submission is a directory <student>/ of notebooks named like the source notebooks, a file
<student>/<notebook>.ipynb, or <student>.ipynb when the source holds a single notebook.

options:
  --source DIR        the teacher's notebooks (with solutions and hidden tests) (required)
  --out DIR           where grades and feedback go (required)
  --jobs N            grade N submissions at once (default 1)
  --timeout S         per-cell time limit in seconds (default 60)
  --total-timeout S   per-submission time limit in seconds (default 600)
  --memory MB         memory limit of each kernel in MiB (default 2048)
  --kernel NAME       installed kernelspec to use (default: this package's own kernel)
  --kernel-cmd CMD    start the kernel with this command line; {connection_file} is replaced
  --force             re-grade submissions that already have grades

exit status: 0 done (whatever the scores), 2 bad arguments or source notebooks, 3 some submissions could not be graded`;

export interface GradeArgs { submissions: string[]; opts: GradeOptions; help: boolean }

/** Parses `d2l grade` arguments (throws Error with a message for the user). */
export function parseGradeArgs(argv: string[]): GradeArgs {
  const opts: Partial<GradeOptions> = {};
  const submissions: string[] = [];
  let help = false;
  for (let i = 0; i < argv.length; i++) {
    let arg = argv[i];
    let inline: string | undefined;
    if (arg.startsWith('--') && arg.includes('=')) { inline = arg.slice(arg.indexOf('=') + 1); arg = arg.slice(0, arg.indexOf('=')); }
    const value = () => inline ?? argv[++i];
    switch (arg) {
      case '--help': case '-h': help = true; break;
      case '--force': opts.force = true; break;
      case '--source': opts.sourceDir = value(); break;
      case '--out': opts.outDir = value(); break;
      case '--jobs': opts.jobs = positiveNumber(arg, value(), true); break;
      case '--timeout': opts.cellTimeoutMs = positiveNumber(arg, value()) * 1000; break;
      case '--total-timeout': opts.submissionTimeoutMs = positiveNumber(arg, value()) * 1000; break;
      case '--memory': opts.memoryMb = positiveNumber(arg, value()); break;
      case '--kernel': opts.kernelName = value(); break;
      case '--kernel-cmd': {
        const argvK = splitCommand(value() ?? '');
        if (!argvK.includes('{connection_file}')) throw new Error('--kernel-cmd must contain {connection_file}');
        opts.kernelArgv = argvK;
        break;
      }
      default:
        if (arg.startsWith('-')) throw new Error(`unknown option ${arg}`);
        submissions.push(arg);
    }
  }
  if (!help) {
    if (!opts.sourceDir) throw new Error('--source DIR is required (the teacher\'s notebooks)');
    if (!opts.outDir) throw new Error('--out DIR is required (where grades go)');
    if (submissions.length === 0) throw new Error('no submissions given');
  }
  return { submissions, opts: opts as GradeOptions, help };
}

/** Entry point of `d2l grade`; returns the exit status. */
export async function gradeCommand(args: string[]): Promise<number> {
  let parsed: GradeArgs;
  try {
    parsed = parseGradeArgs(args);
  } catch (e) {
    console.error(`d2l grade: ${(e as Error).message}\n\n${USAGE}`);
    return 2;
  }
  if (parsed.help) {
    console.log(USAGE);
    return 0;
  }
  try {
    const summary = await gradeSubmissions(parsed.submissions, { ...parsed.opts, log: (l) => console.log(l) });
    console.log(`graded ${summary.graded}, skipped ${summary.skipped} (already graded); grades in ${parsed.opts.outDir}/grades.csv`);
    return summary.records.some((r) => r.status === 'error') ? 3 : 0;
  } catch (e) {
    console.error(`d2l grade: ${(e as Error).message}`);
    return 2;
  }
}
