/**
 * Type-checks every code cell of the chapter notebooks with tslab's own converter — the TypeScript engine our
 * kernel runs — cell after cell with the earlier cells' declarations, exactly as a kernel session would see them.
 * Nothing is executed. `d2l` resolves to this checkout's `src/index.ts`.
 *
 *   npx ts-node --transpile-only scripts/notebooks/typecheck.ts [--extra src/figures src/profiles …]
 *
 * `--extra` adds modules to the `d2l` seen by the notebooks (to check notebooks against exports that are about to
 * be added to src/index.ts).
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { ROOT, generateAll } from './build';

/** One diagnostic, located in the notebook. */
export interface CellDiagnostic {
  notebook: string;
  /** Index of the cell in the notebook. */
  cell: number;
  line: number;
  message: string;
}

interface NotebookJson { cells: { cell_type: string; source: string[] }[] }

function linkDir(target: string, link: string): void {
  fs.mkdirSync(path.dirname(link), { recursive: true });
  fs.symlinkSync(target, link, 'dir');
}

/** A scratch directory whose node_modules give `d2l` (from src/), `@tensorflow/*` and `@types/*`. */
function makeWorkspace(extraModules: string[]): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'd2l-nb-typecheck-'));
  const nm = path.join(dir, 'node_modules');
  for (const scope of ['@tensorflow', '@types']) linkDir(path.join(ROOT, 'node_modules', scope), path.join(nm, scope));
  const d2l = path.join(nm, 'd2l');
  fs.mkdirSync(d2l, { recursive: true });
  fs.writeFileSync(path.join(d2l, 'package.json'), JSON.stringify({ name: 'd2l', types: 'index.d.ts' }));
  const modules = ['src/index', ...extraModules.map((m) => m.replace(/\.ts$/, ''))];
  fs.writeFileSync(path.join(d2l, 'index.d.ts'),
    modules.map((m) => `export * from ${JSON.stringify(path.join(ROOT, m))};`).join('\n') + '\n');
  return dir;
}

/** Type-checks the generated notebooks (or `notebooks`: file name → JSON text); returns all diagnostics. */
export function typecheckNotebooks(extraModules: string[] = [], notebooks = generateAll()): CellDiagnostic[] {
  const workspace = makeWorkspace(extraModules);
  const previousCwd = process.cwd();
  const diagnostics: CellDiagnostic[] = [];
  try {
    process.chdir(workspace); // tslab's converter resolves modules from the current directory
    // eslint-disable-next-line @typescript-eslint/no-var-requires
    const { createConverter } = require('tslab/dist/converter') as typeof import('tslab/dist/converter');
    // One converter for all notebooks: a session's state is only `prevDecl`, which starts empty per notebook,
    // and reusing the converter lets TypeScript reuse the checked library between notebooks.
    const converter = createConverter();
    try {
      for (const [name, text] of notebooks) {
        let prevDecl = '';
        (JSON.parse(text) as NotebookJson).cells.forEach((cell, index) => {
          if (cell.cell_type !== 'code') return;
          const result = converter.convert(prevDecl, cell.source.join(''));
          for (const d of result.diagnostics) {
            diagnostics.push({ notebook: name, cell: index, line: d.start.line + 1, message: d.messageText });
          }
          if (result.diagnostics.length === 0) prevDecl = result.declOutput ?? '';
        });
      }
    } finally {
      converter.close();
    }
  } finally {
    process.chdir(previousCwd);
    fs.rmSync(workspace, { recursive: true, force: true });
  }
  return diagnostics;
}

if (require.main === module) {
  const i = process.argv.indexOf('--extra');
  const extras = i >= 0 ? process.argv.slice(i + 1) : [];
  const found = typecheckNotebooks(extras);
  for (const d of found) console.log(`${d.notebook} cell ${d.cell} line ${d.line}: ${d.message}`);
  console.log(found.length === 0 ? 'all notebook cells type-check' : `${found.length} diagnostics`);
  process.exitCode = found.length === 0 ? 0 : 1;
}
