/**
 * The one result channel between a notebook and `d2l run`: a notebook reports its training run with
 * `reportResult` (an output of MIME type `application/vnd.d2l.result+json`), and the runner reads those outputs
 * back from the executed notebook (`extractResults`) for its summary and the results table (`npm start`).
 */
import { display } from '../display/protocol';
import type { Notebook } from '../jupyter/nbformat';

/** MIME type of a result output: a JSON object of type `D2lResult`. */
export const RESULT_MIME = 'application/vnd.d2l.result+json';

/** One training run of one model. Numbers are plain (accuracy 0.91, not "91%"). */
export interface D2lResult {
  /** Book section, e.g. "7.5". */
  section: string;
  /** Model name as the book says it, e.g. "LeNet-BN", "ResNet-18". */
  model: string;
  /** Number of trainable parameters of the model. */
  params?: number;
  /** The tfjs backend that trained it (`tf.getBackend()`), e.g. "wasm". */
  backend?: string;
  /** The device string the book prints after "examples/sec on". */
  device?: string;
  examplesPerSec?: number;
  loss?: number;
  trainAcc?: number;
  testAcc?: number;
  /** The profile the run used (book, cpu, smoke) and its hyperparameters. */
  profile?: string;
  numEpochs?: number;
  batchSize?: number;
  lr?: number;
  resize?: number;
  /** The kernel init scheme, where the section sets one (7.3). */
  init?: string;
}

function fmt(x: number | undefined, digits: number): string {
  return x === undefined ? '-' : x.toFixed(digits);
}

/** One human-readable line for a result (the text/plain fallback). */
export function resultText(r: D2lResult): string {
  const parts = [`section ${r.section}`, `model ${r.model}`];
  if (r.params !== undefined) parts.push(`params ${r.params}`);
  if (r.backend) parts.push(`backend ${r.backend}`);
  if (r.profile) parts.push(`profile ${r.profile}`);
  if (r.init) parts.push(`init ${r.init}`);
  parts.push(`loss ${fmt(r.loss, 3)}`, `train acc ${fmt(r.trainAcc, 3)}`, `test acc ${fmt(r.testAcc, 3)}`);
  if (r.examplesPerSec !== undefined) parts.push(`${r.examplesPerSec.toFixed(1)} examples/sec${r.device ? ` on ${r.device}` : ''}`);
  return `d2l result: ${parts.join(', ')}`;
}

/** Shows a run's result as `application/vnd.d2l.result+json` plus a text line, for `d2l run` to collect. */
export function reportResult(result: D2lResult): void {
  if (!result || typeof result.section !== 'string' || typeof result.model !== 'string') {
    throw new TypeError('reportResult needs at least {section: string, model: string}, e.g. {section: "7.5", model: "LeNet-BN", …}.');
  }
  display({ [RESULT_MIME]: { ...result }, 'text/plain': resultText(result) });
}

/** Every `reportResult` object in an executed notebook, in output order. */
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
