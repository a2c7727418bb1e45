/** KernelClient against our own kernel (the one `d2l run` and `d2l grade` drive). */
import { strict as assert } from 'assert';
import * as os from 'os';
import { KernelClient, KernelStartError, ownKernel } from '../src/client/client';


describe('KernelClient on the d2l kernel', function () {
  this.timeout(180_000);
  let kernel: KernelClient;

  before(async () => {
    const own = ownKernel();
    assert.ok(own, 'the d2l kernel (kernel/main.ts) must exist');
    kernel = await KernelClient.start({ argv: own.argv, env: own.env, cwd: os.tmpdir() });
  });

  after(async () => {
    await kernel?.shutdown();
  });

  it('starts and reports kernel_info', () => {
    assert.equal(kernel.kernelInfo.implementation, 'd2l');
    assert.equal(kernel.kernelInfo.language_info.name, 'typescript');
    assert.equal(kernel.alive, true);
  });

  it('collects stream output and the execute_result with its execution count', async () => {
    const r = await kernel.executeCell('console.log("hi");\n40 + 2');
    assert.equal(r.status, 'ok');
    assert.equal(typeof r.executionCount, 'number');
    assert.deepEqual(r.outputs, [
      { output_type: 'stream', name: 'stdout', text: 'hi\n' },
      { output_type: 'execute_result', execution_count: r.executionCount, data: { 'text/plain': '42' }, metadata: {} },
    ]);
  });

  it('applies display updates to the output shown under the same display id', async () => {
    const seen: number[] = [];
    const r = await kernel.executeCell(
      'display({ "text/plain": "v1" }, { displayId: "p" });\ndisplay({ "text/plain": "v2" }, { displayId: "p", update: true });',
      { onOutput: (outputs) => seen.push(outputs.length) });
    assert.equal(r.status, 'ok');
    assert.deepEqual(r.outputs, [{ output_type: 'display_data', data: { 'text/plain': 'v2' }, metadata: {} }]);
    assert.ok(seen.length >= 1, 'onOutput was called');
  });

  it('returns a cell error with ename, evalue and traceback', async () => {
    const r = await kernel.executeCell('throw new RangeError("out of range here");');
    assert.equal(r.status, 'error');
    assert.equal(r.error?.ename, 'RangeError');
    assert.equal(r.error?.evalue, 'out of range here');
    assert.ok(r.error!.traceback.length > 0);
    assert.deepEqual(r.outputs, [r.error]);
  });

  it('interrupts a cell that runs past its timeout, and the kernel stays usable', async () => {
    const r = await kernel.executeCell('await new Promise((resolve) => setTimeout(resolve, 60000));', { timeoutMs: 1500 });
    assert.equal(r.status, 'timeout');
    assert.equal(r.error?.ename, 'CellTimeoutError');
    assert.match(r.error!.evalue, /timed out after 1\.5 s; the kernel was interrupted\.$/);
    const after = await kernel.executeCell('"still alive"');
    assert.equal(after.status, 'ok');
  });

  it('restart gives a fresh kernel: earlier definitions are gone', async () => {
    assert.equal((await kernel.executeCell('let keptBeforeRestart = 1;')).status, 'ok');
    await kernel.restart();
    assert.equal(kernel.alive, true);
    const r = await kernel.executeCell('keptBeforeRestart');
    assert.equal(r.status, 'error');
    assert.match(r.error!.evalue, /keptBeforeRestart/);
  });

  it('shutdown ends the process; executing afterwards reports a dead kernel', async () => {
    await kernel.shutdown();
    const death = await kernel.died();
    assert.equal(kernel.alive, false);
    assert.ok(death.exitCode !== null || death.signal !== null);
    const r = await kernel.executeCell('1');
    assert.equal(r.status, 'dead');
    assert.equal(r.error?.ename, 'DeadKernelError');
  });

  it('names the installed kernelspecs when the requested one does not exist', async () => {
    await assert.rejects(KernelClient.start({ kernelName: 'no-such-kernel-xyz' }),
      (e: Error) => e instanceof KernelStartError && /no Jupyter kernelspec named 'no-such-kernel-xyz' \(installed: /.test(e.message));
  });

  it('reports a kernel command that exits during start-up, with its output', async () => {
    await assert.rejects(KernelClient.start({ argv: [process.execPath, '-e', 'console.error("cannot start: missing thing"); process.exit(4)', '{connection_file}'] }),
      (e: Error) => /exited during start-up \(the kernel process exited with code 4\)/.test(e.message) && /cannot start: missing thing/.test(e.message));
  });
});
