/**
 * Generates the chapter notebooks `notebooks/*.ipynb` from `scripts/notebooks/*.ts` and the library's book regions.
 *
 *   npx ts-node --transpile-only scripts/notebooks/build.ts           # write the notebooks
 *   npx ts-node --transpile-only scripts/notebooks/build.ts --check   # exit 1 if a committed notebook differs
 *
 * The committed notebooks are generated files: edit the sources here (prose, code) or the library region, then
 * rebuild. They carry no outputs; executed copies (`d2l run --out …`) are build artifacts.
 */
import * as fs from 'fs';
import * as path from 'path';
import { NOTEBOOKS } from './index';
import { renderNotebook } from './format';
import { collectRegions } from './regions';

/** The repository root (this file lives in scripts/notebooks/). */
export const ROOT = path.resolve(__dirname, '..', '..');
export const NOTEBOOK_DIR = path.join(ROOT, 'notebooks');

/** File name → the exact content the generator produces. */
export function generateAll(root = ROOT): Map<string, string> {
  const regions = collectRegions(root);
  const out = new Map<string, string>();
  for (const spec of NOTEBOOKS) {
    if (out.has(spec.file)) throw new Error(`two notebook sources write ${spec.file}`);
    out.set(spec.file, renderNotebook(spec, regions));
  }
  return out;
}

function writeAtomic(file: string, content: string): void {
  const tmp = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(tmp, content);
  fs.renameSync(tmp, file);
}

function main(argv: string[]): number {
  const check = argv.includes('--check');
  const unknown = argv.filter((a) => a !== '--check');
  if (unknown.length > 0) {
    console.error(`unknown argument(s): ${unknown.join(' ')}\nusage: build.ts [--check]`);
    return 2;
  }
  const generated = generateAll();
  const stale: string[] = [];
  for (const [name, content] of generated) {
    const file = path.join(NOTEBOOK_DIR, name);
    const current = fs.existsSync(file) ? fs.readFileSync(file, 'utf8') : null;
    if (current === content) continue;
    if (check) {
      stale.push(`${path.relative(ROOT, file)} (${current === null ? 'missing' : 'differs'})`);
    } else {
      fs.mkdirSync(NOTEBOOK_DIR, { recursive: true });
      writeAtomic(file, content);
      console.log(`wrote ${path.relative(ROOT, file)}`);
    }
  }
  if (stale.length > 0) {
    console.error(`notebooks out of date:\n  ${stale.join('\n  ')}\n` +
      'run: npx ts-node --transpile-only scripts/notebooks/build.ts');
    return 1;
  }
  console.log(check ? `${generated.size} notebooks up to date` : `${generated.size} notebooks generated`);
  return 0;
}

if (require.main === module) {
  try {
    process.exitCode = main(process.argv.slice(2));
  } catch (e) {
    console.error((e as Error).message);
    process.exitCode = 1;
  }
}
