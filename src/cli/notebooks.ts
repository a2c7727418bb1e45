/**
 * `d2l notebooks [DIR]`: copies the chapter's seven notebooks into DIR (default: the current folder), so a
 * student who installed d2l from npm gets them without knowing where node_modules keeps them. Never overwrites:
 * a notebook already in DIR (perhaps with the student's own work in it) is left alone and named.
 */
import * as fs from 'fs';
import * as path from 'path';
import { packageRoot } from '../util/package-root';

const USAGE = `usage: d2l notebooks [DIR]

Copies the chapter notebooks (7.1-alexnet.ipynb … 7.7-densenet.ipynb) into DIR (default: .).
Notebooks already in DIR are never overwritten.`;

/** Copies the notebooks; returns [copied, kept] file names. */
export function copyNotebooks(target: string): { copied: string[]; kept: string[] } {
  const source = path.join(packageRoot(), 'notebooks');
  const names = fs.readdirSync(source).filter((f) => f.endsWith('.ipynb')).sort();
  fs.mkdirSync(target, { recursive: true });
  const copied: string[] = [];
  const kept: string[] = [];
  for (const name of names) {
    try {
      fs.copyFileSync(path.join(source, name), path.join(target, name), fs.constants.COPYFILE_EXCL);
      copied.push(name);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      kept.push(name);
    }
  }
  return { copied, kept };
}

export async function notebooksCommand(args: string[]): Promise<number> {
  if (args.includes('--help') || args.includes('-h')) {
    console.log(USAGE);
    return 0;
  }
  if (args.length > 1 || args.some((a) => a.startsWith('-'))) {
    console.error(`d2l notebooks: expected at most one folder\n${USAGE}`);
    return 2;
  }
  const target = path.resolve(args[0] ?? '.');
  try {
    const { copied, kept } = copyNotebooks(target);
    if (copied.length) console.log(`Copied ${copied.length} notebook(s) to ${target}: ${copied.join(', ')}`);
    if (kept.length) console.log(`Kept your own copies (not overwritten): ${kept.join(', ')}`);
    console.log(`Open them with the "TypeScript (d2l)" kernel (install it with: npx d2l kernel install).`);
    return 0;
  } catch (e) {
    console.error(`d2l notebooks: ${(e as Error).message}`);
    return 1;
  }
}
