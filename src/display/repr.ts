/**
 * Rich display of TensorFlow.js tensors in notebooks: installs a `[MIME_BUNDLE]` method on `tf.Tensor.prototype`
 * so a tensor as a cell's last value (or passed to `display`) shows its dtype, shape and values — `text/plain`
 * like 'Tensor float32 [2,3]' followed by the values, and for small 1-D/2-D tensors an HTML table.
 */
import * as tf from '@tensorflow/tfjs';
import { MIME_BUNDLE } from './protocol';
import type { MimeBundle } from './protocol';

/** Largest tensor (rows × columns) shown as an HTML table; bigger ones get the text form in a <pre>. */
const MAX_TABLE_ROWS = 64;
const MAX_TABLE_COLS = 32;

function escapeHtml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

function header(t: tf.Tensor): string {
  return `Tensor ${t.dtype} [${t.shape.join(',')}]`;
}

/** The values as tfjs prints them (summarized for large tensors), without tfjs' own 'Tensor' header line. */
function valuesText(t: tf.Tensor): string {
  const lines = t.toString().split('\n');
  return lines.slice(1).map((l) => l.replace(/^ {4}/, '')).join('\n');
}

function formatCell(value: unknown, dtype: string): string {
  if (dtype === 'float32' && typeof value === 'number') {
    return Number.isInteger(value) ? value.toFixed(1) : String(+value.toPrecision(6));
  }
  return String(value);
}

/** The MIME bundle of one tensor. */
export function tensorBundle(t: tf.Tensor): MimeBundle {
  if (t.isDisposed) return { 'text/plain': `${header(t)} (disposed)` };
  const text = `${header(t)}\n${valuesText(t)}`;
  const bundle: MimeBundle = { 'text/plain': text };
  const rows = t.rank === 2 ? t.shape[0] : 1;
  const cols = (t.rank === 2 ? t.shape[1] : t.rank === 1 ? t.shape[0] : 0) ?? 0;
  if ((t.rank === 1 || t.rank === 2) && rows <= MAX_TABLE_ROWS && cols <= MAX_TABLE_COLS && t.size > 0) {
    const values = (t.rank === 1 ? [t.arraySync()] : t.arraySync()) as unknown[][];
    const body = values.map((row) => `<tr>${row.map((v) => `<td>${escapeHtml(formatCell(v, t.dtype))}</td>`).join('')}</tr>`)
      .join('');
    bundle['text/html'] = `<div class="d2l-tensor"><div><code>${escapeHtml(header(t))}</code></div>`
      + `<table style="font-family:monospace">${body}</table></div>`;
  } else {
    bundle['text/html'] = `<pre>${escapeHtml(text)}</pre>`;
  }
  return bundle;
}

/** Whether tensors have d2l's MIME bundle method. */
export function reprsInstalled(): boolean {
  return typeof (tf.Tensor.prototype as any)[MIME_BUNDLE] === 'function';
}

/** Installs the tensor repr (idempotent). d2l installs it at import from its patch table (src/ops/patches.ts). */
export function installReprs(): void {
  const proto = tf.Tensor.prototype as any;
  if (reprsInstalled()) return;
  Object.defineProperty(proto, MIME_BUNDLE, {
    value: function mimeBundle(this: tf.Tensor): MimeBundle {
      return tensorBundle(this);
    },
    configurable: true,
    writable: true,
    enumerable: false,
  });
}
