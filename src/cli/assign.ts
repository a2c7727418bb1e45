/**
 * `d2l assign <source...> --out DIR [--force]`: writes the student versions of exercise notebooks.
 */
import { assignNotebooks } from '../grading/assign';

const USAGE = `usage: d2l assign <notebook|dir>... --out DIR [--force]

Writes the student version of each teacher notebook into DIR under the same file name: solution regions
(// BEGIN SOLUTION … // END SOLUTION) become a stub, hidden tests (// BEGIN HIDDEN TESTS … // END HIDDEN TESTS)
are removed, outputs are cleared, locked and graded cells get nbgrader checksums.

options:
  --out DIR   release directory (required)
  --force     overwrite notebooks already released in DIR

exit status: 0 written, 2 bad arguments or notebooks (nothing written)`;

export interface AssignArgs {
  sources: string[];
  outDir?: string;
  force: boolean;
  help: boolean;
}

/** Parses `d2l assign` arguments (throws Error with a message for the user). */
export function parseAssignArgs(argv: string[]): AssignArgs {
  const a: AssignArgs = { sources: [], force: false, help: false };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--help' || arg === '-h') a.help = true;
    else if (arg === '--force') a.force = true;
    else if (arg === '--out' || arg.startsWith('--out=')) {
      const v = arg.includes('=') ? arg.slice(arg.indexOf('=') + 1) : argv[++i];
      if (!v) throw new Error('--out needs a directory');
      a.outDir = v;
    } else if (arg.startsWith('-')) throw new Error(`unknown option ${arg}`);
    else a.sources.push(arg);
  }
  if (!a.help && a.sources.length === 0) throw new Error('no source notebooks given');
  if (!a.help && !a.outDir) throw new Error('--out DIR is required (where the student versions go)');
  return a;
}

/** Entry point of `d2l assign`; returns the exit status. */
export async function assignCommand(args: string[]): Promise<number> {
  let parsed: AssignArgs;
  try {
    parsed = parseAssignArgs(args);
  } catch (e) {
    console.error(`d2l assign: ${(e as Error).message}\n\n${USAGE}`);
    return 2;
  }
  if (parsed.help) {
    console.log(USAGE);
    return 0;
  }
  try {
    const written = assignNotebooks(parsed.sources, { outDir: parsed.outDir!, force: parsed.force });
    for (const f of written) console.log(`released ${f}`);
    return 0;
  } catch (e) {
    console.error(`d2l assign: ${(e as Error).message}`);
    return 2;
  }
}
