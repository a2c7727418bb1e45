/**
 * Model summaries that show the chapter's blocks: every top-level layer with its output shape and parameter
 * count, and the layers inside each block (nested `tf.Sequential` blocks through `.layers`, Residual/Inception/
 * DenseBlock through `.subLayers`) indented beneath it. Importing d2l installs a `[MIME_BUNDLE]` method on
 * `tf.LayersModel.prototype`, so a model as a cell's last value renders as an HTML table with a text fallback.
 */
import * as tf from '@tensorflow/tfjs';
import { htmlBundle } from '../display/bundles';
import { MIME_BUNDLE } from '../display/protocol';
import type { MimeBundle } from '../display/protocol';

/** One row of a summary: a layer, its depth in the block hierarchy, output shape (top level only), params. */
export interface SummaryRow {
  depth: number;
  name: string;
  className: string;
  outputShape: string;
  trainable: number;
  nonTrainable: number;
}

const size = (weights: tf.LayerVariable[]) =>
  weights.reduce((sum, w) => sum + w.shape.reduce((a: number, b) => a * (b as number), 1), 0);

function children(layer: tf.layers.Layer): tf.layers.Layer[] {
  const anyLayer = layer as any;
  if (Array.isArray(anyLayer.subLayers)) return anyLayer.subLayers;
  if (layer instanceof tf.LayersModel) return layer.layers.filter((l) => l.getClassName() !== 'InputLayer');
  return [];
}

/** The rows of `net`'s summary; output shapes come from a symbolic walk with batch size `null`. */
export function summaryRows(net: tf.LayersModel): SummaryRow[] {
  const rows: SummaryRow[] = [];
  const visit = (layer: tf.layers.Layer, depth: number, outputShape: string) => {
    rows.push({ depth, name: layer.name, className: layer.getClassName(), outputShape,
                trainable: size(layer.trainableWeights), nonTrainable: size(layer.nonTrainableWeights) });
    for (const child of children(layer)) visit(child, depth + 1, '');
  };
  let shape: tf.Shape | null = net.inputs.length === 1 ? net.inputs[0].shape : null;
  for (const layer of net.layers) {
    if (layer.getClassName() === 'InputLayer') continue;
    let text = '?';
    if (shape !== null) {
      try {
        shape = layer.computeOutputShape(shape) as tf.Shape;
        text = `[${shape.map((d) => (d === null ? 'null' : d)).join(',')}]`;
      } catch {
        shape = null;
      }
    }
    visit(layer, 0, text);
  }
  return rows;
}

function totals(net: tf.LayersModel): [number, number] {
  return [size(net.trainableWeights), size(net.nonTrainableWeights)];
}

const fmt = (n: number) => n.toLocaleString('en-US');

/** The summary as text: one line per layer, blocks' layers indented, then the parameter totals. */
export function modelSummary(net: tf.LayersModel): string {
  const rows = summaryRows(net);
  const label = (r: SummaryRow) => `${'  '.repeat(r.depth)}${r.name} (${r.className})`;
  const w0 = Math.max(12, ...rows.map((r) => label(r).length)) + 2;
  const w1 = Math.max(12, ...rows.map((r) => r.outputShape.length)) + 2;
  const lines = [`${'Layer (type)'.padEnd(w0)}${'Output shape'.padEnd(w1)}Param #`];
  lines.push('='.repeat(w0 + w1 + 10));
  for (const r of rows) lines.push(`${label(r).padEnd(w0)}${r.outputShape.padEnd(w1)}${fmt(r.trainable + r.nonTrainable)}`);
  const [trainable, nonTrainable] = totals(net);
  lines.push('='.repeat(w0 + w1 + 10));
  lines.push(`Total params: ${fmt(trainable + nonTrainable)}`, `Trainable params: ${fmt(trainable)}`,
             `Non-trainable params: ${fmt(nonTrainable)}`);
  return lines.join('\n');
}

const escapeHtml = (text: string) => text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

/** The summary as an HTML table (nested layers indented). */
export function modelSummaryHtml(net: tf.LayersModel): string {
  const rows = summaryRows(net).map((r) =>
    `<tr><td style="text-align:left;padding-left:${0.5 + 1.5 * r.depth}em">${escapeHtml(r.name)} ` +
    `<i>(${escapeHtml(r.className)})</i></td><td>${escapeHtml(r.outputShape)}</td>` +
    `<td style="text-align:right">${fmt(r.trainable + r.nonTrainable)}</td></tr>`).join('');
  const [trainable, nonTrainable] = totals(net);
  return `<table class="d2l-summary"><thead><tr><th>Layer (type)</th><th>Output shape</th><th>Param #</th></tr>` +
    `</thead><tbody>${rows}</tbody></table><p>Total params: ${fmt(trainable + nonTrainable)}<br>` +
    `Trainable params: ${fmt(trainable)}<br>Non-trainable params: ${fmt(nonTrainable)}</p>`;
}

/** The MIME bundle of a model: its summary as an HTML table (sanitizers keep tables) and as text. */
export function modelBundle(net: tf.LayersModel): MimeBundle {
  return htmlBundle(modelSummaryHtml(net), modelSummary(net));
}

/**
 * Installs the model repr on `tf.LayersModel.prototype` (idempotent). d2l installs it at import from its patch
 * table (src/ops/patches.ts).
 */
export function installModelRepr(): void {
  const proto = tf.LayersModel.prototype as any;
  if (Object.prototype.hasOwnProperty.call(proto, MIME_BUNDLE)) return;
  Object.defineProperty(proto, MIME_BUNDLE, {
    value: function mimeBundle(this: tf.LayersModel): MimeBundle { return modelBundle(this); },
    configurable: true, writable: true, enumerable: false,
  });
}
