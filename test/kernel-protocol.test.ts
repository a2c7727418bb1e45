/**
 * Regression tests of the d2l kernel's protocol behaviour, against the real kernel process over ZeroMQ.
 */
import * as assert from 'assert';
import { TestKernel } from './kernel/harness';

const stripAnsi = (s: string): string => s.replace(/\x1b\[[0-9;]*m/g, '');

describe('d2l kernel protocol', function () {
  this.timeout(180_000);
  let k: TestKernel;

  before(async () => {
    k = await TestKernel.start();
  });
  after(async () => {
    await k?.stop();
  });

  it('answers kernel_info with status ok and the TypeScript version of its engine', async () => {
    const id = k.send('kernel_info_request', {});
    const reply = await k.reply(id);
    assert.strictEqual(reply.content.status, 'ok');
    assert.strictEqual(reply.content.language_info.name, 'typescript');
    assert.strictEqual(reply.content.language_info.file_extension, '.ts');
    // eslint-disable-next-line @typescript-eslint/no-var-requires
    assert.strictEqual(reply.content.language_info.version, require('@tslab/typescript-for-tslab').version);
  });

  it('publishes execute_input and an execute_result for the last expression', async () => {
    const { reply, outputs } = await k.run('1+1');
    assert.strictEqual(reply.content.status, 'ok');
    const input = outputs.find((m) => m.header.msg_type === 'execute_input');
    assert.ok(input, 'execute_input published');
    assert.strictEqual(input.content.code, '1+1');
    assert.strictEqual(input.content.execution_count, reply.content.execution_count);
    const result = outputs.find((m) => m.header.msg_type === 'execute_result');
    assert.ok(result, 'execute_result published');
    assert.strictEqual(result.content.data['text/plain'], String(1 + 1));
    assert.strictEqual(result.content.execution_count, reply.content.execution_count);
  });

  it('rejects a message with a bad signature and never executes it', async () => {
    const bad = k.send('execute_request', { code: 'const badSigRan = 1;', silent: false }, { badSignature: true });
    // A correctly signed request afterwards is answered; the bad one is not and defined nothing.
    const { reply } = await k.run('typeof (globalThis as any).__tslab__.exports.badSigRan');
    assert.strictEqual(reply.content.status, 'ok');
    const { outputs } = await k.run('typeof (globalThis as any).__tslab__.exports.badSigRan');
    const result = outputs.find((m) => m.header.msg_type === 'execute_result');
    assert.strictEqual(result?.content.data['text/plain'], "'undefined'");
    assert.ok(!k.messages.some((m) => m.parent_header.msg_id === bad), 'no message answers the badly signed request');
    assert.match(k.stderr, /rejected shell message: invalid message signature/);
  });

  it('reports runtime errors with ename, evalue and a traceback in cell lines', async () => {
    const code = ['function fail(n: number) {', '  if (n > 1) throw new RangeError("too big: " + n);', '  return n;', '}', 'fail(1);', 'fail(5);'].join('\n');
    const { reply, outputs } = await k.run(code);
    assert.strictEqual(reply.content.status, 'error');
    assert.strictEqual(reply.content.ename, 'RangeError');
    assert.strictEqual(reply.content.evalue, 'too big: 5');
    const error = outputs.find((m) => m.header.msg_type === 'error');
    assert.ok(error, 'iopub error published');
    const tb = error.content.traceback.map(stripAnsi).join('\n');
    const label = `cell[${reply.content.execution_count}]`;
    assert.ok(tb.includes(`at fail (${label}:2)`), tb);
    assert.ok(tb.includes(`at ${label}:6`), tb);
    assert.ok(!/tslab|node:internal|kernel[\\/]/.test(tb), `internal frames stripped: ${tb}`);
  });

  it('reports compile errors with the cell line and column', async () => {
    const { reply, outputs } = await k.run('const ok = 1;\nconst wrong: number = "text";');
    assert.strictEqual(reply.content.status, 'error');
    assert.strictEqual(reply.content.ename, 'CompileError');
    assert.match(reply.content.evalue, /^line 2:7 - Type 'string' is not assignable to type 'number'/);
    assert.ok(outputs.some((m) => m.header.msg_type === 'error'));
  });

  it('stop_on_error=false lets the next queued cell run', async () => {
    const failing = k.execute('throw new Error("first")', { stop_on_error: false });
    const next = k.execute('40 + 2');
    assert.strictEqual((await k.reply(failing)).content.status, 'error');
    const reply = await k.reply(next);
    assert.strictEqual(reply.content.status, 'ok');
    const result = (await k.outputs(next)).find((m) => m.header.msg_type === 'execute_result');
    assert.strictEqual(result?.content.data['text/plain'], '42');
  });

  it('stop_on_error=true aborts only the requests queued when the error happened', async () => {
    // The first cell blocks synchronously so the next two requests are already queued when it fails.
    const failing = k.execute('const t0 = Date.now(); while (Date.now() - t0 < 1500) {} throw new Error("stop here")');
    const queued1 = k.execute('const afterError1 = 1; afterError1');
    const queued2 = k.send('kernel_info_request', {});
    assert.strictEqual((await k.reply(failing)).content.status, 'error');
    assert.strictEqual((await k.reply(queued1)).content.status, 'aborted');
    assert.strictEqual((await k.reply(queued2)).content.status, 'ok', 'non-execute requests are still answered');
    const later = await k.run('typeof (globalThis as any).__tslab__.exports.afterError1');
    assert.strictEqual(later.reply.content.status, 'ok', 'a request sent after the error runs');
    assert.strictEqual(later.outputs.find((m) => m.header.msg_type === 'execute_result')?.content.data['text/plain'], "'undefined'");
  });

  it('interrupts a synchronous infinite loop via interrupt_request and keeps the state', async () => {
    await k.run('let kept = 7;');
    const loop = k.execute('while (true) {}');
    await k.waitFor((m) => m.parent_header.msg_id === loop && m.header.msg_type === 'execute_input', 60_000);
    await new Promise((r) => setTimeout(r, 300));
    const intr = k.send('interrupt_request', {}, { channel: 'control' });
    assert.strictEqual((await k.reply(intr)).content.status, 'ok');
    const reply = await k.reply(loop);
    assert.strictEqual(reply.content.status, 'error');
    assert.strictEqual(reply.content.ename, 'KeyboardInterrupt');
    const { outputs } = await k.run('kept * 6');
    const result = outputs.find((m) => m.header.msg_type === 'execute_result');
    assert.strictEqual(result?.content.data['text/plain'], '42', JSON.stringify(outputs.map((m) => m.content)));
  });

  it('interrupts an async loop via interrupt_request and stops it', async () => {
    const loop = k.execute('let ticks = 0;\nwhile (true) { ticks++; await new Promise((r) => setTimeout(r, 5)); }');
    await k.waitFor((m) => m.parent_header.msg_id === loop && m.header.msg_type === 'execute_input', 60_000);
    await new Promise((r) => setTimeout(r, 300));
    const intr = k.send('interrupt_request', {}, { channel: 'control' });
    assert.strictEqual((await k.reply(intr)).content.status, 'ok');
    const reply = await k.reply(loop);
    assert.strictEqual(reply.content.ename, 'KeyboardInterrupt');
    const first = await k.run('(globalThis as any).__tslab__.exports.ticks');
    await new Promise((r) => setTimeout(r, 200));
    const second = await k.run('(globalThis as any).__tslab__.exports.ticks');
    const value = (o: { outputs: any[] }) => o.outputs.find((m) => m.header.msg_type === 'execute_result')?.content.data['text/plain'];
    assert.ok(value(first) !== undefined);
    assert.strictEqual(value(second), value(first), 'the interrupted loop no longer runs');
  });

  it('survives SIGINT (Ctrl+C) during a synchronous loop and keeps its state', async () => {
    await k.run('const survivor = 5;');
    const loop = k.execute('while (true) {}');
    await k.waitFor((m) => m.parent_header.msg_id === loop && m.header.msg_type === 'execute_input', 60_000);
    // Like a user pressing Ctrl+C until the cell stops (a signal landing while the cell still compiles is lost).
    const timer = setInterval(() => k.proc.kill('SIGINT'), 500);
    try {
      assert.strictEqual((await k.reply(loop)).content.ename, 'KeyboardInterrupt');
    } finally {
      clearInterval(timer);
    }
    await new Promise((r) => setTimeout(r, 600));
    const { outputs } = await k.run('survivor * 2');
    assert.strictEqual(outputs.find((m) => m.header.msg_type === 'execute_result')?.content.data['text/plain'], '10');
    assert.strictEqual(k.proc.exitCode, null);
  });

  it('sends display_data with several MIME types, metadata and a display_id, then updates and clears it', async () => {
    const code = [
      "display({ 'text/plain': 'plain', 'text/html': '<b>bold</b>', 'image/svg+xml': '<svg/>' }, { displayId: 'p1', metadata: { 'image/svg+xml': { width: 10 } } });",
      "display({ 'text/plain': 'updated' }, { displayId: 'p1', update: true });",
      'clearOutput({ wait: true });',
    ].join('\n');
    const { reply, outputs } = await k.run(code);
    assert.strictEqual(reply.content.status, 'ok');
    const types = outputs.map((m) => m.header.msg_type).filter((t) => t !== 'execute_input');
    assert.deepStrictEqual(types, ['display_data', 'update_display_data', 'clear_output']);
    const [shown, updated, cleared] = outputs.filter((m) => m.header.msg_type !== 'execute_input');
    assert.deepStrictEqual(Object.keys(shown.content.data).sort(), ['image/svg+xml', 'text/html', 'text/plain']);
    assert.deepStrictEqual(shown.content.metadata, { 'image/svg+xml': { width: 10 } });
    assert.strictEqual(shown.content.transient.display_id, 'p1');
    assert.strictEqual(updated.content.transient.display_id, 'p1');
    assert.strictEqual(updated.content.data['text/plain'], 'updated');
    assert.strictEqual(cleared.content.wait, true);
  });

  it('routes output of async work that outlives its cell to that cell', async () => {
    const first = k.execute("setTimeout(() => console.log('late output'), 300);");
    await k.reply(first);
    const second = await k.run('1');
    await k.waitFor((m) => m.parent_header.msg_id === first && m.header.msg_type === 'stream', 10_000);
    assert.ok(!second.outputs.some((m) => m.header.msg_type === 'stream'), 'not in the later cell');
  });

  it('answers is_complete with complete, incomplete and invalid', async () => {
    const status = async (code: string) => (await k.reply(k.send('is_complete_request', { code }))).content.status;
    assert.strictEqual(await status('const a = 1;'), 'complete');
    assert.strictEqual(await status('function f() {'), 'incomplete');
    assert.strictEqual(await status('const = 1;'), 'invalid');
  });

  it('answers comm_info with comm_info_reply', async () => {
    const reply = await k.reply(k.send('comm_info_request', {}));
    assert.strictEqual(reply.header.msg_type, 'comm_info_reply');
    assert.deepStrictEqual(reply.content, { status: 'ok', comms: {} });
  });
});
