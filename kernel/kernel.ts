/**
 * Jupyter protocol handling (messaging spec 5.3): shell requests are handled one at a time in arrival order,
 * each wrapped in busy/idle status on iopub; control requests are handled at once, even while a cell runs.
 * After a failed execute with `stop_on_error`, exactly the execute requests already received at that moment are
 * answered `aborted`; later ones run normally.
 */
import * as util from 'util';
import { toMimeBundle, type MimeBundle } from '../src/display/protocol';
import type { Engine } from './engine';
import { History, type HistoryRequest } from './history';
import { installOutputCapture, kernelLog, realSetImmediate, realSetTimeout, runInCell, wireBundle, type CellContext } from './output';
import type { Transport } from './transport';
import { childMessage, PROTOCOL_VERSION, type Message } from '../src/jupyter/wire';
import { fromCodePoints, toCodePoints } from './unicode';

export interface KernelInfo {
  implementationVersion: string;
  typescriptVersion: string;
}

type Queued = { msg: Message; aborted: boolean };

export class Kernel {
  private executionCount = 0;
  private readonly queue: Queued[] = [];
  private running = false;
  private current: CellContext | undefined;
  private executionSeq = 0;
  private runningId = 0;
  private readonly history = new History();
  private pendingStream: { parent: Message; name: 'stdout' | 'stderr'; text: string; since: number } | null = null;
  private flushScheduled = false;
  /** Resolved when the kernel has shut down (main.ts exits then). */
  readonly stopped: Promise<void>;
  private stop!: () => void;

  constructor(
    private readonly transport: Transport,
    private readonly engine: Engine,
    private readonly session: string,
    private readonly info: KernelInfo,
  ) {
    this.stopped = new Promise((r) => (this.stop = r));
    installOutputCapture({
      stream: (parent, name, text) => this.stream(parent, name, text),
      publish: (parent, type, content) => this.publish(parent, type, content),
    });
  }

  /** Publishes the initial `starting` status (spec: sent once, with an empty parent). */
  announce(): void {
    this.transport.publish(childMessage(undefined, 'status', { execution_state: 'starting' }, this.session));
  }

  onShell(msg: Message): void {
    this.queue.push({ msg, aborted: false });
    void this.pump();
  }

  onControl(msg: Message): void {
    void this.withStatus(msg, async () => {
      switch (msg.header.msg_type) {
        case 'kernel_info_request':
          return this.transport.sendControl(this.reply(msg, 'kernel_info_reply', this.kernelInfo()));
        case 'shutdown_request':
          return this.shutdown(msg);
        default:
          kernelLog(`unsupported control message ${msg.header.msg_type}`);
      }
    });
  }

  /** The control worker already replied to interrupt_request and raised SIGINT; we only report status. */
  onInterrupted(msg: Message): void {
    this.publish(msg, 'status', { execution_state: 'busy' });
    this.publish(msg, 'status', { execution_state: 'idle' });
  }

  /** SIGINT: stop the running cell (sync code is stopped by V8 itself) and let its async work die. */
  interrupt(): void {
    const target = this.transport.interruptTarget;
    if (target !== 0 && target !== this.runningId) return; // a repeated signal that arrived after its cell ended
    if (this.current) this.current.interrupted = true;
    this.engine.interrupt();
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
    switch (msg.header.msg_type) {
      case 'execute_request':
        return this.execute(msg);
      case 'kernel_info_request':
        return this.transport.sendShell(this.reply(msg, 'kernel_info_reply', this.kernelInfo()));
      case 'complete_request': {
        const code = String(c.code ?? '');
        const cursor = fromCodePoints(code, Number(c.cursor_pos ?? code.length));
        const r = this.engine.complete(code, cursor);
        return this.transport.sendShell(this.reply(msg, 'complete_reply', {
          status: 'ok', matches: r.matches, cursor_start: toCodePoints(code, r.start), cursor_end: toCodePoints(code, r.end), metadata: {},
        }));
      }
      case 'inspect_request': {
        const code = String(c.code ?? '');
        const text = this.engine.inspect(code, fromCodePoints(code, Number(c.cursor_pos ?? code.length)));
        return this.transport.sendShell(this.reply(msg, 'inspect_reply', {
          status: 'ok', found: text !== undefined, data: text !== undefined ? { 'text/plain': text } : {}, metadata: {},
        }));
      }
      case 'is_complete_request':
        return this.transport.sendShell(this.reply(msg, 'is_complete_reply', { ...this.engine.isComplete(String(c.code ?? '')) }));
      case 'history_request':
        return this.transport.sendShell(this.reply(msg, 'history_reply', { status: 'ok', history: this.history.query(c as HistoryRequest) }));
      case 'comm_info_request':
        return this.transport.sendShell(this.reply(msg, 'comm_info_reply', { status: 'ok', comms: {} }));
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

    const ctx: CellContext = { parent: msg, interrupted: false };
    this.current = ctx;
    this.runningId = ++this.executionSeq;
    this.transport.setRunning(this.runningId);
    let outcome;
    try {
      outcome = await runInCell(ctx, () => this.engine.execute(code, `cell[${count}]`));
    } finally {
      this.runningId = 0;
      this.transport.setRunning(0);
      this.current = undefined;
    }

    if (outcome.ok) {
      if (outcome.hasValue && !silent) {
        const data = wireBundle(valueBundle(outcome.value));
        this.publish(msg, 'execute_result', { execution_count: count, data, metadata: {} });
        if (storeHistory && typeof data['text/plain'] === 'string') this.history.setOutput(count, data['text/plain'] as string);
      }
      const userExpressions = Object.fromEntries(Object.keys(c.user_expressions ?? {}).map((k) => [k, {
        status: 'error', ename: 'NotSupported', evalue: 'user_expressions are not supported by the d2l kernel', traceback: [],
      }]));
      this.flushStream();
      this.transport.sendShell(this.reply(msg, 'execute_reply', { status: 'ok', execution_count: count, payload: [], user_expressions: userExpressions }));
      return;
    }
    const error = outcome.error!;
    // Before replying: whatever the client sends after seeing our reply must not be aborted.
    if (c.stop_on_error !== false) await this.abortQueuedExecutes();
    if (!silent) this.publish(msg, 'error', { ...error });
    this.flushStream();
    this.transport.sendShell(this.reply(msg, 'execute_reply', { status: 'error', execution_count: count, ...error, payload: [], user_expressions: {} }));
  }

  /** Marks every execute request received so far as aborted; requests arriving later are not affected. */
  private async abortQueuedExecutes(): Promise<void> {
    // Messages can sit in the socket because a synchronous cell blocked the receive loop: pull them in first.
    for (let i = 0; i < 1000 && this.transport.shellReadable; i++) await new Promise((r) => realSetImmediate(r));
    await new Promise((r) => realSetImmediate(r));
    for (const item of this.queue) if (item.msg.header.msg_type === 'execute_request') item.aborted = true;
  }

  private abort(msg: Message): void {
    this.transport.sendShell(this.reply(msg, 'execute_reply', { status: 'aborted', execution_count: null, payload: [], user_expressions: {} }));
  }

  private async shutdown(msg: Message, onShell = false): Promise<void> {
    const restart = msg.content?.restart === true;
    const reply = this.reply(msg, 'shutdown_reply', { status: 'ok', restart });
    if (onShell) this.transport.sendShell(reply);
    else this.transport.sendControl(reply);
    this.publish(msg, 'shutdown_reply', { status: 'ok', restart });
    realSetTimeout(() => this.stop(), 10);
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

  /** Publishes on iopub; pending stream text goes out first so outputs keep their order. */
  private publish(parent: Message, type: string, content: Record<string, unknown>): void {
    this.flushStream();
    const msg = childMessage(parent, type, content, this.session);
    msg.identities = [Buffer.from(type === 'stream' ? `stream.${content.name}` : type)];
    this.transport.publish(msg);
  }

  /** Coalesces small writes into one stream message; flushes at once every 50 ms so long sync loops stream. */
  private stream(parent: Message, name: 'stdout' | 'stderr', text: string): void {
    const p = this.pendingStream;
    if (p && (p.parent !== parent || p.name !== name)) this.flushStream();
    if (this.pendingStream) this.pendingStream.text += text;
    else this.pendingStream = { parent, name, text, since: Date.now() };
    if (Date.now() - this.pendingStream.since > 50 || this.pendingStream.text.length > 65536) this.flushStream();
    else if (!this.flushScheduled) {
      this.flushScheduled = true;
      realSetImmediate(() => {
        this.flushScheduled = false;
        this.flushStream();
      });
    }
  }

  /** Sends stream text still waiting to be coalesced (also used right before the process exits). */
  flushStream(): void {
    const p = this.pendingStream;
    if (!p) return;
    this.pendingStream = null;
    const msg = childMessage(p.parent, 'stream', { name: p.name, text: p.text }, this.session);
    msg.identities = [Buffer.from(`stream.${p.name}`)];
    this.transport.publish(msg);
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
