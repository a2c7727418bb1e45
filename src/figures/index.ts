/**
 * Architecture figures generated from the model objects themselves: the walk (`walk.ts`) gives a Graphviz graph,
 * @viz-js/viz (Graphviz compiled to WebAssembly) lays it out as SVG. A figure is the last value of a notebook cell
 * (it implements the MIME-bundle protocol) or can be passed to `display()`.
 */
import type * as tf from '@tensorflow/tfjs';
import { pictureBundle } from '../display/bundles';
import { MIME_BUNDLE, MimeBundle } from '../display/protocol';
import { ArchitectureGraph, dotString, toDot } from './graph';
import { WalkOptions, addArchitecture } from './walk';

export type { WalkOptions } from './walk';
export { ArchitectureGraph, toDot } from './graph';

/** Options of `drawArchitecture` / `drawArchitectures`. */
export interface ArchitectureOptions extends WalkOptions {
  /** Title drawn above the figure (one model) — `drawArchitectures` takes one title per model instead. */
  title?: string;
  /** Layout direction: 'BT' (default, input at the bottom like the book), 'TB' or 'LR'. */
  rankdir?: 'BT' | 'TB' | 'LR';
}

type Drawable = tf.LayersModel | tf.layers.Layer;

/** A rendered architecture diagram: the DOT source, the SVG, and a text summary of the boxes. */
export class ArchitectureFigure {
  constructor(readonly dot: string, readonly svg: string, readonly boxes: string[]) {}

  /** Jupyter rich display: the SVG as a picture (see display/bundles.ts), with the boxes bottom-up as text. */
  [MIME_BUNDLE](): MimeBundle {
    return pictureBundle({ svg: this.svg, text: this.toString() });
  }

  /** Terminals (and `console.log`) show the one-line summary instead of the whole SVG. */
  [Symbol.for('nodejs.util.inspect.custom')](): string {
    return this.toString();
  }

  toString(): string {
    const shown = this.boxes.length > 12 ? [...this.boxes.slice(0, 12), '…'] : this.boxes;
    return `<architecture figure: ${this.boxes.length} boxes: ${shown.join(' → ')}>`;
  }
}

/** The DOT text for one or several models side by side (no rendering; used by tests and by the draw functions). */
export function architectureDot(nets: Drawable[], titles: (string | undefined)[] = [], opts: ArchitectureOptions = {}):
  { dot: string; graph: ArchitectureGraph } {
  if (nets.length === 0) throw new Error('drawArchitectures needs at least one model or layer');
  const graph = new ArchitectureGraph();
  nets.forEach((net, i) => {
    if (!net || typeof (net as tf.layers.Layer).getClassName !== 'function') {
      throw new Error(`drawArchitecture: item ${i} is not a tfjs model or layer (got ${typeof net})`);
    }
    const title = titles[i];
    const cluster = nets.length > 1 || title ? graph.addCluster(title ?? '', '', false) : '';
    addArchitecture(graph, net, cluster, opts);
  });
  let dot = toDot(graph, opts.rankdir ?? 'BT');
  if (opts.title && nets.length === 1 && !titles[0]) {
    dot = dot.replace('digraph architecture {\n',
      `digraph architecture {\n  label=${dotString(opts.title)}; labelloc=t; fontname="Helvetica"; fontsize=12;\n`);
  }
  return { dot, graph };
}

let vizInstance: Promise<{ renderString(dot: string, opts: { format: string }): string }> | undefined;

/** Renders DOT to SVG with Graphviz (WebAssembly); the module loads once per process. */
export async function renderDot(dot: string): Promise<string> {
  if (!vizInstance) {
    // eslint-disable-next-line @typescript-eslint/no-var-requires
    const viz = require('@viz-js/viz') as { instance(): Promise<any> };
    vizInstance = viz.instance();
  }
  const svg = (await vizInstance).renderString(dot, { format: 'svg' });
  // Drop the XML prolog and DOCTYPE: notebook frontends embed the SVG inline
  return svg.slice(Math.max(0, svg.indexOf('<svg')));
}

/**
 * Draws a model (or a single layer such as a Residual or Inception block) as a block diagram built from the
 * object itself: its `.layers`, its blocks' `.subLayers` and their configuration.
 *
 * @example
 * await d2l.drawArchitecture(d2l.googlenet(), { collapse: ['Inception'] })
 */
export async function drawArchitecture(net: Drawable, opts: ArchitectureOptions = {}): Promise<ArchitectureFigure> {
  return drawArchitectures([net], opts.title ? [opts.title] : [], { ...opts, title: undefined });
}

/** Draws several models side by side (e.g. LeNet vs AlexNet), each under its title. */
export async function drawArchitectures(nets: Drawable[], titles: string[] = [],
                                        opts: ArchitectureOptions = {}): Promise<ArchitectureFigure> {
  const { dot, graph } = architectureDot(nets, titles, opts);
  const svg = await renderDot(dot);
  return new ArchitectureFigure(dot, svg, graph.nodes.map((n) => n.lines.join(' / ')));
}
