/**
 * What every generated notebook shares: the kernelspec, stable cell ids, and writing (or `--check`ing) the files.
 * Notebooks are serialised by src/jupyter/nbformat.ts the way Jupyter saves them (sorted keys, one-space indent,
 * UTF-8 kept, trailing newline), so opening and saving one without edits leaves no diff.
 */
import * as crypto from 'crypto';
import * as fs from 'fs';
import * as path from 'path';
import { writeFileAtomic } from '../../src/jupyter/nbformat';
import { NOTEBOOK_KERNELSPEC } from '../../src/jupyter/kernelspec';

/** Our kernel (contract: kernelspec name `d2l`, display name "TypeScript (d2l)", language `typescript`). */
/** The kernelspec every generated notebook names (the one `d2l kernel install` writes). */
export const KERNELSPEC = NOTEBOOK_KERNELSPEC;
export const LANGUAGE_INFO = { file_extension: '.ts', mimetype: 'text/typescript', name: 'typescript' };

/** Metadata key of a chapter notebook (`{section}`) and of a region cell (`{region, source}`). */
export const D2L_METADATA_KEY = 'd2l';

/** A cell id stable across runs: derived from the notebook file and the cell's index (nbformat 4.5 §cell ids). */
export function cellId(file: string, index: number): string {
  return crypto.createHash('sha1').update(`${file}#${index}`).digest('hex').slice(0, 12);
}

/**
 * Writes each generated file into `dir` (atomically) where its content changed, or with `check` only lists the
 * stale ones. Returns the exit code: 0, or 1 when `check` found stale files.
 */
export function writeOrCheck(dir: string, generated: Map<string, string>, check: boolean, root: string,
                             rebuild: string): number {
  const stale: string[] = [];
  for (const [name, content] of generated) {
    const file = path.join(dir, name);
    const current = fs.existsSync(file) ? fs.readFileSync(file, 'utf8') : null;
    if (current === content) continue;
    if (check) {
      stale.push(`${path.relative(root, file)} (${current === null ? 'missing' : 'differs'})`);
    } else {
      writeFileAtomic(file, content);
      console.log(`wrote ${path.relative(root, file)}`);
    }
  }
  if (stale.length > 0) {
    console.error(`notebooks out of date:\n  ${stale.join('\n  ')}\nrun: ${rebuild}`);
    return 1;
  }
  console.log(check ? `${generated.size} notebooks up to date` : `${generated.size} notebooks generated`);
  return 0;
}

/** Runs a builder's command line: `[--check]`, errors printed as one message (exit 1), bad arguments exit 2. */
export function builderMain(argv: string[], run: (check: boolean) => number): number {
  const unknown = argv.filter((a) => a !== '--check');
  if (unknown.length > 0) {
    console.error(`unknown argument(s): ${unknown.join(' ')}\nusage: build.ts [--check]`);
    return 2;
  }
  try {
    return run(argv.includes('--check'));
  } catch (e) {
    console.error((e as Error).message);
    return 1;
  }
}
