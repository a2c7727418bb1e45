/**
 * Notebook parameters, papermill's convention: defaults live in the cell tagged `parameters`; `d2l run` inserts a
 * cell tagged `injected-parameters` right after it that *assigns* the overrides (`name = value;`), so the
 * parameters cell must declare them with `let`.
 */
import { randomBytes } from 'crypto';
import { Cell, cellTags, CodeCell, newCodeCell, Notebook } from '../jupyter/nbformat';

export const PARAMETERS_TAG = 'parameters';
export const INJECTED_TAG = 'injected-parameters';

/** A name declared at the top level of the parameters cell. */
export interface DeclaredParameter {
  name: string;
  kind: 'let' | 'var' | 'const';
}

/** Problems with the requested parameters (unknown names, no parameters cell, …). Nothing has run yet. */
export class ParameterError extends Error {
  override name = 'ParameterError';
}

/** `-p name=value`: the value is JSON when it parses as JSON (numbers, true, null, "x", [1,2]), else a string. */
export function parseParameterArg(arg: string): [string, unknown] {
  const eq = arg.indexOf('=');
  if (eq <= 0) throw new ParameterError(`-p '${arg}' is not name=value (example: -p numEpochs=2 -p lr=0.1).`);
  const name = arg.slice(0, eq).trim();
  if (!/^[A-Za-z_$][\w$]*$/.test(name)) throw new ParameterError(`-p '${arg}': '${name}' is not a variable name.`);
  const text = arg.slice(eq + 1);
  try {
    return [name, JSON.parse(text)];
  } catch {
    return [name, text];
  }
}

/** Blanks out comments and the contents of string/template literals, keeping offsets and newlines. */
function maskCommentsAndStrings(src: string): string {
  let out = '';
  let i = 0;
  while (i < src.length) {
    const c = src[i];
    const next = src[i + 1];
    if (c === '/' && next === '/') {
      while (i < src.length && src[i] !== '\n') { out += ' '; i++; }
    } else if (c === '/' && next === '*') {
      const end = src.indexOf('*/', i + 2);
      const stop = end < 0 ? src.length : end + 2;
      for (; i < stop; i++) out += src[i] === '\n' ? '\n' : ' ';
    } else if (c === '"' || c === "'" || c === '`') {
      out += c;
      i++;
      while (i < src.length && src[i] !== c) {
        if (src[i] === '\\') { out += ' '; i++; }
        out += src[i] === '\n' ? '\n' : ' ';
        i++;
      }
      out += c;
      i++;
    } else {
      out += c;
      i++;
    }
  }
  return out;
}

/**
 * The names the parameters cell declares at its top level (`let a = 1, b: number | null = null;` → a, b).
 * A small scanner instead of the TypeScript compiler: the cell is a handful of simple declarations.
 */
export function declaredParameters(source: string): DeclaredParameter[] {
  const src = maskCommentsAndStrings(source);
  const found: DeclaredParameter[] = [];
  let depth = 0;
  let i = 0;
  const isIdent = (ch: string | undefined) => ch !== undefined && /[\w$]/.test(ch);
  while (i < src.length) {
    const ch = src[i];
    if ('([{'.includes(ch)) { depth++; i++; continue; }
    if (')]}'.includes(ch)) { depth--; i++; continue; }
    const m = depth === 0 && !isIdent(src[i - 1]) ? /^(let|var|const)\s+/.exec(src.slice(i, i + 7)) : null;
    if (!m) { i++; continue; }
    const kind = m[1] as DeclaredParameter['kind'];
    i += m[0].length;
    // Walk the declarator list: a name, then anything up to a comma at depth 0; stop at ';' or a line end
    // that does not continue the statement.
    let local = 0;
    let expectName = true;
    while (i < src.length) {
      const c = src[i];
      if (expectName) {
        const nm = /^\s*([A-Za-z_$][\w$]*)/.exec(src.slice(i));
        if (nm) { found.push({ name: nm[1], kind }); i += nm[0].length; }
        expectName = false;
        continue;
      }
      if ('([{'.includes(c)) local++;
      else if (')]}'.includes(c)) local--;
      else if (local === 0 && c === ',') expectName = true;
      else if (local === 0 && c === ';') { i++; break; }
      else if (local === 0 && c === '\n') {
        const before = src.slice(0, i).trimEnd().slice(-1);
        const after = src.slice(i).trimStart()[0];
        if (!/[,=+\-*/|&?:<(]/.test(before) && !/[,=+\-*/|&?:.)]/.test(after ?? '')) { i++; break; }
      }
      i++;
    }
  }
  return found;
}

/** Python parameters cells (papermill's home ground): top-level `name = value` lines. */
export function declaredPythonParameters(source: string): DeclaredParameter[] {
  const found: DeclaredParameter[] = [];
  for (const m of source.matchAll(/^([A-Za-z_]\w*)\s*(?::[^=\n]*)?=(?!=)/gm)) {
    if (!found.some((p) => p.name === m[1])) found.push({ name: m[1], kind: 'let' });
  }
  return found;
}

/** Formats a value as a literal of the notebook's language. */
export function literal(value: unknown, python = false): string {
  if (!python) return value === undefined ? 'undefined' : JSON.stringify(value);
  if (value === null || value === undefined) return 'None';
  if (value === true) return 'True';
  if (value === false) return 'False';
  if (Array.isArray(value)) return `[${value.map((v) => literal(v, true)).join(', ')}]`;
  if (typeof value === 'object') return `{${Object.entries(value).map(([k, v]) => `${JSON.stringify(k)}: ${literal(v, true)}`).join(', ')}}`;
  return JSON.stringify(value);
}

/** The source of the injected cell: one assignment per parameter, the profile first. */
export function injectedSource(values: Array<[string, unknown]>, python = false): string {
  const lines = [`${python ? '#' : '//'} Parameters injected by \`d2l run\``];
  for (const [name, value] of values) lines.push(`${name} = ${literal(value, python)}${python ? '' : ';'}`);
  return lines.join('\n');
}

/** True for notebooks whose kernel speaks Python (by kernelspec or language_info). */
export function isPythonNotebook(nb: Notebook): boolean {
  const lang = nb.metadata?.kernelspec?.language ?? nb.metadata?.language_info?.name;
  return typeof lang === 'string' && lang.toLowerCase() === 'python';
}

function newCellId(): string {
  return randomBytes(4).toString('hex');
}

/**
 * Returns a copy of the notebook with an `injected-parameters` cell after the `parameters` cell (any earlier
 * injected cell is replaced, as papermill does). `values` are `[name, value]` pairs in order; a profile is just
 * the pair `['profile', name]`. Throws ParameterError naming the known parameters when a name is unknown.
 */
export function injectParameters(nb: Notebook, values: Array<[string, unknown]>, notebookName: string): Notebook {
  const cells: Cell[] = nb.cells.filter((c) => !cellTags(c).includes(INJECTED_TAG));
  if (values.length === 0) return { ...nb, cells };
  const at = cells.findIndex((c) => c.cell_type === 'code' && cellTags(c).includes(PARAMETERS_TAG));
  const names = values.map(([n]) => n).join(', ');
  if (at < 0) {
    throw new ParameterError(`${notebookName} has no code cell tagged '${PARAMETERS_TAG}', so it takes no parameters (asked for: ${names}). ` +
      `Tag the cell holding the defaults with '${PARAMETERS_TAG}' (Jupyter: View → Cell Toolbar → Tags).`);
  }
  const python = isPythonNotebook(nb);
  const declared = python ? declaredPythonParameters(cells[at].source) : declaredParameters(cells[at].source);
  for (const [name] of values) {
    const d = declared.find((p) => p.name === name);
    if (!d) {
      const known = declared.map((p) => p.name);
      throw new ParameterError(`${notebookName}: unknown parameter '${name}'; the parameters cell declares ` +
        `${known.length ? known.join(', ') : 'nothing'}.`);
    }
    if (d.kind === 'const') {
      throw new ParameterError(`${notebookName}: parameter '${name}' is declared with const in the parameters cell, so it ` +
        'cannot be overridden; declare it with let.');
    }
  }
  const injected: CodeCell = newCodeCell(injectedSource(values, python), { tags: [INJECTED_TAG] });
  if (nb.nbformat_minor >= 5) injected.id = newCellId();
  cells.splice(at + 1, 0, injected);
  return { ...nb, cells };
}
