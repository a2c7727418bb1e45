/**
 * The machine-readable result a chapter notebook reports at the end of its training run. `d2l run` collects these
 * from the executed notebooks and prints the results table (`npm start`).
 */
import { display } from '../display/protocol';

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
