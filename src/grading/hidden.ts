/**
 * Hidden checks: what a test cell's `// BEGIN HIDDEN TESTS` … `// END HIDDEN TESTS` region turns into when
 * `d2l grade` runs it. The region holds only check calls, one natural line each:
 *
 *   // BEGIN HIDDEN TESTS
 *   d2l.check(ninParams(), 1992166);
 *   d2l.checkClose(smoothLabels(y, 4, 0.1), [[0.025, 0.925, 0.025, 0.025]], { tol: 1e-5 });
 *   d2l.checkShape(blk.apply(tf.input({ shape: [224, 224, 1] })), [null, 54, 54, 96]);
 *   // END HIDDEN TESTS
 *
 * (`check`, `checkClose` and `checkShape` may also be called without the `d2l.` prefix.) The grader parses the
 * region here; only each call's first argument is sent to the student's kernel, wrapped so that its value comes
 * back as plain JSON (checks.ts `toPlain`). The expected value and options are evaluated in the grader (plain
 * data and arithmetic; no notebook names) and compared there, so neither they nor the comparison ever enter the
 * student's process. The rest of the cell (the visible tests) runs in the kernel as written, in order.
 */
import * as path from 'path';
import * as vm from 'vm';
import type * as TS from 'typescript';
import type { Output } from '../jupyter/nbformat';
import { AssignError, BEGIN_HIDDEN, END_HIDDEN, splitRegions } from './regions';
import { CheckKind, passes, Plain, plainKind, showPlain, toPlain, toPlainSource } from './checks';

/** One hidden check, parsed. */
export interface HiddenCheck {
  kind: CheckKind;
  /** The expression the student's kernel evaluates (TypeScript, in the notebook's scope). */
  actual: string;
  /** The expected value, evaluated here. */
  expected: Plain;
  tol?: number;
  message?: string;
  /** 1-based line of the call in its cell. */
  line: number;
}

/** A test cell as executed: visible code the kernel runs, and hidden checks, in the cell's order. */
export type TestStep = { code: string } | { checks: HiddenCheck[] };

const CHECK_NAMES: readonly CheckKind[] = ['check', 'checkClose', 'checkShape'];

/** MIME type of the check results a check cell returns. */
export const CHECKS_MIME = 'application/vnd.d2l.checks+json';

/** Largest check result accepted from a kernel, in characters of JSON. */
export const MAX_RESULT_CHARS = 4 * 1024 * 1024;

let tsModule: typeof TS | undefined;

/** TypeScript's parser: tslab's copy, which every d2l install has (`typescript` itself is a dev dependency). */
function typescript(): typeof TS {
  if (tsModule) return tsModule;
  try {
    const tslab = path.dirname(require.resolve('tslab/package.json'));
    tsModule = require(require.resolve('@tslab/typescript-for-tslab', { paths: [tslab] })) as typeof TS;
  } catch {
    tsModule = require('typescript') as typeof TS;
  }
  return tsModule;
}

/** Evaluates a teacher's expected value (or options) here: plain data and arithmetic, one second at most. */
function evaluate(ts: typeof TS, text: string, where: string): unknown {
  const js = ts.transpileModule(`(${text})`, { compilerOptions: { target: ts.ScriptTarget.ES2020 }, reportDiagnostics: false }).outputText;
  try {
    return vm.runInNewContext(js, Object.create(null), { timeout: 1000 });
  } catch (e) {
    throw new AssignError(`${where}: cannot evaluate '${text}' in the grader (${(e as Error).message}). The expected value of a ` +
      'hidden check must be plain data or arithmetic on literals: it is computed without the notebook.');
  }
}

function checkCall(ts: typeof TS, sf: TS.SourceFile, st: TS.Statement, firstLine: number, where: string): HiddenCheck {
  const line = firstLine + sf.getLineAndCharacterOfPosition(st.getStart(sf)).line + 1;
  const at = `${where}, line ${line}`;
  const call = ts.isExpressionStatement(st) && ts.isCallExpression(st.expression) ? st.expression : undefined;
  const callee = call?.expression;
  const name = callee && (ts.isIdentifier(callee) ? callee.text : ts.isPropertyAccessExpression(callee) ? callee.name.text : undefined);
  if (!call || !CHECK_NAMES.includes(name as CheckKind)) {
    throw new AssignError(`${at}: '${st.getText(sf).split('\n')[0]}' is not a check. A hidden test region may hold only ` +
      'check(actual, expected), checkClose(actual, expected, { tol }) and checkShape(actual, shape) calls, which the ' +
      'grader evaluates outside the student\'s kernel (see docs/teachers.md, "Hidden checks"). Move other code above the region.');
  }
  const kind = name as CheckKind;
  const args = call.arguments;
  if (args.length < 2 || args.length > 3) throw new AssignError(`${at}: ${kind} takes (actual, expected${kind === 'checkClose' ? ', { tol, message }' : ', message'}), got ${args.length} argument(s)`);
  const expected = toPlain(evaluate(ts, args[1].getText(sf), at), 'value');
  const check: HiddenCheck = { kind, actual: args[0].getText(sf), expected, line };
  if (args.length === 3) {
    const third = evaluate(ts, args[2].getText(sf), at) as any;
    if (kind === 'checkClose' && typeof third === 'number') check.tol = third;
    else if (kind === 'checkClose' && third && typeof third === 'object') {
      if (third.tol !== undefined) check.tol = Number(third.tol);
      if (third.message !== undefined) check.message = String(third.message);
    } else if (typeof third === 'string') check.message = third;
    else throw new AssignError(`${at}: the third argument of ${kind} must be ${kind === 'checkClose' ? 'a tolerance or { tol, message }' : 'a message string'}`);
    if (check.tol !== undefined && !(check.tol >= 0)) throw new AssignError(`${at}: checkClose's tol must be a number ≥ 0`);
  }
  return check;
}

/** The hidden checks of one region's lines (`firstLine`: index of its first line in the cell). */
function parseRegion(lines: string[], firstLine: number, where: string): HiddenCheck[] {
  const ts = typescript();
  const sf = ts.createSourceFile('hidden.ts', lines.join('\n'), ts.ScriptTarget.ES2020, true, ts.ScriptKind.TS);
  const syntax = (sf as unknown as { parseDiagnostics: TS.Diagnostic[] }).parseDiagnostics ?? [];
  if (syntax.length > 0) {
    const d = syntax[0];
    const line = firstLine + sf.getLineAndCharacterOfPosition(d.start ?? 0).line + 1;
    throw new AssignError(`${where}, line ${line}: hidden tests do not parse: ${ts.flattenDiagnosticMessageText(d.messageText, ' ')}`);
  }
  return sf.statements.map((st) => checkCall(ts, sf, st, firstLine, where));
}

/**
 * A test cell's steps, or undefined when it has no hidden region (it then runs as one cell). Throws AssignError
 * (naming the cell line and the fix) when a region holds anything but checks.
 */
export function testSteps(source: string, where: string): TestStep[] | undefined {
  const parts = splitRegions(source, BEGIN_HIDDEN, END_HIDDEN, where);
  if (parts.length === 1) return undefined;
  const steps: TestStep[] = [];
  for (const p of parts) {
    if (p.inside) {
      const checks = parseRegion(p.lines, p.firstLine, where);
      if (checks.length > 0) steps.push({ checks });
    } else if (p.lines.join('\n').trim() !== '') {
      steps.push({ code: p.lines.join('\n') });
    }
  }
  return steps;
}

/**
 * The cell the student's kernel runs for `checks`: it evaluates each expression (awaited, errors caught) and
 * returns the values as plain JSON under CHECKS_MIME. Expected values are not in it.
 */
export function checksCode(checks: HiddenCheck[]): string {
  const thunks = checks.map((c) => `  [${JSON.stringify(plainKind(c.kind))}, async () => (\n${c.actual}\n)],`);
  return [
    'await Promise.resolve().then(async () => {', // (`await (async () => …)()` trips tslab: it reads `await(…)` as a call)
    `  const __d2lPlain: any = new Function(${JSON.stringify(`return (${toPlainSource()})`)})();`,
    '  const __d2lOut: any[] = [];',
    '  const __d2lChecks: [string, () => Promise<unknown>][] = [',
    ...thunks,
    '  ];',
    '  for (const [__d2lKind, __d2lThunk] of __d2lChecks) {',
    '    try {',
    '      __d2lOut.push({ value: __d2lPlain(await __d2lThunk(), __d2lKind) });',
    '    } catch (e) {',
    "      let m = 'error';",
    '      try { m = String((e as any)?.message ?? e); } catch { /* a hostile error */ }',
    '      __d2lOut.push({ error: m.slice(0, 300) });',
    '    }',
    '  }',
    '  const __d2lJson = JSON.stringify(__d2lOut);',
    `  return { [Symbol.for('jupyter.mimeBundle')]: () => ({ ${JSON.stringify(CHECKS_MIME)}: __d2lJson }) };`,
    '})',
  ].join('\n');
}

/** What the hidden checks of one step found. */
export interface ChecksOutcome {
  total: number;
  passed: number;
  /** One line per failed check, for the feedback (never an expected value). */
  failures: string[];
}

function depthOk(v: unknown, max: number): boolean {
  if (max < 0) return false;
  if (v === null || typeof v !== 'object') return true;
  return Object.values(v as object).every((x) => depthOk(x, max - 1));
}

/** The kernel's answers to `checksCode`, or a message saying why there are none. */
export function readResults(outputs: Output[], count: number): ({ value: Plain } | { error: string })[] | string {
  const result = outputs.find((o) => o.output_type === 'execute_result' && typeof o.data[CHECKS_MIME] === 'string');
  const err = outputs.find((o) => o.output_type === 'error');
  if (!result || result.output_type !== 'execute_result') {
    return err && err.output_type === 'error' ? `the hidden checks could not run: ${`${err.ename}: ${err.evalue}`.split('\n')[0].slice(0, 300)}` : 'the kernel returned no values for the hidden checks';
  }
  const text = result.data[CHECKS_MIME] as string;
  if (text.length > MAX_RESULT_CHARS) return 'the values returned for the hidden checks are too large';
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return 'the kernel returned unreadable values for the hidden checks';
  }
  const ok = Array.isArray(parsed) && parsed.length === count && depthOk(parsed, 40) && parsed.every((r) => r !== null && typeof r === 'object' &&
    !Array.isArray(r) && (('value' in r && Object.keys(r).length === 1) || (typeof (r as any).error === 'string' && Object.keys(r).length === 1)));
  return ok ? parsed as ({ value: Plain } | { error: string })[] : 'the kernel returned malformed values for the hidden checks';
}

/** Compares the kernel's answers with the expected values, here. `offset`: checks of earlier steps in the cell. */
export function judgeChecks(checks: HiddenCheck[], outputs: Output[], offset = 0, total = checks.length): ChecksOutcome {
  const results = readResults(outputs, checks.length);
  const label = (i: number) => `hidden check ${offset + i + 1} of ${total}${checks[i].message ? ` (${checks[i].message})` : ''}`;
  if (typeof results === 'string') return { total: checks.length, passed: 0, failures: [results] };
  const failures: string[] = [];
  results.forEach((r, i) => {
    const c = checks[i];
    if ('error' in r) failures.push(`${label(i)} failed: ${r.error}`);
    else if (!passes(c.kind, r.value, c.expected, c.tol)) failures.push(`${label(i)} failed: your ${c.kind === 'checkShape' ? 'shape' : 'value'} was ${showPlain(r.value)}`);
  });
  return { total: checks.length, passed: checks.length - failures.length, failures };
}
