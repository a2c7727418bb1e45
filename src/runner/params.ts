/**
 * Notebook parameters, papermill's convention: defaults live in the cell tagged `parameters`; `d2l run` inserts a
 * cell tagged `injected-parameters` right after it that *assigns* the overrides (`name = value;`), so the
 * parameters cell must declare them with `let` (`let a = 1;` or `let { a, b } = f();`).
 *
 * A chapter notebook says its section in `metadata.d2l.section`; for it, `--profile P` is resolved here into P's
 * concrete values (src/profiles.ts), so the executed notebook shows exactly what ran.
 */
import { randomBytes } from 'crypto';
import { Cell, cellTags, CodeCell, newCodeCell, Notebook } from '../jupyter/nbformat';
import { bookParameters, profileValues } from '../profiles';

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
        const pattern = nm ? null : /^\s*[{[]/.exec(src.slice(i));
        if (nm) { found.push({ name: nm[1], kind }); i += nm[0].length; }
        if (pattern) {
          const end = closingBracket(src, i + pattern[0].length - 1);
          for (const name of patternNames(src.slice(i + pattern[0].length, end))) found.push({ name, kind });
          i = end + 1;
        }
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

/** Index of the bracket closing the one at `open` (brackets of any kind nest; comments and strings are masked). */
function closingBracket(src: string, open: number): number {
  let depth = 0;
  for (let i = open; i < src.length; i++) {
    if ('([{'.includes(src[i])) depth++;
    else if (')]}'.includes(src[i]) && --depth === 0) return i;
  }
  return src.length;
}

/** The names a destructuring pattern's body binds: `a`, `b = 1`, `key: c`, `...rest`, nested `{ d }` / `[e]`. */
function patternNames(body: string): string[] {
  const names: string[] = [];
  let depth = 0;
  let start = 0;
  const element = (text: string) => {
    const el = text.replace(/=[\s\S]*$/, '').trim(); // drop a default value
    const target = el.includes(':') ? el.slice(el.indexOf(':') + 1).trim() : el.replace(/^\.\.\./, '');
    if (/^[{[]/.test(target)) names.push(...patternNames(target.slice(1, -1)));
    else if (/^[A-Za-z_$][\w$]*$/.test(target)) names.push(target);
  };
  for (let i = 0; i <= body.length; i++) {
    const c = body[i];
    if (c !== undefined && '([{'.includes(c)) depth++;
    else if (c !== undefined && ')]}'.includes(c)) depth--;
    else if (c === undefined || (c === ',' && depth === 0)) {
      element(body.slice(start, i));
      start = i + 1;
    }
  }
  return names;
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

/** The source of the injected cell: one assignment per parameter, the profile first; `note`: a comment line. */
export function injectedSource(values: Array<[string, unknown]>, python = false, note?: string): string {
  const comment = python ? '#' : '//';
  const lines = [`${comment} Parameters injected by \`d2l run\``, ...(note ? [`${comment} ${note}`] : [])];
  for (const [name, value] of values) lines.push(`${name} = ${literal(value, python)}${python ? '' : ';'}`);
  return lines.join('\n');
}

/** The section a chapter notebook declares in `metadata.d2l.section`, if any. */
export function notebookSection(nb: Notebook): string | undefined {
  const section = (nb.metadata?.d2l as { section?: unknown } | undefined)?.section;
  return typeof section === 'string' ? section : undefined;
}

/**
 * What to inject: for a chapter notebook, a `profile` other than `auto` is followed by that profile's values for
 * the notebook's section, and each `-p` override replaces its name's value (every name once, in the table's
 * order); a training setting must be a finite number, or a string where the book's value is one (7.3's `init`).
 * `auto` is decided by the kernel (`d2l.settings`), and other notebooks get exactly what was asked.
 */
export function resolveInjection(nb: Notebook, values: Array<[string, unknown]>): { values: Array<[string, unknown]>; note?: string } {
  const section = notebookSection(nb);
  if (section === undefined) return { values };
  const book: Record<string, unknown> = bookParameters(section);
  for (const [name, value] of values) {
    if (!(name in book)) continue;
    const text = typeof book[name] === 'string'; // else a number, as every other setting
    if (text ? typeof value !== 'string' : typeof value !== 'number' || !Number.isFinite(value)) {
      throw new ParameterError(`${name} must be ${text ? 'a string' : 'a finite number'} for section ${section}'s ` +
        `notebook, got ${JSON.stringify(value)} (example: -p ${name}=${book[name]}).`);
    }
  }
  const profile = values.find(([name]) => name === 'profile')?.[1];
  if (typeof profile !== 'string' || profile === 'auto') return { values };
  const merged = new Map<string, unknown>([['profile', profile], ...Object.entries(profileValues(section, profile))]);
  for (const [name, value] of values) merged.set(name, value);
  const overridden = values.filter(([name]) => name !== 'profile').map(([name]) => name);
  const note = `profile '${profile}' of section ${section} (src/profiles.ts)` +
    (overridden.length ? `, with ${overridden.join(', ')} from -p` : '') + '; these values replace the ones above';
  return { values: [...merged], note };
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
 * injected cell is replaced, as papermill does). `asked` are `[name, value]` pairs in order; a profile is the
 * pair `['profile', name]` (expanded for chapter notebooks, see `resolveInjection`). Throws ParameterError naming
 * the known parameters when a name is unknown.
 */
export function injectParameters(nb: Notebook, asked: Array<[string, unknown]>, notebookName: string): Notebook {
  const cells: Cell[] = nb.cells.filter((c) => !cellTags(c).includes(INJECTED_TAG));
  if (asked.length === 0) return { ...nb, cells };
  const { values, note } = resolveInjection(nb, asked);
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
  const injected: CodeCell = newCodeCell(injectedSource(values, python, note), { tags: [INJECTED_TAG] });
  if (nb.nbformat_minor >= 5) injected.id = newCellId();
  cells.splice(at + 1, 0, injected);
  return { ...nb, cells };
}
