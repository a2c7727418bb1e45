/**
 * `KernelClient`: starts a Jupyter kernel process and runs code on it over ZeroMQ (messaging protocol 5.3),
 * without Python or a Jupyter server. Used by `d2l run` and `d2l grade`.
 */
import { ChildProcess, spawn } from 'child_process';
import * as zmq from 'zeromq';
import { ConnectionInfo, decode, encode, Message, newHeader, Signer } from '../jupyter/wire';
import { endpoint, newConnectionInfo, removeConnectionFile, writeConnectionFile } from '../jupyter/connection';
import { expandArgv, KernelSpec } from '../jupyter/kernelspec';
import { KernelChoice, KernelStartError, resolveKernelSpec } from './launch';
import type { ErrorOutput, Output } from '../jupyter/nbformat';
import { DisplayRegistry, OutputCollector } from './outputs';

/** How to start the kernel (kernelspec name or argv, see KernelChoice) and where. */
export interface KernelLaunchOptions extends KernelChoice {
  /** Extra environment for the kernel process. */
  env?: Record<string, string>;
  /** Working directory of the kernel (a notebook's relative paths resolve against it). */
  cwd?: string;
  /** How long the kernel may take to answer its first kernel_info_request (default 120 s). */
  startupTimeoutMs?: number;
}

export interface ExecuteOptions {
  /** Ask the kernel to abort queued requests after an error (nbclient sends `!allowErrors`). Default true. */
  stopOnError?: boolean;
  /** Interrupt the kernel when the cell runs longer; the result's status is then 'timeout'. */
  timeoutMs?: number;
  /** Called whenever the cell's outputs (or an output it updates by display_id) change. */
  onOutput?: (outputs: Output[]) => void;
}

export type CellStatus = 'ok' | 'error' | 'aborted' | 'timeout' | 'dead';

export interface CellResult {
  status: CellStatus;
  outputs: Output[];
  executionCount: number | null;
  /** Set for 'error', 'timeout' and 'dead'; also present among `outputs`. */
  error?: ErrorOutput;
}

/** Why the kernel process ended. */
export interface KernelDeath {
  exitCode: number | null;
  signal: NodeJS.Signals | null;
  /** The last lines the kernel process wrote to its stdout/stderr (not the notebook's output). */
  logTail: string;
}

export { KernelStartError, ownKernel } from './launch';

const LOG_TAIL_BYTES = 16 * 1024;
const INTERRUPT_GRACE_MS = 10_000;
const IDLE_AFTER_REPLY_MS = 3_000;

interface Pending {
  onIopub(msg: Message): void;
  onReply(msg: Message): void;
}

/** One running kernel and the client's sockets to it. */
export class KernelClient {
  /** kernel_info_reply content (language_info, implementation, …). */
  kernelInfo: any = {};
  private proc!: ChildProcess;
  private readonly session = newHeader('x', 'x').msg_id;
  private readonly signer: Signer;
  private readonly shell = new zmq.Dealer({ linger: 0 });
  private readonly control = new zmq.Dealer({ linger: 0 });
  private readonly iopub = new zmq.Subscriber({ linger: 0 });
  private readonly pending = new Map<string, Pending>();
  private readonly displays = new DisplayRegistry();
  private readonly sendQueues = new Map<zmq.Dealer, Promise<void>>();
  private logTail = '';
  private death?: KernelDeath;
  private deathWaiters: Array<(d: KernelDeath) => void> = [];
  private closed = false;

  private constructor(
    readonly spec: KernelSpec,
    private readonly info: ConnectionInfo,
    private readonly connectionFile: string,
    private readonly launch: KernelLaunchOptions,
  ) {
    this.signer = new Signer(info.key, info.signature_scheme);
  }

  /** Starts a kernel and waits until it answers on shell and publishes on iopub. */
  static async start(opts: KernelLaunchOptions): Promise<KernelClient> {
    const spec = resolveKernelSpec(opts);
    const info = await newConnectionInfo(spec.name);
    const file = writeConnectionFile(info);
    const client = new KernelClient(spec, info, file, opts);
    try {
      client.connectSockets();
      client.spawnKernel();
      await client.waitForReady(opts.startupTimeoutMs ?? 120_000);
    } catch (e) {
      await client.shutdown();
      throw e;
    }
    return client;
  }

  /** True until the kernel process exits. */
  get alive(): boolean {
    return this.death === undefined;
  }

  /** The process id of the kernel (for diagnostics). */
  get pid(): number | undefined {
    return this.proc?.pid;
  }

  /** Resolves when the kernel process exits (immediately if it already has). */
  died(): Promise<KernelDeath> {
    if (this.death) return Promise.resolve(this.death);
    return new Promise((resolve) => this.deathWaiters.push(resolve));
  }

  /** Runs one cell. Never rejects for kernel-side problems: they come back as the result's status. */
  async executeCell(code: string, opts: ExecuteOptions = {}): Promise<CellResult> {
    const collector = new OutputCollector(this.displays);
    if (this.death) {
      const error = collector.addError('DeadKernelError', deathMessage(this.death));
      return { status: 'dead', outputs: collector.outputs, executionCount: null, error };
    }
    const msg = this.request('execute_request', {
      code, silent: false, store_history: true, user_expressions: {}, allow_stdin: false, stop_on_error: opts.stopOnError ?? true,
    });
    let reply: Message | undefined;
    let idle = false;
    let wake: () => void = () => undefined;
    const changed = () => opts.onOutput?.(collector.outputs);
    this.pending.set(msg.header.msg_id, {
      onIopub: (m) => {
        if (m.header.msg_type === 'status') {
          if (m.content.execution_state === 'idle') { idle = true; wake(); }
          return;
        }
        if (collector.handle(m.header.msg_type, m.content)) changed();
      },
      onReply: (m) => { reply = m; wake(); },
    });
    const waitFor = (done: () => boolean, ms: number) => new Promise<boolean>((resolve) => {
      if (done() || this.death) return resolve(done());
      const timer = ms < Infinity ? setTimeout(() => finish(), ms) : undefined;
      const onDeath = () => finish();
      this.deathWaiters.push(onDeath);
      const finish = () => {
        if (timer) clearTimeout(timer);
        this.deathWaiters = this.deathWaiters.filter((w) => w !== onDeath);
        wake = () => undefined;
        resolve(done());
      };
      wake = () => { if (done()) finish(); };
    });
    try {
      await this.send(this.shell, msg);
      let timedOut = false;
      if (!(await waitFor(() => reply !== undefined, opts.timeoutMs ?? Infinity)) && !this.death) {
        timedOut = true;
        await this.interrupt().catch(() => undefined);
        await waitFor(() => reply !== undefined, INTERRUPT_GRACE_MS);
      }
      if (reply && !this.death) await waitFor(() => idle, IDLE_AFTER_REPLY_MS);
      const count = typeof reply?.content.execution_count === 'number' ? reply.content.execution_count : collector.executionCount;
      if (timedOut) {
        const secs = (opts.timeoutMs ?? 0) / 1000;
        const stuck = reply ? '' : ' It did not answer the interrupt either.';
        const error = collector.addError('CellTimeoutError',
          `Cell execution timed out after ${secs} s; the kernel was interrupted.${stuck}`,
          [`CellTimeoutError: the cell ran longer than the per-cell timeout (${secs} s). Raise it with --timeout or make the cell faster.`]);
        changed();
        return { status: 'timeout', outputs: collector.outputs, executionCount: count, error };
      }
      if (!reply) {
        const error = collector.addError('DeadKernelError', deathMessage(this.death!), tailLines(this.death!.logTail));
        changed();
        return { status: 'dead', outputs: collector.outputs, executionCount: count, error };
      }
      const status = reply.content.status;
      if (status === 'error') {
        // A kernel that reports the error only in the reply still gets an error output, so nothing reads as passed.
        const error = collector.error ?? collector.addError(
          String(reply.content.ename ?? 'Error'), String(reply.content.evalue ?? ''), (reply.content.traceback ?? []).map(String));
        if (!collector.error || error !== collector.error) changed();
        return { status: 'error', outputs: collector.outputs, executionCount: count, error };
      }
      if (status === 'aborted' || status === 'abort') return { status: 'aborted', outputs: collector.outputs, executionCount: count };
      return { status: 'ok', outputs: collector.outputs, executionCount: count, ...(collector.error ? { error: collector.error } : {}) };
    } finally {
      this.pending.delete(msg.header.msg_id);
    }
  }

  /** Interrupts the running cell (SIGINT, or interrupt_request when the kernelspec asks for messages). */
  async interrupt(): Promise<void> {
    if (this.death) return;
    if (this.spec.interruptMode === 'signal') {
      this.proc.kill('SIGINT');
      return;
    }
    await this.controlRequest('interrupt_request', {}, 5_000);
  }

  /** Stops the kernel process and starts a fresh one on the same connection. */
  async restart(): Promise<void> {
    await this.stopProcess(true);
    this.death = undefined;
    this.logTail = '';
    this.spawnKernel();
    await this.waitForReady(this.launch.startupTimeoutMs ?? 120_000);
  }

  /** Asks the kernel to shut down, kills it if it does not, and closes the sockets. Safe to call twice. */
  async shutdown(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.stopProcess(false);
    for (const s of [this.shell, this.control, this.iopub]) s.close();
    removeConnectionFile(this.connectionFile);
  }

  /** What the kernel process itself printed lately (start-up errors, crashes). */
  kernelLog(): string {
    return this.logTail;
  }

  // ---------------------------------------------------------------- internals

  private connectSockets(): void {
    this.shell.connect(endpoint(this.info, this.info.shell_port));
    this.control.connect(endpoint(this.info, this.info.control_port));
    this.iopub.connect(endpoint(this.info, this.info.iopub_port));
    this.iopub.subscribe();
    void this.readLoop(this.shell, (m) => this.pending.get(String(m.parent_header.msg_id))?.onReply(m));
    void this.readLoop(this.control, (m) => this.pending.get(String(m.parent_header.msg_id))?.onReply(m));
    void this.readLoop(this.iopub, (m) => this.pending.get(String(m.parent_header.msg_id))?.onIopub(m));
  }

  private async readLoop(socket: zmq.Dealer | zmq.Subscriber, dispatch: (m: Message) => void): Promise<void> {
    try {
      for await (const frames of socket) {
        let msg: Message;
        try {
          msg = decode(frames as Buffer[], this.signer);
        } catch {
          continue; // a malformed or forged message is dropped, as Jupyter clients do
        }
        dispatch(msg);
      }
    } catch {
      // the socket was closed
    }
  }

  private spawnKernel(): void {
    const argv = expandArgv(this.spec.argv, this.connectionFile, this.spec.resourceDir);
    const env = { ...process.env, ...this.spec.env, ...this.launch.env, JPY_PARENT_PID: String(process.pid) };
    const proc = spawn(argv[0], argv.slice(1), { cwd: this.launch.cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
    this.proc = proc;
    const keep = (chunk: Buffer) => {
      this.logTail = (this.logTail + chunk.toString('utf8')).slice(-LOG_TAIL_BYTES);
    };
    proc.stdout!.on('data', keep);
    proc.stderr!.on('data', keep);
    let spawnError: Error | undefined;
    proc.on('error', (e) => { spawnError = e; });
    proc.on('close', (code, signal) => {
      if (spawnError) this.logTail += `\ncannot start ${argv[0]}: ${spawnError.message}`;
      this.death = { exitCode: code, signal, logTail: this.logTail };
      const waiters = this.deathWaiters;
      this.deathWaiters = [];
      for (const w of waiters) w(this.death);
    });
  }

  /**
   * kernel_info_request, resent every second (a request sent while the kernel is still binding may be lost), until
   * one is answered on shell *and* seen on iopub: a SUB socket drops whatever was published before it joined.
   */
  private async waitForReady(timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    const ids: string[] = [];
    let replies = 0;
    let sawIopub = false;
    let wake: () => void = () => undefined;
    const handler: Pending = {
      onIopub: () => { sawIopub = true; wake(); },
      onReply: (m) => { this.kernelInfo = m.content; replies++; wake(); },
    };
    const pause = (ms: number) => new Promise<void>((resolve) => {
      const timer = setTimeout(done, Math.max(0, ms));
      function done() { clearTimeout(timer); resolve(); }
      wake = done;
      this.deathWaiters.push(done);
    });
    try {
      while (Date.now() < deadline && !this.death) {
        const msg = this.request('kernel_info_request', {});
        ids.push(msg.header.msg_id);
        this.pending.set(msg.header.msg_id, handler);
        void this.send(this.shell, msg);
        const before = replies;
        await pause(Math.min(1_000, deadline - Date.now()));
        if (replies > before && !sawIopub) await pause(Math.min(500, deadline - Date.now()));
        if (replies > 0 && (sawIopub || replies >= 5)) return;
      }
    } finally {
      for (const id of ids) this.pending.delete(id);
      this.deathWaiters = this.deathWaiters.filter((w) => w !== wake);
    }
    const what = this.launch.argv ? `'${this.launch.argv.join(' ')}'` : `kernel '${this.spec.name}'`;
    if (this.death) {
      throw new KernelStartError(`${what} exited during start-up (${deathMessage(this.death)}).${formatTail(this.death.logTail)}`);
    }
    throw new KernelStartError(`${what} did not answer within ${Math.round(timeoutMs / 1000)} s of starting.${formatTail(this.logTail)}`);
  }

  private request(msgType: string, content: unknown): Message {
    return { identities: [], header: newHeader(msgType, this.session), parent_header: {}, metadata: {}, content, buffers: [] };
  }

  /** Sends on a DEALER one message at a time (zeromq allows a single pending send per socket). */
  private send(socket: zmq.Dealer, msg: Message): Promise<void> {
    const prev = this.sendQueues.get(socket) ?? Promise.resolve();
    const next = prev.then(() => socket.send(encode(msg, this.signer))).catch(() => undefined);
    this.sendQueues.set(socket, next);
    return next;
  }

  private async controlRequest(msgType: string, content: unknown, timeoutMs: number): Promise<Message | undefined> {
    const msg = this.request(msgType, content);
    try {
      return await new Promise<Message | undefined>((resolve) => {
        const timer = setTimeout(() => resolve(undefined), timeoutMs);
        this.pending.set(msg.header.msg_id, { onIopub: () => undefined, onReply: (m) => { clearTimeout(timer); resolve(m); } });
        void this.send(this.control, msg);
      });
    } finally {
      this.pending.delete(msg.header.msg_id);
    }
  }

  private async stopProcess(restart: boolean): Promise<void> {
    if (!this.proc || this.death) return;
    const exited = this.died();
    await Promise.race([this.controlRequest('shutdown_request', { restart }, 2_000), exited]);
    if (await settlesWithin(exited, 3_000)) return;
    this.proc.kill('SIGTERM');
    if (await settlesWithin(exited, 2_000)) return;
    this.proc.kill('SIGKILL');
    await exited;
  }
}

function deathMessage(d: KernelDeath): string {
  return d.signal ? `the kernel process was killed by ${d.signal}` : `the kernel process exited with code ${d.exitCode}`;
}

function tailLines(text: string, n = 20): string[] {
  return text.split('\n').filter((l) => l.trim()).slice(-n);
}

function formatTail(text: string): string {
  const lines = tailLines(text);
  return lines.length ? `\nkernel output:\n  ${lines.join('\n  ')}` : '';
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

async function settlesWithin(p: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const t = new Promise<boolean>((r) => { timer = setTimeout(() => r(false), ms); });
  const done = await Promise.race([p.then(() => true), t]);
  clearTimeout(timer);
  return done;
}
