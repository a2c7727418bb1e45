/**
 * Per-student feedback: the executed notebook (hidden tests folded to a comment, each graded cell annotated with
 * its score) and a self-contained HTML page of it. Deterministic: no times, no random ids.
 *
 * Student output is shown as text (HTML outputs are escaped, never rendered), so opening a feedback page cannot
 * run a submission's script in the teacher's browser; PNG images are shown as images.
 */
import type { Cell, Notebook, Output } from '../jupyter/nbformat';
import type { PlannedCell } from './restore';
import type { CellRun, CellScore, Totals } from './scoring';
import { escapeHtml } from '../util/html';

export interface FeedbackInput {
  student: string;
  notebook: string;
  plan: PlannedCell[];
  runs: (CellRun | undefined)[];
  executionCounts: (number | null)[];
  scores: CellScore[];
  totals: Totals;
  flags: string[];
  /** Why the run ended early, if it did. */
  failure?: string;
  metadata: Record<string, any>;
}

function fmt(x: number): string {
  return String(Math.round(x * 100) / 100);
}

function scoreLine(s: CellScore): string {
  const got = s.score === null ? 'to be graded by hand' : `${fmt(s.score)} / ${fmt(s.points)}`;
  return `${s.gradeId}: ${got} (${s.status}${s.message ? `: ${s.message}` : ''})`;
}

/** The executed notebook the student gets back. */
export function feedbackNotebook(input: FeedbackInput): Notebook {
  const byId = new Map(input.scores.map((s) => [s.gradeId, s]));
  const cells: Cell[] = [];
  const summary = [
    `# Feedback: ${input.student} — ${input.notebook}`,
    '',
    `Auto-graded: **${fmt(input.totals.autoScore)} / ${fmt(input.totals.autoMax)}**` +
      (input.totals.manualMax > 0 ? `; graded by hand: ${fmt(input.totals.manualMax)} points (${input.totals.manualPending} answers pending)` : ''),
    ...(input.failure ? ['', `**The run stopped early:** ${input.failure}`] : []),
    ...(input.flags.length ? ['', '**Notes:**', ...input.flags.map((f) => `- ${f}`)] : []),
  ].join('\n');
  cells.push({ cell_type: 'markdown', source: summary, metadata: {} });
  input.plan.forEach((p, i) => {
    const shown: Cell = JSON.parse(JSON.stringify(p.shown));
    if (shown.cell_type === 'code') {
      const run = input.runs[i];
      shown.outputs = run?.outputs ?? [];
      shown.execution_count = input.executionCounts[i] ?? null;
    }
    const score = p.gradeId !== undefined ? byId.get(p.gradeId) : undefined;
    if (score) shown.metadata = { ...shown.metadata, d2l_grade: { score: score.score, points: score.points, status: score.status } };
    cells.push(shown);
    if (score) cells.push({ cell_type: 'markdown', source: `**Score — ${scoreLine(score)}**`, metadata: {} });
  });
  return { nbformat: 4, nbformat_minor: 5, metadata: input.metadata, cells };
}

// Terminal colour codes in tracebacks would show up as garbage in HTML.
const stripAnsi = (s: string) => s.replace(/\u001b\[[0-9;]*[A-Za-z]/g, '');

function outputHtml(o: Output): string {
  switch (o.output_type) {
    case 'stream':
      return `<pre class="${o.name}">${escapeHtml(stripAnsi(o.text))}</pre>`;
    case 'error':
      return `<pre class="error">${escapeHtml(stripAnsi([`${o.ename}: ${o.evalue}`, ...o.traceback].join('\n')))}</pre>`;
    default: {
      const png = o.data['image/png'];
      if (typeof png === 'string' && /^[A-Za-z0-9+/=\s]+$/.test(png)) return `<img alt="output" src="data:image/png;base64,${png.replace(/\s/g, '')}">`;
      const text = o.data['text/plain'];
      if (typeof text === 'string') return `<pre>${escapeHtml(stripAnsi(text))}</pre>`;
      return `<pre class="note">[${escapeHtml(Object.keys(o.data).join(', '))} output not shown]</pre>`;
    }
  }
}

const STYLE = `body{font-family:sans-serif;max-width:960px;margin:2em auto;padding:0 1em}
.cell{border-left:4px solid #ddd;margin:1em 0;padding:.2em .8em}.code pre.src{background:#f6f8fa;padding:.5em}
pre{white-space:pre-wrap;margin:.3em 0}.md{white-space:pre-wrap}.error,.stderr{color:#b00}
.score{font-weight:bold;padding:.3em .8em}.passed{background:#e6ffed}.failed,.timeout,.not-run,.no-answer{background:#ffeef0}
.partial,.manual{background:#fff8e1}`;

/** The feedback notebook as one HTML page. */
export function feedbackHtml(nb: Notebook, title: string): string {
  const parts = nb.cells.map((c) => {
    const grade = c.metadata?.d2l_grade as { status?: string } | undefined;
    if (c.cell_type === 'markdown' && /^\*\*Score — /.test(c.source)) {
      const status = /\((passed|partial|failed|timeout|not-run|manual|no-answer)/.exec(c.source)?.[1] ?? '';
      return `<div class="score ${status}">${escapeHtml(c.source.replace(/\*\*/g, ''))}</div>`;
    }
    if (c.cell_type !== 'code') return `<div class="cell md">${escapeHtml(c.source)}</div>`;
    const count = c.execution_count === null ? ' ' : String(c.execution_count);
    const outs = c.outputs.map(outputHtml).join('\n');
    return `<div class="cell code${grade ? ' graded' : ''}"><pre class="src">[${count}] ${escapeHtml(c.source)}</pre>${outs}</div>`;
  });
  return `<!DOCTYPE html>\n<html><head><meta charset="utf-8"><title>${escapeHtml(title)}</title><style>${STYLE}</style></head>\n<body>\n${parts.join('\n')}\n</body></html>\n`;
}
