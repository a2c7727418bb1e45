/**
 * The check helpers of exercise notebooks: `check`, `checkClose` and `checkShape`.
 *
 * In a notebook (visible tests, or a teacher running the teacher's version) they are assertions, available as
 * `d2l.check(…)` and so on. Inside a `// BEGIN HIDDEN TESTS` region `d2l grade` never runs them in the student's
 * kernel: it sends only the first argument (the expression to evaluate), gets back its value as plain JSON
 * (`toPlain`) and compares it with the expected value in its own process (see hidden.ts). Both paths use the
 * functions below, so a check passes in the notebook exactly when it passes in the grader.
 *
 * Values are compared as plain data: numbers, strings, booleans, null, arrays and objects of those; a tensor
 * counts as its nested array of values (`arraySync()`), a typed array as an array. `checkShape` compares shapes:
 * a tensor's or symbolic tensor's `shape` (with `null` for an unknown batch size), or a nested array's.
 */

/** A value as the grader receives it. Numbers JSON cannot hold, `undefined` and the like are tagged objects. */
export type Plain = null | boolean | number | string | Plain[] | { [key: string]: Plain };

/** What a check compares: the value itself, or its shape. */
export type PlainKind = 'value' | 'shape';

/**
 * `value` (or its shape) as plain data. Self-contained on purpose: `d2l grade` sends its source text to the
 * student's kernel (`toPlainSource`), where nothing else of d2l may be loaded. Never calls `toJSON` or getters,
 * and refuses values too large or too deep to compare (the grader checks sizes again on its side).
 */
export function toPlain(value: unknown, kind: PlainKind): Plain {
  const MAX_NODES = 200000, MAX_DEPTH = 32, MAX_STRING = 100000;
  let nodes = 0;
  const isTensor = (v: any) => v !== null && typeof v === 'object' && Array.isArray(v.shape) && typeof v.dtype === 'string' && typeof v.arraySync === 'function';
  const walk = (v: any, depth: number): Plain => {
    if (++nodes > MAX_NODES) throw new Error('the value is too large to compare (over ' + MAX_NODES + ' elements)');
    if (depth > MAX_DEPTH) throw new Error('the value is nested too deeply to compare');
    switch (typeof v) {
      case 'number':
        return Number.isFinite(v) ? (Object.is(v, -0) ? 0 : v) : { $number: String(v) };
      case 'string':
        if (v.length > MAX_STRING) throw new Error('the string is too long to compare');
        return v;
      case 'boolean':
        return v;
      case 'undefined':
        return { $undefined: true };
      case 'bigint':
        return { $bigint: String(v) };
      case 'function':
        return { $function: String(v.name || '') };
      case 'symbol':
        return { $symbol: String(v.description || '') };
    }
    if (v === null) return null;
    if (isTensor(v)) {
      if (v.size > MAX_NODES) throw new Error('the tensor is too large to compare (' + v.size + ' elements)');
      return walk(v.arraySync(), depth);
    }
    if (ArrayBuffer.isView(v) && !(v instanceof DataView)) {
      const arr = v as unknown as ArrayLike<number | bigint>;
      if (arr.length > MAX_NODES) throw new Error('the array is too large to compare');
      return Array.from(arr, (x) => walk(x, depth + 1));
    }
    if (Array.isArray(v)) {
      const n = v.length;
      if (n > MAX_NODES) throw new Error('the array is too large to compare');
      const out: Plain[] = [];
      for (let i = 0; i < n; i++) {
        const d = Object.getOwnPropertyDescriptor(v, i);
        out.push(d && 'value' in d ? walk(d.value, depth + 1) : { $undefined: true });
      }
      return out;
    }
    const out: { [key: string]: Plain } = {};
    for (const key of Object.keys(v)) {
      const d = Object.getOwnPropertyDescriptor(v, key);
      if (d && 'value' in d) out[key] = walk(d.value, depth + 1); // getters are never called
    }
    return out;
  };
  if (kind === 'value') return walk(value, 0);
  const v = value as any;
  if (v !== null && typeof v === 'object' && Array.isArray(v.shape)) return walk(v.shape.slice(), 0);
  if (!Array.isArray(v) && !ArrayBuffer.isView(v)) throw new Error('the value has no shape (not a tensor or an array)');
  const shape: number[] = [];
  for (let a: any = v; Array.isArray(a) || ArrayBuffer.isView(a); a = (a as any)[0]) shape.push((a as any).length);
  return shape;
}

/** The source text of `toPlain`, to evaluate in a kernel that has nothing else of d2l. */
export function toPlainSource(): string {
  return toPlain.toString();
}

/** Deep equality of plain values (object key order does not matter). */
export function equalPlain(a: Plain, b: Plain): boolean {
  if (a === b) return true;
  if (a === null || b === null || typeof a !== 'object' || typeof b !== 'object') return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  if (Array.isArray(a)) {
    const bb = b as Plain[];
    return a.length === bb.length && a.every((x, i) => equalPlain(x, bb[i]));
  }
  const ka = Object.keys(a), kb = Object.keys(b as object);
  const bo = b as { [key: string]: Plain };
  return ka.length === kb.length && ka.every((k) => Object.prototype.hasOwnProperty.call(bo, k) && equalPlain(a[k], bo[k]));
}

/** The default tolerance of checkClose: |actual − expected| ≤ tol · max(1, |expected|). */
export const DEFAULT_TOL = 1e-4;

/** Numbers (or same-shaped nested arrays of numbers) equal within `tol`, relative to max(1, |expected|). */
export function closePlain(actual: Plain, expected: Plain, tol = DEFAULT_TOL): boolean {
  if (typeof expected === 'number') return typeof actual === 'number' && Math.abs(actual - expected) <= tol * Math.max(1, Math.abs(expected));
  if (Array.isArray(expected)) {
    return Array.isArray(actual) && actual.length === expected.length && expected.every((e, i) => closePlain(actual[i], e, tol));
  }
  return equalPlain(actual, expected); // NaN, strings, null…: only an exact match
}

/** A plain value as a student reads it (tags shown as the values they stand for), cut to `max` characters. */
export function showPlain(v: Plain, max = 160): string {
  const text = JSON.stringify(v, (_k, x) => {
    if (x && typeof x === 'object' && !Array.isArray(x)) {
      const keys = Object.keys(x);
      if (keys.length === 1 && keys[0] === '$number') return `@@${x.$number}@@`;
      if (keys.length === 1 && keys[0] === '$undefined') return '@@undefined@@';
    }
    return x;
  }).replace(/"@@(.*?)@@"/g, '$1');
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

/** The options of `checkClose`. */
export interface CheckCloseOptions {
  /** Relative tolerance (default 1e-4): |actual − expected| ≤ tol · max(1, |expected|). */
  tol?: number;
  /** Names the check in its failure message. */
  message?: string;
}

/** What the three checks do with a value; shared by the notebook helpers and the grader. */
export type CheckKind = 'check' | 'checkClose' | 'checkShape';

/** Whether `actual` (plain, of the kind the check asks for) passes the check against `expected` (plain). */
export function passes(kind: CheckKind, actual: Plain, expected: Plain, tol?: number): boolean {
  return kind === 'checkClose' ? closePlain(actual, expected, tol ?? DEFAULT_TOL) : equalPlain(actual, expected);
}

/** The kind of plain value a check needs from its actual argument. */
export function plainKind(kind: CheckKind): PlainKind {
  return kind === 'checkShape' ? 'shape' : 'value';
}

/** A failed check in a notebook. */
export class CheckError extends Error {
  override name = 'CheckError';
}

function assertCheck(kind: CheckKind, actual: unknown, expected: unknown, tol: number | undefined, message: string | undefined): void {
  const got = toPlain(actual, plainKind(kind));
  const want = toPlain(expected, 'value');
  if (!passes(kind, got, want, tol)) {
    const what = kind === 'checkShape' ? 'shape' : 'value';
    throw new CheckError(`${message ? `${message}: ` : ''}expected ${what} ${showPlain(want)}, got ${showPlain(got)}`);
  }
}

/** Passes when `actual` equals `expected` as plain data (a tensor compares as its nested array of values). */
export function check(actual: unknown, expected: unknown, message?: string): void {
  assertCheck('check', actual, expected, undefined, message);
}

/** Passes when the numbers (or nested arrays, tensors) agree within `tol` · max(1, |expected|) elementwise. */
export function checkClose(actual: unknown, expected: unknown, opts: CheckCloseOptions | number = {}): void {
  const o = typeof opts === 'number' ? { tol: opts } : opts;
  assertCheck('checkClose', actual, expected, o.tol, o.message);
}

/** Passes when `actual`'s shape (a tensor's, a symbolic tensor's, a nested array's) equals `shape`. */
export function checkShape(actual: unknown, shape: (number | null)[], message?: string): void {
  assertCheck('checkShape', actual, shape, undefined, message);
}
