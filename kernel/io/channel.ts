/**
 * The main thread's side of the kernel's I/O thread (thread.ts): starts it, hands it replies and iopub messages
 * (a postMessage, delivered whatever the main thread does next), receives requests, and reads and writes the
 * shared slots (shared.ts).
 */
import * as path from 'path';
import { Worker } from 'worker_threads';
import type { ConnectionInfo, Message } from '../../src/jupyter/wire';
import { SHARED_BYTES, Slot } from './shared';
import type { FromIo, ToIo } from './thread';

export interface ChannelHandlers {
  /** A verified request; `seq` numbers shell requests in arrival order (0 for control). */
  onRequest(channel: 'shell' | 'control', msg: Message, seq: number): void;
  /** An interrupt_request already answered by the I/O thread; `target` is the execution it aimed at (0: none). */
  onInterrupt(target: number, msg: Message): void;
  log(text: string): void;
}

export class IoChannel {
  private closed = false;

  /** `epoch`: the time origin of Slot.SelfSignalAt (Date.now() when the channel opened). */
  private constructor(private readonly worker: Worker, readonly shared: Int32Array, private readonly epoch: number) {}

  /** True if our own I/O thread sent a SIGINT within `ms` (see Slot.SelfSignalAt). */
  recentSelfSignal(ms = 500): boolean {
    const at = Atomics.load(this.shared, Slot.SelfSignalAt);
    return at !== 0 && Date.now() - this.epoch - at < ms;
  }

  /** Starts the I/O thread and resolves once all five sockets are bound. */
  static async open(conn: ConnectionInfo, session: string, handlers: ChannelHandlers): Promise<IoChannel> {
    const buffer = new SharedArrayBuffer(SHARED_BYTES);
    const epoch = Date.now();
    const worker = startIoThread({ conn, session, shared: buffer, epoch });
    const channel = new IoChannel(worker, new Int32Array(buffer), epoch);
    await new Promise<void>((resolve, reject) => {
      worker.on('message', (m: FromIo) => {
        switch (m.kind) {
          case 'ready': return resolve();
          case 'failed': return reject(new Error(`cannot open the kernel's sockets: ${m.text}`));
          case 'log': return handlers.log(m.text);
          case 'request': return handlers.onRequest(m.channel, m.msg, m.seq);
          case 'interrupt': return handlers.onInterrupt(m.target, m.msg);
        }
      });
      worker.once('error', reject);
      worker.once('exit', (code) => reject(new Error(`the kernel's I/O thread exited with code ${code}`)));
    });
    return channel;
  }

  sendShell(msg: Message): void {
    this.post({ kind: 'reply', channel: 'shell', msg });
  }

  sendControl(msg: Message): void {
    this.post({ kind: 'reply', channel: 'control', msg });
  }

  publish(msg: Message): void {
    this.post({ kind: 'iopub', msg });
  }

  /** Tells the I/O thread which execution runs now (0: none); an interrupt then targets it. */
  setRunning(executionId: number): void {
    Atomics.store(this.shared, Slot.Running, executionId);
    if (executionId !== 0) return;
    Atomics.store(this.shared, Slot.Interrupt, 0);
    // A SIGINT the I/O thread decided on while this cell ran is sent before the next cell starts (and then
    // ignored as a self-signal) — never into the next cell.
    while (Atomics.load(this.shared, Slot.Signalling) === 1) Atomics.wait(this.shared, Slot.Signalling, 1, 20);
  }

  /** The execution an interrupt is pending for (0: none). */
  get interruptTarget(): number {
    return Atomics.load(this.shared, Slot.Interrupt);
  }

  /** Aims an interrupt at an execution from the main thread (a SIGINT from outside): its tfjs ops now throw. */
  requestInterrupt(executionId: number): void {
    Atomics.store(this.shared, Slot.Interrupt, executionId);
  }

  /** Marks an interrupt as handled, so tfjs ops run normally again. */
  clearInterrupt(): void {
    Atomics.store(this.shared, Slot.Interrupt, 0);
  }

  /** How many shell requests the I/O thread has received so far. */
  get shellArrivals(): number {
    return Atomics.load(this.shared, Slot.ShellArrivals);
  }

  /** Closes the sockets after the last messages left; resolves when the thread is gone. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.worker.postMessage({ kind: 'close' } satisfies ToIo);
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, 3000);
      this.worker.once('exit', () => { clearTimeout(timer); resolve(); });
    });
  }

  /**
   * Closes every socket before returning (for process.exit, which must not return). ZeroMQ sockets still open
   * when Node tears the process down make the native addon abort (SIGABRT) instead of exiting.
   */
  closeNow(): void {
    if (this.closed) return;
    this.closed = true;
    this.worker.postMessage({ kind: 'close' } satisfies ToIo);
    Atomics.wait(this.shared, Slot.Closed, 0, 2000);
  }

  private post(m: ToIo): void {
    if (!this.closed) this.worker.postMessage(m);
  }
}

function startIoThread(workerData: { conn: ConnectionInfo; session: string; shared: SharedArrayBuffer; epoch: number }): Worker {
  const file = path.join(__dirname, `thread${path.extname(__filename)}`);
  if (file.endsWith('.ts')) {
    // Development (ts-node): the thread needs the TypeScript loader too. Its eval'd code resolves bare names
    // from the process's cwd, which may be anywhere (a notebook's folder): resolve ts-node from here.
    const tsNode = require.resolve('ts-node/register/transpile-only');
    const code = `require(${JSON.stringify(tsNode)}); require(${JSON.stringify(file)});`;
    return new Worker(code, { eval: true, workerData });
  }
  return new Worker(file, { workerData });
}
