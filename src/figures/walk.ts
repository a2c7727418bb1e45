/**
 * Turns a model object into an `ArchitectureGraph` by walking it: containers (`tf.Sequential` used as a layer)
 * through `.layers`, the chapter's composite layers through `.subLayers` (contract), with the data flow of the
 * blocks whose `call` is not a chain — Residual (two convs, optional 1×1 shortcut conv, add), Inception (four
 * parallel paths, concatenation) and DenseBlock (concatenate input and output after every conv block).
 */
import * as tf from '@tensorflow/tfjs';
import { ArchitectureGraph } from './graph';
import { NodeKind, describeCollapsed, describeLayer, zeroPaddingOf } from './labels';

/** Options of the architecture walk. */
export interface WalkOptions {
  /**
   * Fold activations, batch norm, dropout and flatten into the box of the layer they follow (as the book's
   * figures do). Default true; false draws every layer as its own box.
   */
  fold?: boolean;
  /** Class names of composite layers to draw as one box each, e.g. `['Inception']` for the GoogLeNet overview. */
  collapse?: string[];
}

type AnyLayer = tf.layers.Layer & { layers?: tf.layers.Layer[]; subLayers?: tf.layers.Layer[] };
type Walkable = tf.LayersModel | tf.layers.Layer;

const FOLDABLE = new Set<NodeKind>(['activation', 'norm', 'dropout', 'reshape']);

class Walker {
  private pendingPad: number | string | undefined;

  constructor(readonly g: ArchitectureGraph, private readonly opts: Required<WalkOptions>) {}

  /** Draws `layer` fed by node `input` inside `cluster`; returns the node holding its output. */
  emit(layer: AnyLayer, input: string, cluster: string, top = false): string {
    const cls = layer.getClassName();
    if (cls === 'InputLayer') return input;
    if (cls === 'ZeroPadding2D') {
      this.pendingPad = zeroPaddingOf(layer); // shown on the conv/pool it pads, like PyTorch's `padding=`
      return input;
    }
    if (Array.isArray(layer.layers)) {
      const inner = top ? cluster : this.g.addCluster('', cluster, true);
      return layer.layers.reduce((cur, l) => this.emit(l as AnyLayer, cur, inner), input);
    }
    const subLayers = this.subLayersOf(layer);
    if (subLayers) {
      if (this.opts.collapse.includes(cls)) return this.box(describeCollapsed(layer), 'block', input, cluster);
      const inner = top ? cluster : this.g.addCluster(cls, cluster, false);
      if (cls === 'Residual' && 'conv1' in layer) return this.residual(layer as any, input, inner);
      if (cls === 'Inception' && 'p1_1' in layer) return this.inception(layer as any, input, inner);
      if (cls === 'DenseBlock') return this.denseBlock(subLayers, input, inner);
      return subLayers.reduce((cur, l) => this.emit(l as AnyLayer, cur, inner), input);
    }
    const { lines, kind } = describeLayer(layer, this.pendingPad);
    this.pendingPad = undefined;
    return this.box(lines, kind, input, cluster);
  }

  /** A new box fed by `input`, or the lines folded into `input`'s box when that is how the book draws it. */
  box(lines: string[], kind: NodeKind, input: string, cluster: string): string {
    if (this.opts.fold && kind === 'reshape') return input; // Flatten adds nothing to a block diagram
    if (this.opts.fold && FOLDABLE.has(kind) && this.canFoldInto(input, cluster)) {
      const target = this.g.node(input);
      if (target.lines.length === 1) target.lines.push(lines.join(', '));
      else target.lines[target.lines.length - 1] += `, ${lines.join(', ')}`;
      return input;
    }
    const id = this.g.addNode(lines, kind, cluster);
    this.g.addEdge(input, id);
    return id;
  }

  private canFoldInto(id: string, cluster: string): boolean {
    const n = this.g.node(id);
    return !['input', 'join', 'block'].includes(n.kind) && n.cluster === cluster && this.g.outDegree(id) === 0;
  }

  private subLayersOf(layer: AnyLayer): tf.layers.Layer[] | undefined {
    if (!Array.isArray(layer.subLayers)) return undefined;
    // Blocks such as DenseBlock create their sub-layers in build(): build from the declared input shape
    if (layer.subLayers.length === 0 && !layer.built && layer.batchInputShape) {
      layer.apply(tf.input({ batchShape: layer.batchInputShape }));
    }
    return layer.subLayers.length > 0 ? layer.subLayers : undefined;
  }

  private residual(r: Record<string, AnyLayer | null>, input: string, cluster: string): string {
    if (r.pad1) this.pendingPad = zeroPaddingOf(r.pad1);
    let y = this.emit(r.conv1!, input, cluster);
    y = this.emit(r.bn1!, y, cluster);
    y = this.box(['ReLU'], 'activation', y, cluster);
    y = this.emit(r.conv2!, y, cluster);
    y = this.emit(r.bn2!, y, cluster);
    const shortcut = r.conv3 ? this.emit(r.conv3, input, cluster) : input;
    const add = this.g.addNode(['+'], 'join', cluster);
    this.g.addEdge(y, add);
    this.g.addEdge(shortcut, add, !r.conv3);
    const out = this.g.addNode(['ReLU'], 'activation', cluster);
    this.g.addEdge(add, out);
    return out;
  }

  private inception(b: Record<string, AnyLayer>, input: string, cluster: string): string {
    const paths = [[b.p1_1], [b.p2_1, b.p2_2], [b.p3_1, b.p3_2], [b.p4_1, b.p4_2]];
    const ends = paths.map((path) => path.reduce((cur, l) => this.emit(l, cur, cluster), input));
    const cat = this.g.addNode(['Concat (channels)'], 'join', cluster);
    for (const end of ends) this.g.addEdge(end, cat);
    return cat;
  }

  private denseBlock(blocks: tf.layers.Layer[], input: string, cluster: string): string {
    let cur = input;
    for (const blk of blocks) {
      const y = this.emit(blk as AnyLayer, cur, cluster);
      const cat = this.g.addNode(['[ , ]'], 'join', cluster);
      this.g.addEdge(cur, cat, true);
      this.g.addEdge(y, cat);
      cur = cat;
    }
    return cur;
  }
}

function inputLabel(net: Walkable): string {
  let shape: (number | null)[] | undefined;
  if (net instanceof tf.LayersModel) shape = net.inputs[0]?.shape;
  else shape = net.batchInputShape ?? undefined;
  if (!shape) return 'Input';
  const dims = shape.slice(1);
  if (dims.length === 3 && dims[0] !== null && dims[1] !== null) return `Input ${dims[0]}×${dims[1]}×${dims[2]}`;
  if (dims.length === 3) return `Input, ${dims[2]} channels`;
  return `Input ${dims.map((d) => d ?? '?').join('×')}`;
}

/**
 * Adds `net` to `g` (inside `cluster`, '' for the top level), starting from an input box; returns the last node.
 * A single composite layer is drawn expanded (its class name is the cluster title when `cluster` is new).
 */
export function addArchitecture(g: ArchitectureGraph, net: Walkable, cluster: string, opts: WalkOptions = {}): string {
  const walker = new Walker(g, { fold: opts.fold ?? true, collapse: opts.collapse ?? [] });
  const input = g.addNode([inputLabel(net)], 'input', cluster);
  return walker.emit(net as AnyLayer, input, cluster, true);
}
