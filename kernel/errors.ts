/**
 * Cell failures as Jupyter errors: `ename`, `evalue` and a `traceback` whose locations are the cell's own lines.
 * Frames of the kernel, tslab and Node internals are dropped: a student should see their code, not ours.
 */
import * as path from 'path';
import { cellLineAt, stripLineMarkers } from './lineMarkers';

export interface CellError {
  ename: string;
  evalue: string;
  traceback: string[];
}

const RED = '\x1b[0;31m';
const RESET = '\x1b[0m';

/** Type-check / syntax errors reported by the compiler (line and column are already the cell's, 1-based). */
export function compileError(
  diagnostics: Array<{ file: string; line: number; column: number; message: string }>,
  code: string,
  label: string,
): CellError {
  const lines = code.split('\n');
  const traceback: string[] = [];
  for (const d of diagnostics) {
    const where = d.file ? `${d.file}:${d.line}:${d.column}` : `${label}:${d.line}:${d.column}`;
    traceback.push(`${RED}${where}${RESET} - ${d.message}`);
    if (!d.file && lines[d.line - 1] !== undefined) {
      traceback.push(`  ${lines[d.line - 1]}`, `  ${' '.repeat(Math.max(0, d.column - 1))}^`);
    }
  }
  const first = diagnostics[0];
  const evalue = first.file ? `${first.file}:${first.line}:${first.column} - ${first.message}`
    : `line ${first.line}:${first.column} - ${first.message}`;
  traceback.push(`${RED}CompileError${RESET}: ${diagnostics.length} error(s) in ${label}`);
  return { ename: 'CompileError', evalue, traceback };
}

const INTERRUPT_MESSAGES = [/Script execution was interrupted/, /Interrupted asynchronously/];
const KERNEL_DIR = __dirname;
const INTERNAL_PATH = [`${path.sep}node_modules${path.sep}tslab${path.sep}`, `${path.sep}ts-node${path.sep}`];

/** The error of a cell stopped by an interrupt where no more precise one exists. */
export function keyboardInterruptError(): CellError {
  return { ename: 'KeyboardInterrupt', evalue: 'execution interrupted', traceback: [`${RED}KeyboardInterrupt${RESET}: execution interrupted`] };
}

/** A thrown value (Error or anything else) with its stack mapped to cell lines. */
export function runtimeError(thrown: unknown, scriptOf: (file: string) => { label: string; js: string } | undefined): CellError {
  if (thrown instanceof Error && INTERRUPT_MESSAGES.some((r) => r.test(thrown.message))) return keyboardInterruptError();
  const isError = thrown instanceof Error || (typeof thrown === 'object' && thrown !== null && 'message' in thrown);
  const ename = isError ? String((thrown as Error).name || (thrown as object).constructor?.name || 'Error') : 'Error';
  const evalue = isError ? String((thrown as Error).message) : describe(thrown);
  const traceback = [`${RED}${ename}${RESET}: ${evalue}`];
  const stack = isError && typeof (thrown as Error).stack === 'string' ? (thrown as Error).stack! : '';
  for (const line of stack.split('\n')) {
    const frame = /^\s+at (.*)$/.exec(line);
    if (!frame) continue;
    const mapped = mapFrame(frame[1], scriptOf);
    if (mapped === 'stop') break;
    if (mapped) traceback.push(`    at ${mapped}`);
  }
  return { ename, evalue, traceback };
}

/** A frame text like `f (cell[3]:7:9)` or `cell[3]:7:9`, mapped; null to drop it, 'stop' at the kernel's frames. */
function mapFrame(text: string, scriptOf: (file: string) => { label: string; js: string } | undefined): string | null | 'stop' {
  const m = /^(?:(.*?) \()?(.+?):(\d+):(\d+)\)?$/.exec(text);
  if (!m) return text.includes('<anonymous>') || text.startsWith('node:') ? null : text;
  const [, fn, file, lineText, columnText] = m;
  const script = scriptOf(file);
  if (script) {
    const line = cellLineAt(script.js, Number(lineText), Number(columnText));
    const name = fn && !/^(exports|Object)\.<anonymous>$/.test(fn) ? `${stripLineMarkers(fn)} ` : '';
    if (line === undefined) return null; // the wrapper tslab puts around the cell
    const place = `${script.label}:${line}`;
    return name ? `${name}(${place})` : place;
  }
  if (file.startsWith(KERNEL_DIR)) return 'stop';
  if (file.startsWith('node:') || file.startsWith('evalmachine') || INTERNAL_PATH.some((p) => file.includes(p))) return null;
  return text;
}

function describe(value: unknown): string {
  try {
    // eslint-disable-next-line @typescript-eslint/no-var-requires
    return require('util').inspect(value, { depth: 2 });
  } catch {
    return String(value);
  }
}
