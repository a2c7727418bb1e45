/**
 * `d2l run` end to end on our own kernel: each test runs the command in a child process on fixture notebooks
 * copied to a temp directory (the runner's cwd), and checks exit status, messages and the executed notebooks.
 */
import { strict as assert } from 'assert';
import { ChildProcess, spawn } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { ownKernel } from '../src/client/client';
import { CodeCell, Notebook, parseNotebook, readNotebook } from '../src/jupyter/nbformat';

const ROOT = path.resolve(__dirname, '..');
const FIXTURES = path.join(ROOT, 'test', 'fixtures', 'runner');
const RUN_CLI = `require(${JSON.stringify(path.join(ROOT, 'src', 'cli', 'run'))}).runCommand(process.argv.slice(1)).then((c) => { process.exitCode = c; })`;

interface Done { code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }

const scratch: string[] = [];

/** A scratch copy of the fixtures, and a JUPYTER_PATH whose `d2l` kernelspec runs this checkout's kernel. */
function workspace(): { dir: string; env: NodeJS.ProcessEnv } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'd2l-runner-test-'));
  scratch.push(dir);
  fs.cpSync(FIXTURES, dir, { recursive: true });
  const own = ownKernel();
  assert.ok(own, 'the d2l kernel (kernel/main.ts) must exist');
  const specDir = path.join(dir, '.jupyter', 'kernels', 'd2l');
  fs.mkdirSync(specDir, { recursive: true });
  // As `d2l kernel install` writes it (kernelJson), with this checkout's kernel command line.
  fs.writeFileSync(path.join(specDir, 'kernel.json'), JSON.stringify({ argv: own.argv, env: own.env, display_name: 'TypeScript (d2l)', language: 'typescript', interrupt_mode: 'message' }));
  const jupyter = path.join(dir, '.jupyter');
  const tsNodeProject = path.join(ROOT, 'tsconfig.json'); // the runner runs from source in the scratch folder
  return { dir, env: { ...process.env, JUPYTER_PATH: jupyter, JUPYTER_DATA_DIR: jupyter, TS_NODE_PROJECT: tsNodeProject } };
}

function start(args: string[], cwd: string, env: NodeJS.ProcessEnv): { child: ChildProcess; done: Promise<Done> } {
  const child = spawn(process.execPath, ['-r', require.resolve('ts-node/register/transpile-only'), '-e', RUN_CLI, '--', ...args], { cwd, env });
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (d) => { stdout += d; });
  child.stderr!.on('data', (d) => { stderr += d; });
  const done = new Promise<Done>((resolve) => child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr })));
  return { child, done };
}

function run(args: string[], ws: { dir: string; env: NodeJS.ProcessEnv }): Promise<Done> {
  return start(args, ws.dir, ws.env).done;
}

function codeCells(nb: Notebook): CodeCell[] {
  return nb.cells.filter((c): c is CodeCell => c.cell_type === 'code');
}

function text(cell: CodeCell): string {
  return cell.outputs.map((o) => (o.output_type === 'stream' ? o.text : o.output_type === 'error' ? `${o.ename}: ${o.evalue}` : '')).join('');
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function waitUntilGone(pid: number, ms = 10_000): Promise<boolean> {
  for (const end = Date.now() + ms; Date.now() < end; await new Promise((r) => setTimeout(r, 100))) if (!alive(pid)) return true;
  return false;
}

describe('d2l run (on the d2l kernel)', function () {
  this.timeout(180_000);

  after(() => {
    for (const dir of scratch.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
  });

  it('injects parameters after the parameters cell and never touches the source notebook', async () => {
    const ws = workspace();
    const source = fs.readFileSync(path.join(ws.dir, 'params.ipynb'));
    const r = await run(['params.ipynb', '--profile', 'smoke', '-p', 'numEpochs=2', '-p', 'label=hello', '--out', 'executed'], ws);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(fs.readFileSync(path.join(ws.dir, 'params.ipynb')), source);
    const nb = readNotebook(path.join(ws.dir, 'executed', 'params.ipynb'));
    const cells = codeCells(nb);
    assert.deepEqual(cells[1].metadata.tags, ['injected-parameters']);
    assert.equal(cells[1].source, '// Parameters injected by `d2l run`\nprofile = "smoke";\nnumEpochs = 2;\nlabel = "hello";');
    assert.deepEqual(JSON.parse(text(cells[2])), { profile: 'smoke', numEpochs: 2, lr: 0.1, label: 'hello' });
    assert.ok(cells.every((c) => typeof c.execution_count === 'number'));
    assert.equal(nb.metadata.papermill.status, 'completed');
    assert.deepEqual(nb.metadata.papermill.parameters, { profile: 'smoke', numEpochs: 2, label: 'hello' });
    assert.match(r.stderr, /cell 4\/4 ok/);
  });

  it('rejects an unknown parameter or a broken notebook before running anything (exit 2)', async () => {
    const ws = workspace();
    const unknown = await run(['params.ipynb', '-p', 'epochs=3', '--out', 'executed'], ws);
    assert.equal(unknown.code, 2);
    assert.match(unknown.stderr, /params\.ipynb: unknown parameter 'epochs'; the parameters cell declares profile, numEpochs, lr, label\./);
    const broken = await run(['broken.ipynb', 'fail.ipynb', '--out', 'executed'], ws);
    assert.equal(broken.code, 2);
    assert.match(broken.stderr, /broken\.ipynb is not valid JSON/);
    assert.equal(fs.existsSync(path.join(ws.dir, 'executed')), false, 'nothing was executed or written');
  });

  it('stops at a failing cell: reports notebook, cell, ename, evalue, traceback; exits 1; saves the outputs', async () => {
    const ws = workspace();
    const r = await run(['fail.ipynb', '--out', 'executed'], ws);
    assert.equal(r.code, 1, r.stderr);
    assert.match(r.stderr, /fail\.ipynb: cell 2 \(In \[\d+\]\) raised Error: boom in cell 2/);
    assert.match(r.stderr, /\n\s+.*boom in cell 2/, 'the traceback follows');
    const cells = codeCells(readNotebook(path.join(ws.dir, 'executed', 'fail.ipynb')));
    assert.equal(text(cells[0]), 'before\n');
    assert.ok(cells[1].outputs.some((o) => o.output_type === 'error' && o.evalue.includes('boom in cell 2')));
    assert.equal(cells[2].execution_count, null);
    assert.equal(cells[2].outputs.length, 0);
    assert.match(r.stdout, /failures:\n\s+fail\.ipynb: cell 2: Error: boom in cell 2/);
  });

  it('--allow-errors runs on after the failing cell and exits 0, listing the error', async () => {
    const ws = workspace();
    const r = await run(['fail.ipynb', '--out', 'executed', '--allow-errors'], ws);
    assert.equal(r.code, 0, r.stderr);
    const cells = codeCells(readNotebook(path.join(ws.dir, 'executed', 'fail.ipynb')));
    assert.ok(cells[1].outputs.some((o) => o.output_type === 'error'));
    assert.equal(text(cells[2]), 'after\n');
    assert.match(r.stdout, /errors \(allowed\):\n\s+fail\.ipynb: cell 2: Error: boom in cell 2/);
  });

  it('--timeout interrupts the kernel, records the timeout in the cell and fails', async () => {
    const ws = workspace();
    const r = await run(['sleep.ipynb', '--out', 'executed', '--timeout', '2'], ws);
    assert.equal(r.code, 1, r.stderr);
    assert.match(r.stderr, /sleep\.ipynb: cell 2 .*timed out: CellTimeoutError: Cell execution timed out after 2 s/);
    const cells = codeCells(readNotebook(path.join(ws.dir, 'executed', 'sleep.ipynb')));
    assert.ok(cells[1].outputs.some((o) => o.output_type === 'error' && o.ename === 'CellTimeoutError'));
    assert.equal(cells[2].execution_count, null);
  });

  it('--timeout stops a cell that spins on promises without killing the kernel, keeping what it printed', async () => {
    const ws = workspace();
    const r = await run(['spin.ipynb', '--out', 'executed', '--timeout', '2', '--allow-errors'], ws);
    assert.equal(r.code, 0, r.stderr);
    const cells = codeCells(readNotebook(path.join(ws.dir, 'executed', 'spin.ipynb')));
    const printed = cells[1].outputs.map((o) => (o.output_type === 'stream' ? o.text : '')).join('');
    assert.equal(printed, 'spinning\n', 'the output the cell produced before the timeout is saved');
    assert.ok(cells[1].outputs.some((o) => o.output_type === 'error' && o.ename === 'CellTimeoutError'));
    assert.equal(text(cells[2]), 'after the spinning cell\n', 'the next cell ran on the same kernel');
    assert.equal((r.stdout + r.stderr).match(/started kernel/g)?.length, 1, 'one kernel for the whole notebook');
  });

  it('a kernel that dies (process.exit in a cell) gives exit 3 and keeps the partial notebook', async () => {
    const ws = workspace();
    const r = await run(['crash.ipynb', '--out', 'executed'], ws);
    assert.equal(r.code, 3, r.stderr);
    assert.match(r.stderr, /crash\.ipynb: cell 2 .*killed the kernel: DeadKernelError/);
    assert.match(r.stdout, /kernel died: crash\.ipynb \(partial notebook kept in executed\/crash\.ipynb\)/);
    const nb = readNotebook(path.join(ws.dir, 'executed', 'crash.ipynb'));
    const cells = codeCells(nb);
    assert.equal(text(cells[0]), 'alive\n');
    assert.ok(cells[1].outputs.some((o) => o.output_type === 'error' && o.ename === 'DeadKernelError'));
    assert.equal(cells[2].execution_count, null);
    assert.equal(nb.metadata.papermill.status, 'failed');
  });

  for (const signal of ['SIGTERM', 'SIGKILL'] as const) {
    it(`a run killed with ${signal} leaves a complete, valid output notebook (never a truncated one)`, async () => {
      const ws = workspace();
      const out = path.join(ws.dir, 'executed', 'steps.ipynb');
      const { child, done } = start(['steps.ipynb', '--out', 'executed'], ws.dir, ws.env);
      let stderr = '';
      child.stderr!.on('data', (d) => { stderr += d; });
      let reads = 0;
      let executed = 0;
      // Read the file while it is being rewritten: every read must parse.
      while (executed < 2) {
        await new Promise((r) => setTimeout(r, 50));
        if (child.exitCode !== null) assert.fail(`the runner ended early:\n${stderr}`);
        if (!fs.existsSync(out)) continue;
        const nb = parseNotebook(fs.readFileSync(out, 'utf8'), out);
        reads++;
        executed = codeCells(nb).filter((c) => c.execution_count !== null).length;
      }
      child.kill(signal);
      const r = await done;
      if (signal === 'SIGTERM') assert.equal(r.code, 130, r.stderr);
      else assert.equal(r.signal, 'SIGKILL');
      const nb = readNotebook(out);
      const cells = codeCells(nb);
      const ran = cells.filter((c) => c.execution_count !== null).length;
      assert.ok(ran >= 2 && ran < cells.length, `ran ${ran} of ${cells.length} cells`);
      assert.equal(text(cells[0]), 'step 1\n');
      assert.equal(nb.metadata.papermill.status, signal === 'SIGTERM' ? 'interrupted' : 'running');
      assert.ok(reads > 0);
      const pid = Number(/started kernel d2l \(pid (\d+)\)/.exec(r.stderr)?.[1]);
      assert.ok(pid > 0, r.stderr);
      if (signal === 'SIGTERM') {
        assert.ok(await waitUntilGone(pid), 'the runner shut its kernel down');
        assert.deepEqual(fs.readdirSync(path.dirname(out)), ['steps.ipynb'], 'no temp file left behind');
      } else if (alive(pid)) {
        process.kill(pid, 'SIGKILL'); // an orphaned kernel: clean up after the test
      }
    });
  }

  it('--jobs 2 runs two notebooks at the same time (each waits for the other to start)', async () => {
    const ws = workspace();
    const r = await run(['set/a.ipynb', 'set/b.ipynb', '--jobs', '2', '--out', 'executed', '--json', 'summary.json'], ws);
    assert.equal(r.code, 0, r.stderr);
    for (const [me, other] of [['a', 'b'], ['b', 'a']]) {
      const cells = codeCells(readNotebook(path.join(ws.dir, 'executed', `${me}.ipynb`)));
      assert.equal(text(cells[1]), `met ${other}\n`);
    }
    assert.match(r.stderr, /^\[a\] /m);
    assert.match(r.stderr, /^\[b\] /m);
    const summary = JSON.parse(fs.readFileSync(path.join(ws.dir, 'summary.json'), 'utf8'));
    assert.deepEqual(summary.notebooks.map((n: any) => [n.input, n.status]), [['set/a.ipynb', 'ok'], ['set/b.ipynb', 'ok']]);
  });

  it('--shard i/n runs a stable subset of a directory and the summary shows its reported result', async () => {
    const ws = workspace();
    const r = await run(['set', '--shard', '3/3', '--out', 'executed', '--json', 'summary.json'], ws);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(fs.readdirSync(path.join(ws.dir, 'executed')), ['c.ipynb']);
    const summary = JSON.parse(fs.readFileSync(path.join(ws.dir, 'summary.json'), 'utf8'));
    assert.equal(summary.notebooks.length, 1);
    const [m] = summary.notebooks[0].results;
    assert.deepEqual([m.loss, m.trainAcc, m.testAcc, m.examplesPerSec, m.device], [0.245, 0.91, 0.893, 4321.5, 'cpu']);
    assert.deepEqual(summary.results, [m]);
    // the printed line that looks like the book's is not read: the row shows the reported result only
    assert.match(r.stdout, /set\/c\.ipynb\s+ok\s+\S+\s+0\.245\s+0\.910\s+0\.893\s+4321\.5 on cpu/);
    assert.match(r.stdout, /results\n.*\n.*\nc\s+fixture\s+-\s+cpu\s+-\s+4321\.5\s+0\.910\s+0\.893/);
  });
});
