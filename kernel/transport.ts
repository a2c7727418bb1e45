/**
 * The kernel's ZeroMQ sockets. Shell, iopub and stdin live on the main thread; control and heartbeat live in
 * a worker (see controlWorker.ts) so they answer while a cell blocks the main thread.
 * Every incoming message is HMAC-verified here; a bad or unsigned one is logged and dropped, never handled.
 */
import * as path from 'path';
import { Worker } from 'worker_threads';
import * as zmq from 'zeromq';
import { decode, encode, Signer, WireError, type ConnectionInfo, type Message } from '../src/jupyter/wire';
import { CLOSED, endpoint, RUNNING, SHARED_BYTES, TARGET, type FromMain, type ToMain } from './controlWorker';
import { kernelLog } from './output';

export interface TransportHandlers {
  onShell(msg: Message): void;
  onControl(msg: Message): void;
  /** An interrupt_request the worker already answered (the main thread publishes busy/idle for it). */
  onInterrupted(msg: Message): void;
}

export class Transport {
  /** Messages rejected for a bad signature or malformed frames (for tests and logs). */
  rejected = 0;
  private closed = false;
  /** Execution ids shared with the control worker (see controlWorker.ts). */
  private readonly shared: Int32Array;

  private constructor(
    readonly signer: Signer,
    private readonly shell: zmq.Router,
    private readonly iopub: zmq.Publisher,
    private readonly stdin: zmq.Router,
    private readonly worker: Worker,
    shared: SharedArrayBuffer,
  ) {
    this.shared = new Int32Array(shared);
  }

  static async open(conn: ConnectionInfo, session: string, handlers: TransportHandlers): Promise<Transport> {
    const signer = new Signer(conn.key, conn.signature_scheme || 'hmac-sha256');
    // The worker starts first and synchronously: it boots on its own thread while the caller goes on to build
    // the TypeScript engine (start-up time).
    const shared = new SharedArrayBuffer(SHARED_BYTES);
    const worker = startControlWorker(conn, session, shared);
    const shell = new zmq.Router({ linger: 100 });
    const iopub = new zmq.Publisher({ linger: 100 });
    const stdin = new zmq.Router({ linger: 0 });
    try {
      await Promise.all([
        shell.bind(endpoint(conn, conn.shell_port)),
        iopub.bind(endpoint(conn, conn.iopub_port)),
        stdin.bind(endpoint(conn, conn.stdin_port)),
      ]);
    } catch (e) {
      await worker.terminate();
      throw e;
    }
    const t = new Transport(signer, shell, iopub, stdin, worker, shared);
    await new Promise<void>((resolve, reject) => {
      worker.on('message', (m: ToMain) => {
        if (m.kind === 'ready') resolve();
        else if (m.kind === 'log') kernelLog(m.text);
        else {
          const msg = t.verify('control', m.frames.map((f) => Buffer.from(f)));
          if (msg && m.kind === 'control') handlers.onControl(msg);
          if (msg && m.kind === 'interrupted') handlers.onInterrupted(msg);
        }
      });
      worker.once('error', reject);
    });
    void t.receive(shell, 'shell', handlers.onShell);
    return t;
  }

  /** True while messages are waiting in the shell socket (used to abort everything queued after an error). */
  get shellReadable(): boolean {
    return !this.closed && this.shell.readable;
  }

  /** Tells the control worker which execution runs now (0 when none), for interrupt requests. */
  setRunning(executionId: number): void {
    Atomics.store(this.shared, RUNNING, executionId);
    if (executionId === 0) Atomics.store(this.shared, TARGET, 0);
  }

  /** The execution a control-channel interrupt aimed at (0: the SIGINT came from outside, e.g. Ctrl+C). */
  get interruptTarget(): number {
    return Atomics.load(this.shared, TARGET);
  }

  sendShell(msg: Message): void {
    if (!this.closed) this.shell.send(encode(msg, this.signer)).catch((e) => kernelLog(`shell send failed: ${e}`));
  }

  sendControl(msg: Message): void {
    if (!this.closed) this.worker.postMessage({ kind: 'send', frames: encode(msg, this.signer) } satisfies FromMain);
  }

  publish(msg: Message): void {
    if (!this.closed) this.iopub.send(encode(msg, this.signer)).catch((e) => kernelLog(`iopub send failed: ${e}`));
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.worker.postMessage({ kind: 'close' } satisfies FromMain);
    await new Promise((r) => setTimeout(r, 50)); // let the last replies leave
    this.shell.close();
    this.iopub.close();
    this.stdin.close();
    await this.worker.terminate();
  }

  /**
   * Closes every socket before this call returns (for process.exit, which must not return). ZeroMQ sockets still
   * open when Node tears the process down make the native addon abort (SIGABRT) instead of exiting.
   */
  closeNow(): void {
    if (this.closed) return;
    this.closed = true;
    this.worker.postMessage({ kind: 'close' } satisfies FromMain);
    this.shell.close();
    this.iopub.close();
    this.stdin.close();
    Atomics.wait(this.shared, CLOSED, 0, 2000);
  }

  private verify(channel: string, frames: Buffer[]): Message | undefined {
    try {
      return decode(frames, this.signer);
    } catch (e) {
      this.rejected++;
      kernelLog(`rejected ${channel} message: ${e instanceof WireError ? e.message : e}`);
      return undefined;
    }
  }

  private async receive(sock: zmq.Router, channel: string, handle: (msg: Message) => void): Promise<void> {
    try {
      for await (const frames of sock) {
        const msg = this.verify(channel, frames);
        if (msg) handle(msg);
      }
    } catch (e) {
      if (!this.closed) kernelLog(`${channel} socket failed: ${e}`);
    }
  }
}

function startControlWorker(conn: ConnectionInfo, session: string, shared: SharedArrayBuffer): Worker {
  const file = path.join(__dirname, `controlWorker${path.extname(__filename)}`);
  const workerData = { conn, session, shared };
  if (file.endsWith('.ts')) {
    // Development (ts-node): the worker needs the TypeScript loader too. The worker's eval'd code resolves bare
    // names from the process's cwd, which may be anywhere (a notebook's folder): resolve ts-node from here.
    const tsNode = require.resolve('ts-node/register/transpile-only');
    const code = `require(${JSON.stringify(tsNode)}); require(${JSON.stringify(file)});`;
    return new Worker(code, { eval: true, workerData });
  }
  return new Worker(file, { workerData });
}
