/**
 * Worker thread that owns the control and heartbeat sockets. The main thread is blocked while a cell runs
 * synchronous code (`while (true) {}`), so heartbeats and `interrupt_request` must be served here: an interrupt
 * is turned into SIGINT to our own process, which V8 turns into an exception in the running cell.
 * Everything else on control is forwarded to the main thread, which answers through us.
 */
import { parentPort, workerData } from 'worker_threads';
import * as zmq from 'zeromq';
import { childMessage, decode, encode, Signer, WireError, type ConnectionInfo } from '../src/jupyter/wire';

export type ToMain =
  | { kind: 'control'; frames: Uint8Array[] }
  | { kind: 'interrupted'; frames: Uint8Array[] }
  | { kind: 'log'; text: string }
  | { kind: 'ready' };
export type FromMain = { kind: 'send'; frames: Uint8Array[] } | { kind: 'close' };

export function endpoint(conn: ConnectionInfo, port: number): string {
  return conn.transport === 'ipc' ? `ipc://${conn.ip}-${port}` : `tcp://${conn.ip}:${port}`;
}

/**
 * Shared with the main thread: [RUNNING] = id of the execution in progress (0: none), [TARGET] = the execution an
 * interrupt is aimed at. A SIGINT that arrives while tslab compiles (not yet inside V8's SIGINT watchdog) is lost,
 * so we repeat it until that execution ends; the main thread ignores a late signal aimed at an earlier execution.
 */
export const RUNNING = 0;
export const TARGET = 1;
/** Set to 1 (and notified) by the worker once its sockets are closed, for a synchronous exit of the kernel. */
export const CLOSED = 2;
export const SHARED_BYTES = 3 * Int32Array.BYTES_PER_ELEMENT;

function interruptExecution(shared: Int32Array): void {
  const target = Atomics.load(shared, RUNNING);
  if (target === 0) return; // nothing runs: nothing to interrupt
  Atomics.store(shared, TARGET, target);
  let tries = 0;
  const fire = (): void => {
    if (Atomics.load(shared, RUNNING) !== target || tries++ > 40) return;
    process.kill(process.pid, 'SIGINT');
    setTimeout(fire, 250);
  };
  fire();
}

async function run(conn: ConnectionInfo, session: string, shared: Int32Array): Promise<void> {
  const port = parentPort!;
  const signer = new Signer(conn.key, conn.signature_scheme || 'hmac-sha256');
  const control = new zmq.Router({ linger: 100 });
  const heartbeat = new zmq.Reply({ linger: 0 });
  await Promise.all([control.bind(endpoint(conn, conn.control_port)), heartbeat.bind(endpoint(conn, conn.hb_port))]);

  port.on('message', (m: FromMain) => {
    if (m.kind === 'send') control.send(m.frames.map((f) => Buffer.from(f))).catch((e) => post({ kind: 'log', text: `control send failed: ${e}` }));
    if (m.kind === 'close') {
      control.close();
      heartbeat.close();
      port.close();
      // The main thread may be blocked in Atomics.wait (process.exit from a cell): it exits once we are closed.
      Atomics.store(shared, CLOSED, 1);
      Atomics.notify(shared, CLOSED);
    }
  });
  post({ kind: 'ready' });

  void (async () => {
    for await (const [ping] of heartbeat) await heartbeat.send(ping);
  })().catch(() => undefined);

  for await (const frames of control) {
    let msg;
    try {
      msg = decode(frames, signer);
    } catch (e) {
      post({ kind: 'log', text: `rejected control message: ${e instanceof WireError ? e.message : e}` });
      continue;
    }
    if (msg.header.msg_type === 'interrupt_request') {
      interruptExecution(shared);
      const reply = childMessage(msg, 'interrupt_reply', { status: 'ok' }, session);
      await control.send(encode(reply, signer));
      post({ kind: 'interrupted', frames });
      continue;
    }
    post({ kind: 'control', frames });
  }
}

function post(m: ToMain): void {
  parentPort?.postMessage(m);
}

if (parentPort && workerData?.conn) {
  run(workerData.conn as ConnectionInfo, String(workerData.session), new Int32Array(workerData.shared as SharedArrayBuffer)).catch((e) => post({ kind: 'log', text: `control worker failed: ${e?.stack ?? e}` }));
}
