/**
 * Turns iopub messages into nbformat outputs the way Jupyter frontends do: consecutive stream chunks merge,
 * `clear_output(wait)` clears on the next output, `update_display_data` rewrites every output shown under the
 * same display_id (also in earlier cells).
 */
import type { ErrorOutput, Output } from '../jupyter/nbformat';

/** Outputs shown under each display_id, shared by every cell of one kernel session. */
export class DisplayRegistry {
  private readonly byId = new Map<string, Output[]>();

  add(displayId: string | undefined, output: Output): void {
    if (!displayId) return;
    const list = this.byId.get(displayId) ?? [];
    list.push(output);
    this.byId.set(displayId, list);
  }

  /** Rewrites the outputs shown under `displayId`; true if any was found. */
  update(displayId: string, data: Record<string, unknown>, metadata: Record<string, unknown>): boolean {
    const list = this.byId.get(displayId);
    if (!list) return false;
    for (const o of list) {
      if (o.output_type === 'display_data' || o.output_type === 'execute_result') {
        o.data = data;
        o.metadata = metadata;
      }
    }
    return list.length > 0;
  }

  forget(output: Output): void {
    for (const list of this.byId.values()) {
      const i = list.indexOf(output);
      if (i >= 0) list.splice(i, 1);
    }
  }
}

/** Collects one cell's outputs from its iopub messages. */
export class OutputCollector {
  readonly outputs: Output[] = [];
  error?: ErrorOutput;
  executionCount: number | null = null;
  private clearPending = false;

  constructor(private readonly displays: DisplayRegistry) {}

  /** Applies one iopub message; returns true if the visible outputs changed. */
  handle(msgType: string, content: any): boolean {
    switch (msgType) {
      case 'execute_input':
        if (typeof content.execution_count === 'number') this.executionCount = content.execution_count;
        return false;
      case 'stream': {
        this.flushClear();
        const name = content.name === 'stderr' ? 'stderr' : 'stdout';
        const last = this.outputs[this.outputs.length - 1];
        if (last && last.output_type === 'stream' && last.name === name) last.text += String(content.text ?? '');
        else this.outputs.push({ output_type: 'stream', name, text: String(content.text ?? '') });
        return true;
      }
      case 'display_data':
      case 'execute_result': {
        this.flushClear();
        const displayId: string | undefined = content.transient?.display_id;
        const out: Output = msgType === 'display_data'
          ? { output_type: 'display_data', data: content.data ?? {}, metadata: content.metadata ?? {} }
          : { output_type: 'execute_result', execution_count: content.execution_count ?? null, data: content.data ?? {}, metadata: content.metadata ?? {} };
        if (msgType === 'execute_result' && typeof content.execution_count === 'number') this.executionCount = content.execution_count;
        this.outputs.push(out);
        this.displays.add(displayId, out);
        return true;
      }
      case 'update_display_data': {
        const displayId: string | undefined = content.transient?.display_id;
        return displayId ? this.displays.update(displayId, content.data ?? {}, content.metadata ?? {}) : false;
      }
      case 'clear_output':
        if (content.wait) {
          this.clearPending = true;
          return false;
        }
        return this.clear();
      case 'error': {
        this.flushClear();
        const err: ErrorOutput = {
          output_type: 'error',
          ename: String(content.ename ?? 'Error'),
          evalue: String(content.evalue ?? ''),
          traceback: Array.isArray(content.traceback) ? content.traceback.map(String) : [],
        };
        this.outputs.push(err);
        this.error = err;
        return true;
      }
      default:
        return false;
    }
  }

  /** Adds an error output produced by the client itself (timeout, dead kernel, error only in the reply). */
  addError(ename: string, evalue: string, traceback: string[] = []): ErrorOutput {
    const err: ErrorOutput = { output_type: 'error', ename, evalue, traceback };
    this.outputs.push(err);
    this.error = err;
    return err;
  }

  private flushClear(): void {
    if (this.clearPending) {
      this.clearPending = false;
      this.clear();
    }
  }

  private clear(): boolean {
    const had = this.outputs.length > 0;
    for (const o of this.outputs) this.displays.forget(o);
    this.outputs.length = 0;
    return had;
  }
}
