/**
 * Pacing of what the kernel publishes on iopub, so that a fast loop cannot flood the front end and nothing waits
 * on the main thread: stream text is coalesced per cell and stream name and sent at most every `streamMs`;
 * `update_display_data` of one display id is sent at most every `updateMs` (a newer update replaces a held one,
 * which is what the front end would show anyway). Everything else goes out at once, after the stream text and
 * held updates it must follow. `flushParent` sends all that is held for a request before its reply or idle status.
 *
 * Pure logic over an injected clock and send function, so it is tested without sockets (test/kernel-outbox).
 */
import type { Message } from '../../src/jupyter/wire';

export interface OutboxOptions {
  /** Longest time stream text is held to be coalesced (default 50 ms). */
  streamMs?: number;
  /** Shortest interval between two updates of one display (default 250 ms: ≤ 4 updates/s). */
  updateMs?: number;
  /** Held stream text above this many characters is sent at once (default 64 KiB). */
  maxStreamChars?: number;
}

export interface Clock {
  now(): number;
  /** Calls `fn` after `ms`; returns a cancel function. */
  after(ms: number, fn: () => void): () => void;
}

interface HeldStream { msg: Message; since: number }
interface HeldUpdate { msg: Message; cancel: () => void }

function parentId(msg: Message): string {
  return String(msg.parent_header?.msg_id ?? '');
}

export class Outbox {
  private readonly streamMs: number;
  private readonly updateMs: number;
  private readonly maxStreamChars: number;
  /** Held stream messages, keyed by parent id + stream name, in arrival order. */
  private readonly streams = new Map<string, HeldStream>();
  private streamTimer: (() => void) | null = null;
  /** Held display updates by display id, and when each display id was last updated on the wire. */
  private readonly updates = new Map<string, HeldUpdate>();
  private readonly lastUpdate = new Map<string, number>();

  constructor(private readonly send: (msg: Message) => void, private readonly clock: Clock, opts: OutboxOptions = {}) {
    this.streamMs = opts.streamMs ?? 50;
    this.updateMs = opts.updateMs ?? 250;
    this.maxStreamChars = opts.maxStreamChars ?? 65536;
  }

  /** Queues one iopub message. */
  publish(msg: Message): void {
    const type = msg.header.msg_type;
    if (type === 'stream') return this.holdStream(msg);
    if (type === 'update_display_data') return this.holdUpdate(msg);
    // Anything else keeps its place after the text that came before it, and after a held update of its display
    // (sent later, that update would overwrite this newer output).
    this.flushStreams();
    const displayId = msg.content?.transient?.display_id;
    if (displayId !== undefined) this.sendUpdate(String(displayId));
    if (type === 'status' && msg.content?.execution_state === 'idle') this.flushParent(parentId(msg));
    this.send(msg);
  }

  /** Sends everything held for one request (before its reply on shell, or its idle status). */
  flushParent(parent: string): void {
    this.flushStreams();
    for (const [id, held] of [...this.updates]) if (parentId(held.msg) === parent) this.sendUpdate(id);
  }

  /** Sends everything held (before the kernel exits). */
  flushAll(): void {
    this.flushStreams();
    for (const id of [...this.updates.keys()]) this.sendUpdate(id);
  }

  private holdStream(msg: Message): void {
    const key = `${parentId(msg)}\0${msg.content.name}`;
    const held = this.streams.get(key);
    // Another cell's or stream's text in between must go first: output order is kept across keys.
    if (!held && this.streams.size > 0) this.flushStreams();
    if (held) held.msg.content = { ...held.msg.content, text: held.msg.content.text + msg.content.text };
    else this.streams.set(key, { msg: { ...msg, content: { ...msg.content } }, since: this.clock.now() });
    const current = this.streams.get(key)!;
    if (current.msg.content.text.length > this.maxStreamChars || this.clock.now() - current.since >= this.streamMs) {
      this.flushStreams();
    } else if (!this.streamTimer) {
      this.streamTimer = this.clock.after(this.streamMs, () => {
        this.streamTimer = null;
        this.flushStreams();
      });
    }
  }

  private flushStreams(): void {
    if (this.streamTimer) {
      this.streamTimer();
      this.streamTimer = null;
    }
    const held = [...this.streams.values()];
    this.streams.clear();
    for (const h of held) this.send(h.msg);
  }

  private holdUpdate(msg: Message): void {
    const id = String(msg.content?.transient?.display_id ?? '');
    if (!id) {
      this.flushStreams();
      return this.send(msg);
    }
    const previous = this.updates.get(id);
    if (previous) previous.cancel();
    const wait = (this.lastUpdate.get(id) ?? -Infinity) + this.updateMs - this.clock.now();
    if (wait <= 0) {
      this.updates.delete(id);
      this.flushStreams();
      this.lastUpdate.set(id, this.clock.now());
      return this.send(msg);
    }
    this.updates.set(id, { msg, cancel: this.clock.after(wait, () => this.sendUpdate(id)) });
  }

  private sendUpdate(id: string): void {
    const held = this.updates.get(id);
    if (!held) return;
    held.cancel();
    this.updates.delete(id);
    this.flushStreams();
    this.lastUpdate.set(id, this.clock.now());
    this.send(held.msg);
  }
}
