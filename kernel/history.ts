/**
 * In-memory input history for `history_request` (tail, range, search), like IPython's but without a database:
 * it covers the current kernel session (session number 1).
 */
export interface HistoryRequest {
  output?: boolean;
  hist_access_type?: 'range' | 'tail' | 'search';
  session?: number;
  start?: number;
  stop?: number;
  n?: number;
  pattern?: string;
  unique?: boolean;
}

type Entry = [number, number, string] | [number, number, [string, string | null]];

const SESSION = 1;

export class History {
  private readonly inputs = new Map<number, string>();
  private readonly outputs = new Map<number, string>();

  add(executionCount: number, code: string): void {
    this.inputs.set(executionCount, code);
  }

  setOutput(executionCount: number, text: string): void {
    this.outputs.set(executionCount, text);
  }

  query(req: HistoryRequest): Entry[] {
    let lines = [...this.inputs.keys()].sort((a, b) => a - b);
    switch (req.hist_access_type) {
      case 'range': {
        // session 0 or negative offsets name the current session; we keep only this one.
        if (req.session !== undefined && req.session > 0 && req.session !== SESSION) return [];
        const start = req.start ?? 0;
        const stop = req.stop ?? Number.POSITIVE_INFINITY;
        lines = lines.filter((l) => l >= start && l < stop);
        break;
      }
      case 'search': {
        const re = globToRegExp(req.pattern ?? '*');
        lines = lines.filter((l) => re.test(this.inputs.get(l)!));
        if (req.unique) {
          const seen = new Set<string>();
          // Keep the most recent occurrence of each input.
          lines = lines.reverse().filter((l) => !seen.has(this.inputs.get(l)!) && !!seen.add(this.inputs.get(l)!)).reverse();
        }
        if (req.n !== undefined && req.n !== null && req.n > 0) lines = lines.slice(-req.n);
        break;
      }
      default: // tail
        lines = lines.slice(-(req.n ?? 10));
    }
    return lines.map((l): Entry => req.output
      ? [SESSION, l, [this.inputs.get(l)!, this.outputs.get(l) ?? null]]
      : [SESSION, l, this.inputs.get(l)!]);
  }
}

/** IPython's history search uses glob patterns (`*`, `?`) matched against the whole input. */
function globToRegExp(glob: string): RegExp {
  const body = glob.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '[\\s\\S]*').replace(/\?/g, '[\\s\\S]');
  return new RegExp(`^${body}$`);
}
