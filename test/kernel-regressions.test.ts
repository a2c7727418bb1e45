/**
 * Regression tests for kernel bugs found by running the chapter notebooks: shorthand properties of earlier
 * cells' variables, starting from source in another working directory, process.exit in a cell, orphaned kernels.
 */
import * as assert from 'assert';
import { spawn } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { sourceKernelArgv, TestKernel, ROOT } from './kernel/harness';
import { expandShorthandProperties } from '../kernel/shorthand';
import { watchParent } from '../kernel/lifecycle';
import type { Message } from '../src/jupyter/wire';

const resultText = (outputs: Message[]): string | undefined =>
  outputs.find((m) => m.header.msg_type === 'execute_result')?.content.data['text/plain'];

/** False once `pid` has exited, also while it is an unreaped zombie (containers' pid 1 may not reap). */
function isRunning(pid: number): boolean {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z';
  } catch {
    return false;
  }
}

describe('kernel regressions', function () {
  this.timeout(180_000);

  describe('a kernel started from its sources in another working directory', () => {
    let k: TestKernel;
    let cwd: string;
    before(async () => {
      cwd = fs.mkdtempSync(path.join(os.tmpdir(), 'd2l-kernel-cwd-'));
      k = await TestKernel.start({ argv: sourceKernelArgv(), cwd });
    });
    after(async () => {
      await k?.stop();
      fs.rmSync(cwd, { recursive: true, force: true });
    });

    it('starts (control worker included) and runs code in that directory', async () => {
      const { reply, outputs } = await k.run('process.cwd()');
      assert.strictEqual(reply.content.status, 'ok', k.stderr);
      assert.strictEqual(resultText(outputs), `'${fs.realpathSync(cwd)}'`);
      // interrupt_request is served by the control worker: it answers, so the worker loaded.
      const intr = k.send('interrupt_request', {}, { channel: 'control' });
      assert.strictEqual((await k.reply(intr)).content.status, 'ok');
    });

    it('reads earlier cells\' variables through shorthand properties', async () => {
      await k.run('let numEpochs = 10, lr = 0.01;\nconst x = 5;');
      const literal = await k.run('const o = { numEpochs, lr };\no');
      assert.strictEqual(literal.reply.content.status, 'ok', JSON.stringify(literal.reply.content));
      assert.strictEqual(resultText(literal.outputs), '{ numEpochs: 10, lr: 0.01 }');
      const expression = await k.run('({ x })');
      assert.strictEqual(resultText(expression.outputs), '{ x: 5 }');
      const inFunction = await k.run('function wrap() {\n  return { x, lr };\n}\nwrap()');
      assert.strictEqual(resultText(inFunction.outputs), '{ x: 5, lr: 0.01 }');
    });

    it('assigns earlier cells\' let variables by destructuring assignment (the notebooks\' profile pattern)', async () => {
      await k.run('let batchSize = 128;');
      await k.run('function applyProfile<T extends Record<string, number>>(current: T): T {\n  return Object.fromEntries(Object.entries(current).map(([k, v]) => [k, v / 2])) as T;\n}');
      const { reply } = await k.run('({ numEpochs, lr, batchSize } =\n  applyProfile({ numEpochs, lr, batchSize }));');
      assert.strictEqual(reply.content.status, 'ok', JSON.stringify(reply.content));
      const { outputs } = await k.run('[numEpochs, lr, batchSize]');
      assert.strictEqual(resultText(outputs), `[ ${10 / 2}, ${0.01 / 2}, ${128 / 2} ]`);
      // A default in the pattern, and a renamed target, also reach the shared variables.
      await k.run('({ numEpochs = 3, other: lr } = { other: 0.5 } as { numEpochs?: number; other: number });');
      assert.strictEqual(resultText((await k.run('[numEpochs, lr]')).outputs), '[ 3, 0.5 ]');
      // Declarations with binding patterns are untouched: they declare new names.
      await k.run('const { x: y, z = 2 } = { x: 7 } as { x: number; z?: number };');
      assert.strictEqual(resultText((await k.run('[x, y, z]')).outputs), '[ 5, 7, 2 ]');
    });

    it('reports compile errors in lines with shorthands at the columns the user typed', async () => {
      const code = 'const p = { x, numEpochs, missing };';
      const { reply } = await k.run(code);
      assert.strictEqual(reply.content.ename, 'CompileError');
      assert.match(reply.content.evalue, new RegExp(`^line 1:${code.indexOf('missing') + 1} - `));
      const typed = 'const q = { x, w: "s" as number };';
      const second = await k.run(typed);
      assert.match(second.reply.content.evalue, new RegExp(`^line 1:${typed.indexOf('"s"') + 1} - `));
    });
  });

  describe('expandShorthandProperties', () => {
    it('spells out object-literal shorthands only and keeps lines', () => {
      const src = 'const { a } = o;\nconst b = { a, c };\n({ a, d = 1 } = o);\nfunction f({ e }: any) { return { e }; }';
      const out = expandShorthandProperties(src).code;
      assert.strictEqual(out, 'const { a } = o;\nconst b = { a: a, c: c };\n({ a: a, d: d = 1 } = o);\nfunction f({ e }: any) { return { e: e }; }');
      assert.strictEqual(out.split('\n').length, src.split('\n').length);
    });

    it('maps columns after and inside inserted text back to the original', () => {
      const src = 'x({ a, bb }, zz)';
      const expanded = expandShorthandProperties(src);
      const at = (s: string, needle: string): number => s.indexOf(needle) + 1;
      assert.strictEqual(expanded.originalColumn(1, at(expanded.code, 'zz')), at(src, 'zz'));
      assert.strictEqual(expanded.originalColumn(1, at(expanded.code, ': bb') + 2), at(src, 'bb'));
      assert.strictEqual(expanded.originalColumn(1, at(expanded.code, 'a')), at(src, 'a'));
    });
  });

  describe('process.exit in a cell', () => {
    it('ends the kernel normally with the requested code after sending earlier output', async () => {
      const k = await TestKernel.start();
      try {
        const exited = new Promise<[number | null, string | null]>((resolve) => k.proc.once('exit', (code, signal) => resolve([code, signal])));
        const id = k.execute('console.log("before exit");\nprocess.exit(3);\nconsole.log("after exit");');
        const [code, signal] = await exited;
        assert.deepStrictEqual({ code, signal }, { code: 3, signal: null }, k.stderr);
        assert.ok(!/Napi::Error|terminate called/.test(k.stderr), k.stderr);
        const streams = k.messages.filter((m) => m.parent_header.msg_id === id && m.header.msg_type === 'stream').map((m) => m.content.text).join('');
        assert.strictEqual(streams, 'before exit\n');
      } finally {
        await k.stop();
      }
    });
  });

  describe('orphaned kernels (JPY_PARENT_PID)', () => {
    it('the kernel exits when the client that started it dies', async () => {
      // A stand-in client: starts the kernel as its child with JPY_PARENT_PID, as src/jupyter/client.ts does,
      // prints the kernel's pid, then waits. The kernel inherits the client's stdout/stderr, so those pipes
      // close only when both processes are gone.
      const k = await TestKernel.start({
        launch: (argv, file) => spawn(process.execPath, ['-e', `
          const { spawn } = require('child_process');
          const kernel = spawn(process.argv[1], JSON.parse(process.argv[2]),
            { stdio: ['ignore', 'inherit', 'inherit'], env: { ...process.env, JPY_PARENT_PID: String(process.pid) } });
          console.log('kernel pid ' + kernel.pid);
          setInterval(() => {}, 1000);`, argv[0], JSON.stringify([...argv.slice(1), file])], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] }),
      });
      try {
        const { reply } = await k.run('1+1');
        assert.strictEqual(reply.content.status, 'ok');
        const kernelPid = Number(/kernel pid (\d+)/.exec(k.stderr)?.[1]);
        const pipesClosed = new Promise<void>((resolve) => k.proc.once('close', () => resolve()));
        k.proc.kill('SIGKILL');
        await pipesClosed; // only once the orphaned kernel has exited too (else mocha's timeout fails the test)
        assert.match(k.stderr, /parent process \d+ is gone/);
        assert.ok(kernelPid > 0 && !isRunning(kernelPid), `kernel ${kernelPid} has exited`);
      } finally {
        await k.stop();
      }
    });

    it('watchParent reports a parent that is not our direct parent once it is gone', async () => {
      const sleeper = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { stdio: 'ignore' });
      const sleeperExited = new Promise((r) => sleeper.once('exit', r));
      let gone = false;
      const stop = watchParent({ JPY_PARENT_PID: String(sleeper.pid) }, () => (gone = true));
      try {
        await new Promise((r) => setTimeout(r, 1500));
        assert.strictEqual(gone, false, 'a live parent is not reported');
        sleeper.kill('SIGKILL');
        await sleeperExited;
        for (let i = 0; i < 50 && !gone; i++) await new Promise((r) => setTimeout(r, 100));
        assert.strictEqual(gone, true);
      } finally {
        stop();
        sleeper.kill('SIGKILL');
      }
    });
  });
});
