/**
 * Turns a model object into an `ArchitectureGraph` by walking it: containers (`tf.Sequential` used as a layer)
 * through `.layers`, the chapter's composite layers through the data flow each block registers with its class
 * (`blockFlow`: Residual's add, Inception's four paths, DenseBlock's concatenations), and other composites as a
 * chain of their `.subLayers`.
 */
import * as tf from '@tensorflow/tfjs';
import { FlowStep, blockFlow } from '../layers/composite';
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
      const flow = blockFlow(layer);
      if (flow) return this.flow(flow, input, inner);
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

  /** Draws a block's data flow from node `input`; returns the node holding its output. */
  private flow(steps: FlowStep[], input: string, cluster: string): string {
    return steps.reduce((cur, step) => {
      if (step === 'relu') return this.box(['ReLU'], 'activation', cur, cluster);
      if (step instanceof tf.layers.Layer) return this.emit(step as AnyLayer, cur, cluster);
      const ends = step.paths.map((path) => this.flow(path, cur, cluster));
      const label = step.label ?? (step.join === 'add' ? '+' : 'Concat (channels)');
      const join = this.g.addNode([label], 'join', cluster);
      step.paths.forEach((path, i) => this.g.addEdge(ends[i], join, path.length === 0));
      return join;
    }, input);
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
