/**
 * The only place that touches tslab: its executor compiles and runs cells, its converter completes and inspects.
 * tslab reports results through the console object we give it (`log` = the cell's last value, `error` = a
 * diagnostic or a thrown value); we turn those into structured outcomes with cell line numbers.
 */
import * as path from 'path';
import type * as VM from 'vm';
import { addLineMarkers } from './lineMarkers';
import { expandShorthandProperties, type ExpandedCell } from './shorthand';
import { compileError, runtimeError, type CellError } from './errors';
import { withSharedPackages, type SharedPackages } from './modules';
import { formatQuickInfo } from './quick-info';

// tslab is unmaintained and pinned; its engine modules are plain CommonJS with typings we only need in part.
/* eslint-disable @typescript-eslint/no-var-requires */
const tsForTslab = require('@tslab/typescript-for-tslab');
// The module object itself (not an import namespace): tslab looks runInThisContext up on it at call time.
const vm: typeof VM = require('vm');
/* eslint-enable @typescript-eslint/no-var-requires */

/**
 * tslab's converter and executor, loaded so that the converter's TypeScript resolves d2l and tfjs to d2l's own
 * copies from any folder (modules.ts). TypeScript's exports are getters, so the converter is handed, while it
 * loads, a Proxy of the module whose `createWatchCompilerHost` adds the options; everyone else keeps the module.
 */
function loadTslab(packages: SharedPackages): { converter: any; executor: any } {
  const tsPath = require.resolve('@tslab/typescript-for-tslab', { paths: [path.dirname(require.resolve('tslab/package.json'))] });
  const real = require(tsPath);
  const entry = require.cache[tsPath]!;
  const wrapped = withSharedPackages(real.createWatchCompilerHost, packages);
  entry.exports = new Proxy(real, { get: (target, key) => (key === 'createWatchCompilerHost' ? wrapped : Reflect.get(target, key)) });
  try {
    return { converter: require('tslab/dist/converter'), executor: require('tslab/dist/executor') };
  } finally {
    entry.exports = real;
  }
}

export type { CellError };

export interface ExecOutcome {
  ok: boolean;
  /** True when the cell ended with an expression whose value is not null/undefined. */
  hasValue: boolean;
  value?: unknown;
  error?: CellError;
}

export interface IsCompleteResult {
  status: 'complete' | 'incomplete' | 'invalid';
  indent?: string;
}

/** Executed cells' generated code by script file name, so frames of functions defined earlier map too. */
const cellScripts = new Map<string, { label: string; js: string }>();

interface Report {
  values: unknown[];
  diagnostics: Array<{ file: string; line: number; column: number; message: string }>;
  thrown: unknown[];
}

/**
 * Start-up time: tslab builds one TypeScript program over the standard library and, since it sets no `types`
 * option, every package in node_modules/@types (mocha, geojson, estree, … whatever the project happens to
 * have). Only @types/node declares globals a notebook needs; types of imported packages are still found through
 * module resolution. tslab hard-codes its compiler options, so we narrow what its TypeScript sees when listing
 * the @types folders (its own bundled TypeScript copy; the project's TypeScript is untouched). Saves ~10% of the
 * kernel's start-up CPU.
 */
function includeOnlyNodeTypesAutomatically(): void {
  const sys = tsForTslab.sys as { getDirectories(dir: string): string[]; __d2lTypesNarrowed?: boolean };
  if (sys.__d2lTypesNarrowed) return;
  const getDirectories = sys.getDirectories.bind(sys);
  sys.getDirectories = (dir: string) => {
    const entries = getDirectories(dir);
    return /[\\/]node_modules[\\/]@types[\\/]?$/.test(dir) ? entries.filter((name) => name === 'node') : entries;
  };
  sys.__d2lTypesNarrowed = true;
}

/**
 * Marks the kernel's own synchronous work (compiling a cell) as never to be terminated; user code runs unshielded.
 * See Slot.Shielded in io/shared.ts.
 */
export interface Shield {
  enter(): void;
  exit(): void;
}

export class Engine {
  /** The TypeScript version that type-checks and compiles cells (tslab bundles its own). */
  readonly typescriptVersion: string = tsForTslab.version;
  private readonly converter: any;
  private readonly executor: any;
  private report: Report | null = null;
  private readonly isCompleteCode: (code: string) => { completed: boolean; indent?: string };

  /**
   * `rootDir`: the notebook's folder (modules resolve from there); `packages`: d2l's copies of d2l and tfjs,
   * which type-check from any folder (modules.ts).
   */
  constructor(rootDir: string, packages: SharedPackages, private readonly shield: Shield = { enter() {}, exit() {} }) {
    includeOnlyNodeTypesAutomatically();
    const { converter: tslabConverter, executor: tslabExecutor } = loadTslab(packages);
    this.isCompleteCode = tslabConverter.isCompleteCode;
    this.converter = tslabConverter.createConverter({ isJS: false, isBrowser: false });
    const convs = { node: this.converter, browser: this.converter, close: () => this.converter.close() };
    this.executor = tslabExecutor.createExecutor(rootDir, convs, {
      log: (value: unknown) => this.report?.values.push(value),
      error: (first: unknown, ...rest: unknown[]) => {
        if (!this.report) return;
        // tslab prints a diagnostic as ('%s%d:%d - %s', file, line, column, message); anything else is a throw.
        if (first === '%s%d:%d - %s' && rest.length === 4) {
          const [file, line, column, message] = rest as [string, number, number, string];
          this.report.diagnostics.push({ file: String(file).trim(), line, column, message: String(message) });
        } else {
          this.report.thrown.push(first);
        }
      },
    });
  }

  /**
   * Compiles and runs one cell. `label` names the cell in tracebacks (e.g. `cell[3]`).
   * The cell's synchronous part runs before this returns its promise (so SIGINT can interrupt it).
   */
  execute(code: string, label: string): Promise<ExecOutcome> {
    const report: Report = { values: [], diagnostics: [], thrown: [] };
    this.report = report;
    const filename = `${label}`;
    let script: string | undefined;
    const original = vm.runInThisContext;
    // tslab runs the compiled cell with vm.runInThisContext; naming the script lets us find its frames. The
    // cell's own code runs unshielded; compiling it (all that happens before) must not be terminated.
    (vm as any).runInThisContext = (js: string, options?: VM.RunningScriptOptions | string) => {
      script = js;
      const opts = typeof options === 'object' ? options : {};
      this.shield.exit();
      try {
        return original.call(vm, js, { ...opts, filename });
      } finally {
        this.shield.enter();
      }
    };
    // tslab loses shorthand properties that read earlier cells' variables (see shorthand.ts).
    const expanded = expandShorthandProperties(code);
    let pending: Promise<boolean>;
    this.shield.enter();
    try {
      pending = this.executor.execute(addLineMarkers(expanded.code));
    } finally {
      (vm as any).runInThisContext = original;
      this.shield.exit();
    }
    if (script !== undefined) cellScripts.set(filename, { label, js: script });
    return pending.then(
      (ok) => this.outcome(ok, report, code, expanded, label),
      (e) => this.outcome(false, { ...report, thrown: [...report.thrown, e] }, code, expanded, label),
    );
  }

  private outcome(ok: boolean, report: Report, code: string, expanded: ExpandedCell, label: string): ExecOutcome {
    if (this.report === report) this.report = null;
    if (report.diagnostics.length > 0) {
      // The cell's own diagnostics point into the expanded text: give them the columns the user typed.
      const diagnostics = report.diagnostics.map((d) => (d.file ? d : { ...d, column: expanded.originalColumn(d.line, d.column) }));
      return { ok: false, hasValue: false, error: compileError(diagnostics, code, label) };
    }
    if (!ok || report.thrown.length > 0) {
      const thrown = report.thrown.length > 0 ? report.thrown[0] : new Error('the cell failed');
      return { ok: false, hasValue: false, error: runtimeError(thrown, (file) => cellScripts.get(file)) };
    }
    if (report.values.length > 0) return { ok: true, hasValue: true, value: report.values[report.values.length - 1] };
    return { ok: true, hasValue: false };
  }

  /** Completion candidates at `cursor` (a UTF-16 index into `code`). */
  complete(code: string, cursor: number): { start: number; end: number; matches: string[] } {
    const info = this.executor.complete(code, cursor);
    return { start: info.start, end: info.end, matches: info.candidates };
  }

  /** The type and documentation of the symbol at `cursor`, as text, or undefined. */
  inspect(code: string, cursor: number): string | undefined {
    let info = this.executor.inspect(code, cursor);
    // Clients send the cursor just after a name; TypeScript looks at the token starting there.
    if (!info && cursor > 0) info = this.executor.inspect(code, cursor - 1);
    return info ? formatQuickInfo(info) : undefined;
  }

  isComplete(code: string): IsCompleteResult {
    if (code.trim() === '') return { status: 'complete' };
    const tslabResult = this.isCompleteCode(code);
    if (!tslabResult.completed) return { status: 'incomplete', indent: tslabResult.indent ?? '' };
    const sf = tsForTslab.createSourceFile('cell.ts', code, tsForTslab.ScriptTarget.Latest, false);
    const errors = (sf.parseDiagnostics ?? []) as unknown[];
    return { status: errors.length > 0 ? 'invalid' : 'complete' };
  }

  /** Stops waiting for the running cell's promise (tslab rejects it with an interruption error). */
  interrupt(): void {
    this.executor.interrupt();
  }

  close(): void {
    this.executor.close();
  }
}
