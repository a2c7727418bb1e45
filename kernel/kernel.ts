/**
 * Jupyter protocol handling (messaging spec 5.3) on the main thread: shell requests are handled one at a time in
 * arrival order, each wrapped in busy/idle status on iopub; control requests at once. Sockets, signing and
 * output pacing live on the I/O thread (io/); this class only decides what to answer.
 * After a failed execute with `stop_on_error`, exactly the execute requests the I/O thread had received at that
 * moment are answered `aborted`; later ones run normally.
 */
import * as util from 'util';
import { toMimeBundle, type MimeBundle } from '../src/display/protocol';
import { childMessage, PROTOCOL_VERSION, type Message } from '../src/jupyter/wire';
import { setRunningCell, runningCell, type CellContext } from './cells';
import type { Engine } from './engine';
import { keyboardInterruptError } from './errors';
import { History, type HistoryRequest } from './history';
import { markTfjs, OpBoundaryChecks, restoreTfjs } from './interrupt';
import type { IoChannel } from './io/channel';
import { installOutputCapture, kernelLog, wireBundle } from './output';
import { cancelCellTimers, realTimers } from './timers';
import { fromCodePoints, toCodePoints } from './unicode';

export interface KernelInfo {
  implementationVersion: string;
  typescriptVersion: string;
}

/**
 * After an interrupt, how long a cell may take to end by itself (its next tfjs op throws KeyboardInterrupt and
 * its `finally` blocks run) before the kernel stops waiting for it (a promise that never settles).
 */
export const INTERRUPT_GRACE_MS = 300;

type Queued = { msg: Message; seq: number; aborted: boolean };

export class Kernel {
  private executionCount = 0;
  private executionSeq = 0;
  private readonly queue: Queued[] = [];
  private running = false;
  /** Shell requests numbered up to this arrived before a failed execute with stop_on_error: aborted. */
  private abortUpTo = 0;
  private readonly history = new History();
  /** Resolved when the kernel has shut down (main.ts exits then). */
  readonly stopped: Promise<void>;
  private stop!: () => void;

  constructor(
    private readonly channel: IoChannel,
    private readonly engine: Engine,
    private readonly session: string,
    private readonly info: KernelInfo,
    private readonly opChecks: OpBoundaryChecks,
  ) {
    this.stopped = new Promise((r) => (this.stop = r));
    installOutputCapture({ publish: (parent, type, content) => this.publish(parent, type, content) });
  }

  /** Publishes the initial `starting` status (spec: sent once, with an empty parent). */
  announce(): void {
    this.channel.publish(childMessage(undefined, 'status', { execution_state: 'starting' }, this.session));
  }

  onRequest(channel: 'shell' | 'control', msg: Message, seq: number): void {
    if (channel === 'control') return this.onControl(msg);
    const isExecute = msg.header.msg_type === 'execute_request';
    this.queue.push({ msg, seq, aborted: isExecute && seq <= this.abortUpTo });
    void this.pump();
  }

  /** An interrupt_request the I/O thread answered: report status, then stop the cell it aimed at. */
  onInterrupt(target: number, msg: Message): void {
    this.publish(msg, 'status', { execution_state: 'busy' });
    this.publish(msg, 'status', { execution_state: 'idle' });
    if (target !== 0) this.interrupt(target);
  }

  /**
   * Stops the running cell if it is `target` ('signal': whichever runs, for a SIGINT from outside): its next tfjs
   * op throws (a `fit` stops at its batch end). If it has not ended after INTERRUPT_GRACE_MS, its timers are
   * cancelled and the kernel stops waiting for it. Repeated calls for the same cell do nothing more.
   */
  interrupt(target: number | 'signal'): void {
    const ctx = runningCell();
    if (!ctx || (target !== 'signal' && target !== ctx.executionId) || ctx.stopRequested) return;
    ctx.stopRequested = true;
    this.channel.requestInterrupt(ctx.executionId);
    realTimers.setTimeout(() => {
      if (runningCell() !== ctx) return;
      ctx.interrupted = true;
      cancelCellTimers(ctx);
      this.engine.interrupt();
    }, INTERRUPT_GRACE_MS);
  }

  private onControl(msg: Message): void {
    void this.withStatus(msg, async () => {
      switch (msg.header.msg_type) {
        case 'kernel_info_request':
          return this.channel.sendControl(this.reply(msg, 'kernel_info_reply', this.kernelInfo()));
        case 'shutdown_request':
          return this.shutdown(msg);
        default:
          kernelLog(`unsupported control message ${msg.header.msg_type}`);
      }
    });
  }

  private async pump(): Promise<void> {
    if (this.running) return;
    this.running = true;
    try {
      for (let item = this.queue.shift(); item; item = this.queue.shift()) {
        const { msg, aborted } = item;
        await this.withStatus(msg, () => (aborted ? this.abort(msg) : this.handleShell(msg)));
      }
    } finally {
      this.running = false;
    }
  }

  private async handleShell(msg: Message): Promise<void> {
    const c = msg.content ?? {};
    const shell = (type: string, content: Record<string, unknown>) => this.channel.sendShell(this.reply(msg, type, content));
    switch (msg.header.msg_type) {
      case 'execute_request':
        return this.execute(msg);
      case 'kernel_info_request':
        return shell('kernel_info_reply', this.kernelInfo());
      case 'complete_request': {
        const code = String(c.code ?? '');
        const cursor = fromCodePoints(code, Number(c.cursor_pos ?? code.length));
        const r = this.engine.complete(code, cursor);
        return shell('complete_reply', {
          status: 'ok', matches: r.matches, cursor_start: toCodePoints(code, r.start), cursor_end: toCodePoints(code, r.end), metadata: {},
        });
      }
      case 'inspect_request': {
        const code = String(c.code ?? '');
        const text = this.engine.inspect(code, fromCodePoints(code, Number(c.cursor_pos ?? code.length)));
        return shell('inspect_reply', {
          status: 'ok', found: text !== undefined, data: text !== undefined ? { 'text/plain': text } : {}, metadata: {},
        });
      }
      case 'is_complete_request':
        return shell('is_complete_reply', { ...this.engine.isComplete(String(c.code ?? '')) });
      case 'history_request':
        return shell('history_reply', { status: 'ok', history: this.history.query(c as HistoryRequest) });
      case 'comm_info_request':
        return shell('comm_info_reply', { status: 'ok', comms: {} });
      case 'comm_open':
        // No comm targets exist: the spec asks to close an unknown comm right away.
        return this.publish(msg, 'comm_close', { comm_id: c.comm_id, data: {} });
      case 'comm_msg':
      case 'comm_close':
        return;
      case 'shutdown_request': // older clients send it on shell
        return this.shutdown(msg, true);
      default:
        kernelLog(`ignored unknown shell message ${msg.header.msg_type}`);
    }
  }

  private async execute(msg: Message): Promise<void> {
    const c = msg.content ?? {};
    const code = String(c.code ?? '');
    const silent = c.silent === true;
    const storeHistory = !silent && c.store_history !== false;
    if (storeHistory) this.executionCount++;
    const count = this.executionCount;
    if (!silent) this.publish(msg, 'execute_input', { code, execution_count: count });
    if (storeHistory) this.history.add(count, code);

    const ctx: CellContext = { parent: msg, executionId: ++this.executionSeq, stopRequested: false, interrupted: false, timers: new Set() };
    this.opChecks.hook(); // tfjs may have been loaded by an earlier cell
    const mark = markTfjs();
    setRunningCell(ctx);
    this.channel.setRunning(ctx.executionId);
    let outcome;
    try {
      outcome = await this.engine.execute(code, `cell[${count}]`);
    } finally {
      this.opChecks.hook(); // … or by this one
    }
    const interrupted = ctx.stopRequested || this.channel.interruptTarget === ctx.executionId
      || outcome.error?.ename === 'KeyboardInterrupt';
    if (interrupted) {
      ctx.interrupted = true;
      cancelCellTimers(ctx);
      const closed = restoreTfjs(mark, this.channel.shared);
      if (closed > 0) kernelLog(`closed ${closed} tfjs scope(s) the interrupted cell left open`);
    }
    this.channel.setRunning(0);
    this.opChecks.reset();
    setRunningCell(undefined);

    if (outcome.ok && !interrupted) {
      if (outcome.hasValue && !silent) {
        const data = wireBundle(valueBundle(outcome.value));
        this.publish(msg, 'execute_result', { execution_count: count, data, metadata: {} });
        if (storeHistory && typeof data['text/plain'] === 'string') this.history.setOutput(count, data['text/plain'] as string);
      }
      const userExpressions = Object.fromEntries(Object.keys(c.user_expressions ?? {}).map((k) => [k, {
        status: 'error', ename: 'NotSupported', evalue: 'user_expressions are not supported by the d2l kernel', traceback: [],
      }]));
      this.channel.sendShell(this.reply(msg, 'execute_reply', { status: 'ok', execution_count: count, payload: [], user_expressions: userExpressions }));
      return;
    }
    // A KeyboardInterrupt thrown at a tfjs op keeps its frames (where the cell stopped); anything else the
    // interrupt caused (a cell that caught it and threw something else, a forced stop) reads as the interrupt.
    const error = interrupted && outcome.error?.ename !== 'KeyboardInterrupt' ? keyboardInterruptError() : outcome.error!;
    // Whatever the client sends after seeing our reply must not be aborted: the watermark is taken before it.
    if (c.stop_on_error !== false) this.abortQueuedExecutes();
    if (!silent) this.publish(msg, 'error', { ...error });
    this.channel.sendShell(this.reply(msg, 'execute_reply', { status: 'error', execution_count: count, ...error, payload: [], user_expressions: {} }));
  }

  /** Aborts every execute request the I/O thread has received so far, queued here or still on its way. */
  private abortQueuedExecutes(): void {
    this.abortUpTo = this.channel.shellArrivals;
    for (const item of this.queue) if (item.msg.header.msg_type === 'execute_request' && item.seq <= this.abortUpTo) item.aborted = true;
  }

  private abort(msg: Message): void {
    this.channel.sendShell(this.reply(msg, 'execute_reply', { status: 'aborted', execution_count: null, payload: [], user_expressions: {} }));
  }

  private async shutdown(msg: Message, onShell = false): Promise<void> {
    const restart = msg.content?.restart === true;
    const reply = this.reply(msg, 'shutdown_reply', { status: 'ok', restart });
    if (onShell) this.channel.sendShell(reply);
    else this.channel.sendControl(reply);
    this.publish(msg, 'shutdown_reply', { status: 'ok', restart });
    realTimers.setTimeout(() => this.stop(), 10);
  }

  private kernelInfo(): Record<string, unknown> {
    return {
      status: 'ok',
      protocol_version: PROTOCOL_VERSION,
      implementation: 'd2l',
      implementation_version: this.info.implementationVersion,
      language_info: {
        name: 'typescript',
        version: this.info.typescriptVersion,
        mimetype: 'text/typescript',
        file_extension: '.ts',
        pygments_lexer: 'typescript',
        // Classic Notebook picks its editor mode from this; 'typescript: true' enables TS in CodeMirror 5.
        codemirror_mode: { name: 'javascript', typescript: true },
      },
      banner: `d2l TypeScript kernel ${this.info.implementationVersion} (TypeScript ${this.info.typescriptVersion}, Node ${process.version})`,
      help_links: [{ text: 'Dive into Deep Learning', url: 'https://d2l.ai' }],
    };
  }

  private async withStatus(msg: Message, fn: () => unknown): Promise<void> {
    this.publish(msg, 'status', { execution_state: 'busy' });
    try {
      await fn();
    } catch (e) {
      kernelLog(`error handling ${msg.header.msg_type}: ${e instanceof Error ? e.stack : e}`);
    } finally {
      this.publish(msg, 'status', { execution_state: 'idle' });
    }
  }

  private reply(parent: Message, type: string, content: Record<string, unknown>): Message {
    return childMessage(parent, type, content, this.session);
  }

  /** Publishes on iopub; the I/O thread keeps the order and paces stream text and display updates. */
  private publish(parent: Message, type: string, content: Record<string, unknown>): void {
    const msg = childMessage(parent, type, content, this.session);
    msg.identities = [Buffer.from(type === 'stream' ? `stream.${content.name}` : type)];
    this.channel.publish(msg);
  }
}

/** The MIME bundle of a cell's last value: its own rich repr, else a tensor's text, else util.inspect. */
export function valueBundle(value: unknown): MimeBundle {
  const own = toMimeBundle(value);
  if (own) return own;
  const v = value as any;
  if (v && typeof v === 'object' && Array.isArray(v.shape) && typeof v.dtype === 'string' && typeof v.dataSync === 'function') {
    return { 'text/plain': String(v) }; // a tfjs tensor without d2l's repr installed
  }
  return { 'text/plain': typeof value === 'string' ? util.inspect(value) : util.inspect(value, { depth: 4, colors: false }) };
}
