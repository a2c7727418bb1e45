/**
 * The kernel's iopub pacing (kernel/io/outbox.ts): stream text coalesced, display updates rate-limited, order
 * kept, nothing held past a request's idle status; then the same seen from a client during a fast loop.
 */
import { strict as assert } from 'assert';
import { Outbox } from '../kernel/io/outbox';
import { TestKernel } from './kernel/harness';
import type { Message } from '../src/jupyter/wire';

/** A clock the test moves by hand. */
class FakeClock {
  t = 0;
  private timers: Array<{ at: number; fn: () => void; live: boolean }> = [];
  now = (): number => this.t;
  after = (ms: number, fn: () => void): (() => void) => {
    const timer = { at: this.t + ms, fn, live: true };
    this.timers.push(timer);
    return () => { timer.live = false; };
  };
  advance(ms: number): void {
    const end = this.t + ms;
    for (;;) {
      const due = this.timers.filter((x) => x.live && x.at <= end).sort((a, b) => a.at - b.at)[0];
      if (!due) break;
      this.t = due.at;
      due.live = false;
      due.fn();
    }
    this.t = end;
  }
}

let seq = 0;
function msg(type: string, content: Record<string, unknown>, parent = 'p1'): Message {
  return { identities: [], header: { msg_id: `m${++seq}`, session: 's', username: 'u', date: '', msg_type: type, version: '5.3' },
    parent_header: { msg_id: parent }, metadata: {}, content, buffers: [] };
}
const stream = (text: string, name = 'stdout', parent = 'p1') => msg('stream', { name, text }, parent);
const update = (n: number, id = 'fig') => msg('update_display_data', { data: { 'text/plain': String(n) }, metadata: {}, transient: { display_id: id } });

function setup() {
  const sent: Message[] = [];
  const clock = new FakeClock();
  const box = new Outbox((m) => sent.push(m), clock);
  const summary = () => sent.map((m) => (m.header.msg_type === 'stream' ? `${m.content.name}:${m.content.text}`
    : m.header.msg_type === 'update_display_data' ? `update:${m.content.data['text/plain']}` : m.header.msg_type));
  return { sent, clock, box, summary };
}

describe('kernel outbox', () => {
  it('coalesces stream text for 50 ms, then sends it', () => {
    const { clock, box, summary } = setup();
    box.publish(stream('a'));
    box.publish(stream('b'));
    assert.deepEqual(summary(), []);
    clock.advance(49);
    box.publish(stream('c'));
    assert.deepEqual(summary(), []);
    clock.advance(1);
    assert.deepEqual(summary(), ['stdout:abc']);
  });

  it('keeps the order of stdout, stderr and other messages', () => {
    const { box, summary } = setup();
    box.publish(stream('1'));
    box.publish(stream('2', 'stderr'));
    box.publish(msg('display_data', { data: {}, metadata: {}, transient: {} }));
    box.publish(stream('3'));
    box.flushAll();
    assert.deepEqual(summary(), ['stdout:1', 'stderr:2', 'display_data', 'stdout:3']);
  });

  it('sends at most 4 updates of a display per second, always the newest, and the last one at idle', () => {
    const { clock, box, summary } = setup();
    for (let i = 0; i < 1000; i++) {
      box.publish(update(i));
      clock.advance(1); // a loop updating the figure every millisecond for one second
    }
    const updates = summary();
    assert.ok(updates.length <= 5, `${updates.length} updates in one second`);
    assert.deepEqual(updates[0], 'update:0', 'the first update goes out at once');
    box.publish(msg('status', { execution_state: 'idle' }));
    const all = summary();
    assert.deepEqual(all.slice(-2), ['update:999', 'status'], 'the last state goes out before idle');
  });

  it('sends a held update before a new display with the same id', () => {
    const { box, summary } = setup();
    box.publish(update(1));
    box.publish(update(2));
    box.publish(msg('display_data', { data: {}, metadata: {}, transient: { display_id: 'fig' } }));
    assert.deepEqual(summary(), ['update:1', 'update:2', 'display_data']);
  });

  it('sends big stream text at once', () => {
    const { box, summary } = setup();
    box.publish(stream('x'.repeat(70_000)));
    assert.equal(summary().length, 1);
  });
});

describe('kernel output pacing seen by a client', function () {
  this.timeout(120_000);
  let k: TestKernel;
  before(async () => { k = await TestKernel.start(); });
  after(async () => k?.stop());

  it('a loop updating a display 2000 times in 2 s sends a few updates a second, ending with the last', async () => {
    const code = [
      "display({ 'text/plain': 'start' }, { displayId: 'fast' });",
      'const t0 = Date.now();',
      "for (let i = 1; i <= 2000; i++) { display({ 'text/plain': String(i) }, { displayId: 'fast', update: true }); while (Date.now() - t0 < i) {} }",
      "console.log('done');",
    ].join('\n');
    const { reply, outputs } = await k.run(code);
    assert.equal(reply.content.status, 'ok');
    const updates = outputs.filter((m) => m.header.msg_type === 'update_display_data');
    assert.ok(updates.length >= 4 && updates.length <= 14, `${updates.length} updates for 2 s of a 1 kHz loop`);
    assert.equal(updates[updates.length - 1].content.data['text/plain'], '2000');
  });
});
