/**
 * The kernel's I/O thread: owns every ZeroMQ socket (shell, iopub, stdin, control, heartbeat), signs and
 * verifies messages, paces iopub (outbox.ts), answers heartbeats and interrupt requests. It never runs user code,
 * so the protocol stays live whatever a cell does to the main thread: output posted by the main thread goes out
 * within the outbox's pacing even while the cell keeps that thread from ever returning to its event loop.
 *
 * Interrupts (interrupt_request on control, or `d2l run --timeout`): the reply goes out at once; then, until the
 * cell stops, escalating as needed (see kernel/README.md):
 *  1. the target is written to shared memory, where every tfjs op checks it (a training loop stops at the next
 *     op with a KeyboardInterrupt, unwinding through its `finally` blocks and tf.tidy scopes);
 *  2. the main thread is told (it cancels the cell's timers and stops waiting for a cell that never settles);
 *  3. once the main thread's event loop has not turned for 250 ms (synchronous code), SIGINT to our own process
 *     every 250 ms, never while the main thread is inside a tfjs op: V8 stops synchronous code running under
 *     `breakOnSigint` (a cell's body, a timer callback). A loop that turns is stopped by the main thread itself
 *     (step 2); a signal it does not need could be acted on late by Node's watchdog thread, in the next cell;
 *  4. if the main thread's event loop has not turned for STARVED_MS (a cell spinning on promises) and it is not
 *     in shielded code (a tfjs op, a timer callback, the kernel's own work: Slot.Shielded), the inspector's
 *     Runtime.terminateExecution stops the spin.
 */
import * as inspector from 'inspector';
import { parentPort, workerData } from 'worker_threads';
import * as zmq from 'zeromq';
import { endpoint } from '../../src/jupyter/connection';
import { childMessage, decode, encode, Signer, WireError, type ConnectionInfo, type Message } from '../../src/jupyter/wire';
import { Outbox } from './outbox';
import { Slot } from './shared';

/** Main thread → I/O thread. */
export type ToIo =
  | { kind: 'reply'; channel: 'shell' | 'control'; msg: Message }
  | { kind: 'iopub'; msg: Message }
  | { kind: 'close' };

/** I/O thread → main thread. */
export type FromIo =
  | { kind: 'ready' }
  | { kind: 'request'; channel: 'shell' | 'control'; msg: Message; seq: number }
  | { kind: 'interrupt'; target: number; msg: Message }
  | { kind: 'log'; text: string }
  | { kind: 'failed'; text: string };

/** How long the main thread's event loop may stand still during an interrupt before the spin is terminated. */
export const STARVED_MS = 500;
/**
 * SIGINT only once the event loop has not turned for this long: a cell that runs tfjs ops stops cleanly at the
 * next op before that, and one that awaits is stopped by the main thread (LOOP_TICK_MS in main.ts is 100 ms).
 */
const SIGINT_AFTER_STARVED_MS = 250;
const SIGINT_EVERY_MS = 250;
const ESCALATION_TICK_MS = 50;
/** Give up escalating after this long (the client then kills the kernel, as Jupyter does). */
const ESCALATION_MAX_MS = 20_000;

const realSetTimeout = setTimeout;

/** One pending send at a time per socket, as zeromq requires; failures are logged, never thrown. */
function sender(sock: zmq.Router | zmq.Publisher, name: string, log: (t: string) => void) {
  let chain: Promise<void> = Promise.resolve();
  const send = (frames: Buffer[]): void => {
    chain = chain.then(() => sock.send(frames)).catch((e) => log(`${name} send failed: ${e}`));
  };
  return { send, drained: () => chain };
}

async function serve(conn: ConnectionInfo, session: string, shared: Int32Array, epoch: number): Promise<void> {
  const port = parentPort!;
  const post = (m: FromIo): void => port.postMessage(m);
  const log = (text: string): void => post({ kind: 'log', text });
  const signer = new Signer(conn.key, conn.signature_scheme || 'hmac-sha256');
  const shell = new zmq.Router({ linger: 200 });
  const control = new zmq.Router({ linger: 200 });
  const iopub = new zmq.Publisher({ linger: 200 });
  const stdin = new zmq.Router({ linger: 0 });
  const heartbeat = new zmq.Reply({ linger: 0 });
  await Promise.all([
    shell.bind(endpoint(conn, conn.shell_port)),
    control.bind(endpoint(conn, conn.control_port)),
    iopub.bind(endpoint(conn, conn.iopub_port)),
    stdin.bind(endpoint(conn, conn.stdin_port)),
    heartbeat.bind(endpoint(conn, conn.hb_port)),
  ]);
  const out = { shell: sender(shell, 'shell', log), control: sender(control, 'control', log), iopub: sender(iopub, 'iopub', log) };
  const wire = (msg: Message): Buffer[] => encode({ ...msg, identities: msg.identities.map((i) => Buffer.from(i)),
    buffers: (msg.buffers ?? []).map((b) => Buffer.from(b)) }, signer);
  const outbox = new Outbox((msg) => out.iopub.send(wire(msg)), {
    now: () => Date.now(),
    after: (ms, fn) => { const t = realSetTimeout(fn, ms); return () => clearTimeout(t); },
  });
  const terminator = new Terminator(shared, epoch, log);
  let closed = false;

  port.on('message', (m: ToIo) => {
    if (closed) return;
    if (m.kind === 'iopub') outbox.publish(m.msg);
    else if (m.kind === 'reply') {
      outbox.flushParent(String(m.msg.parent_header?.msg_id ?? ''));
      out[m.channel].send(wire(m.msg));
    } else if (m.kind === 'close') {
      closed = true;
      outbox.flushAll();
      // Let the last replies and outputs leave (linger covers what zeromq holds), then release a waiting exit.
      const done = (): void => {
        for (const s of [shell, control, iopub, stdin, heartbeat]) s.close();
        Atomics.store(shared, Slot.Closed, 1);
        Atomics.notify(shared, Slot.Closed);
        port.close();
      };
      void Promise.race([Promise.all([out.shell.drained(), out.control.drained(), out.iopub.drained()]),
        new Promise((r) => realSetTimeout(r, 1000))]).then(done, done);
    }
  });

  void (async () => {
    for await (const [ping] of heartbeat) await heartbeat.send(ping);
  })().catch(() => undefined);

  const receive = async (sock: zmq.Router, channel: 'shell' | 'control'): Promise<void> => {
    for await (const frames of sock) {
      let msg: Message;
      try {
        msg = decode(frames as Buffer[], signer);
      } catch (e) {
        log(`rejected ${channel} message: ${e instanceof WireError ? e.message : e}`);
        continue;
      }
      if (channel === 'control' && msg.header.msg_type === 'interrupt_request') {
        const target = Atomics.load(shared, Slot.Running);
        out.control.send(wire(childMessage(msg, 'interrupt_reply', { status: 'ok' }, session)));
        post({ kind: 'interrupt', target, msg });
        if (target !== 0) terminator.begin(target);
        continue;
      }
      const seq = channel === 'shell' ? Atomics.add(shared, Slot.ShellArrivals, 1) + 1 : 0;
      post({ kind: 'request', channel, msg, seq });
    }
  };
  void receive(shell, 'shell').catch((e) => { if (!closed) log(`shell socket failed: ${e}`); });
  void receive(control, 'control').catch((e) => { if (!closed) log(`control socket failed: ${e}`); });
  post({ kind: 'ready' });
}

/** Escalates one interrupt until the targeted execution is no longer running (steps 1, 3, 4 of the file comment). */
class Terminator {
  private session: inspector.Session | null = null;
  private active = 0;

  constructor(private readonly shared: Int32Array, private readonly epoch: number, private readonly log: (t: string) => void) {
    // Connected up front: connecting needs nothing from the main thread, but a session made at the last moment
    // has failed to attach while the main thread was busy on some Node versions.
    try {
      this.session = new inspector.Session();
      this.session.connectToMainThread();
    } catch (e) {
      this.log(`no inspector session (spinning async cells cannot be terminated): ${e}`);
      this.session = null;
    }
  }

  begin(target: number): void {
    Atomics.store(this.shared, Slot.Interrupt, target);
    if (this.active === target) return; // already escalating this one (a repeated request)
    this.active = target;
    const start = Date.now();
    let turns = Atomics.load(this.shared, Slot.LoopTurns);
    let lastTurn = start;
    let lastSignal = 0;
    let terminated = 0;
    const tick = (): void => {
      const now = Date.now();
      const running = Atomics.load(this.shared, Slot.Running);
      if (running !== target || Atomics.load(this.shared, Slot.Interrupt) !== target || now - start > ESCALATION_MAX_MS) {
        if (this.active === target) this.active = 0;
        return;
      }
      const t = Atomics.load(this.shared, Slot.LoopTurns);
      if (t !== turns) {
        turns = t;
        lastTurn = now;
      }
      const inOp = Atomics.load(this.shared, Slot.InOp) !== 0;
      if (!inOp && now - lastTurn >= SIGINT_AFTER_STARVED_MS && now - lastSignal >= SIGINT_EVERY_MS) {
        // Slot.Signalling first, then the check: the main thread clears Running before it waits on Signalling,
        // so either we see the cell has ended or it waits until the signal is sent (channel.ts setRunning).
        Atomics.store(this.shared, Slot.Signalling, 1);
        if (Atomics.load(this.shared, Slot.Running) === target) {
          lastSignal = now;
          Atomics.store(this.shared, Slot.SelfSignalAt, now - this.epoch);
          process.kill(process.pid, 'SIGINT');
        }
        Atomics.store(this.shared, Slot.Signalling, 0);
        Atomics.notify(this.shared, Slot.Signalling);
      }
      const starved = now - lastTurn >= STARVED_MS;
      const safe = !inOp && Atomics.load(this.shared, Slot.Shielded) === 0;
      if (starved && safe && this.session && now - terminated > 1000) {
        terminated = now;
        this.session.post('Runtime.terminateExecution', (err) => {
          if (err) this.log(`terminateExecution failed: ${err.message}`);
        });
      }
      realSetTimeout(tick, ESCALATION_TICK_MS);
    };
    tick();
  }
}

if (parentPort && workerData?.conn) {
  serve(workerData.conn as ConnectionInfo, String(workerData.session), new Int32Array(workerData.shared as SharedArrayBuffer), Number(workerData.epoch))
    .catch((e) => parentPort!.postMessage({ kind: 'failed', text: `${e?.message ?? e}` } satisfies FromIo));
}
