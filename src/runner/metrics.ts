/**
 * Reads the final training figures out of an executed notebook: the book's lines
 * `loss 0.245, train acc 0.910, test acc 0.893` and `1234.5 examples/sec on cpu`, and `reportResult` outputs.
 */
import type { Notebook, Output } from '../jupyter/nbformat';
import { D2lResult, RESULT_MIME } from './result';

export interface Metrics {
  loss?: number;
  trainAcc?: number;
  testAcc?: number;
  examplesPerSec?: number;
  device?: string;
  /** The matched lines as printed. */
  lines: string[];
}

const NUMBER = '(-?\\d+(?:\\.\\d+)?(?:e[-+]?\\d+)?|nan|NaN|Infinity)';
const ACC_LINE = new RegExp(`loss\\s+${NUMBER},\\s*train acc\\s+${NUMBER},\\s*test acc\\s+${NUMBER}`);
const SPEED_LINE = new RegExp(`${NUMBER}\\s+examples/sec on\\s+(.+?)\\s*$`);

function outputText(o: Output): string {
  if (o.output_type === 'stream') return o.text;
  if (o.output_type === 'display_data' || o.output_type === 'execute_result') {
    if (o.data[RESULT_MIME]) return ''; // its text/plain repeats the result; it is read as a result instead
    const t = o.data['text/plain'];
    return typeof t === 'string' ? t : '';
  }
  return '';
}

/** The last accuracy line and the last speed line found in the notebook's outputs. */
export function extractMetrics(nb: Notebook): Metrics {
  const m: Metrics = { lines: [] };
  let accLine: string | undefined;
  let speedLine: string | undefined;
  for (const cell of nb.cells) {
    if (cell.cell_type !== 'code') continue;
    for (const o of cell.outputs) {
      // Progress output rewrites lines with '\r'; the text after the last one is what a terminal shows.
      for (const raw of outputText(o).split('\n')) {
        const line = raw.slice(raw.lastIndexOf('\r') + 1).trim();
        const acc = ACC_LINE.exec(line);
        if (acc) {
          accLine = line;
          m.loss = Number(acc[1]);
          m.trainAcc = Number(acc[2]);
          m.testAcc = Number(acc[3]);
        }
        const speed = SPEED_LINE.exec(line);
        if (speed) {
          speedLine = line;
          m.examplesPerSec = Number(speed[1]);
          m.device = speed[2];
        }
      }
    }
  }
  m.lines = [accLine, speedLine].filter((l): l is string => l !== undefined);
  return m;
}

/** Every `reportResult` object in the notebook, in output order. */
export function extractResults(nb: Notebook): D2lResult[] {
  const results: D2lResult[] = [];
  for (const cell of nb.cells) {
    if (cell.cell_type !== 'code') continue;
    for (const o of cell.outputs) {
      if (o.output_type !== 'display_data' && o.output_type !== 'execute_result') continue;
      const r = o.data[RESULT_MIME];
      if (r && typeof r === 'object' && !Array.isArray(r)) results.push(r as D2lResult);
    }
  }
  return results;
}
