/**
 * Backpropagation that frees memory as it goes (replaces `tf.engine().gradients`).
 *
 * tfjs' own backward pass keeps every tensor saved for backprop, and every intermediate gradient, alive until
 * the whole pass ends, so its peak is "all saved activations + all their gradients". PyTorch frees a node's
 * saved tensors and its output gradients as soon as the node has been differentiated, which is why its peak on
 * ResNet-18 (batch 256, 96²) was a third of ours. This does the same, with the same results:
 * - after a node's gradient functions ran, the gradients of its outputs are released (they were consumed), and
 *   so are its saved tensors (no other node uses them: each node saves its own clones);
 * - nothing the caller passed in or asked for is released (the xs' gradients, a caller-supplied dy).
 * Higher-order gradients (a gradient taken inside another gradient's f) keep tfjs' behaviour: the saved tensors
 * then stay until the outermost pass ends, as the outer tape may still need them.
 *
 * The forward pass, tape filtering and error messages follow tfjs' engine; the walk is re-implemented here
 * because tfjs does not export its tape helpers.
 */
import * as tf from '@tensorflow/tfjs';

/** The tape node fields used here (tfjs-core's TapeNode). */
interface TapeNode {
  id: number;
  kernelName: string;
  inputs: Record<string, tf.Tensor>;
  outputs: tf.Tensor[];
  gradient?: (dys: Array<tf.Tensor | null>) => Record<string, () => tf.Tensor>;
  saved?: tf.Tensor[];
}

/** The Engine members used here (they are public in tfjs-core's class, but not in tf.engine()'s typing). */
interface EngineLike {
  state: { activeTape: TapeNode[] | null; gradientDepth: number };
  scopedRun<T>(start: () => void, end: () => void, f: () => T): T;
  startTape(): void;
  endTape(): void;
  tidy<T extends tf.TensorContainer>(nameOrFn: string | (() => T), fn?: () => T): T;
  gradients: Gradients;
}

type Gradients = <T extends tf.Tensor>(f: () => T, xs: tf.Tensor[], dy?: T, allowNoGradients?: boolean) =>
  { value: T; grads: tf.Tensor[] };

/** The nodes on a path from some x to y, each with only the inputs that depend on an x (as tfjs filters). */
export function nodesFromXsToY(tape: TapeNode[], xs: tf.Tensor[], y: tf.Tensor): TapeNode[] {
  const fromX = new Set<number>(xs.map((x) => x.id));
  const nodeFromX = new Set<number>();
  for (const node of tape) {
    if (Object.values(node.inputs).some((t) => fromX.has(t.id))) {
      nodeFromX.add(node.id);
      for (const o of node.outputs) fromX.add(o.id);
    }
  }
  const toY = new Set<number>([y.id]);
  const nodeToY = new Set<number>();
  for (let i = tape.length - 1; i >= 0; i--) {
    const node = tape[i];
    if (node.outputs.some((o) => toY.has(o.id))) {
      nodeToY.add(node.id);
      for (const t of Object.values(node.inputs)) toY.add(t.id);
    }
  }
  return tape.filter((n) => nodeFromX.has(n.id) && nodeToY.has(n.id)).map((node) => {
    const inputs: Record<string, tf.Tensor> = {};
    for (const [name, t] of Object.entries(node.inputs)) if (fromX.has(t.id)) inputs[name] = t;
    return { ...node, inputs };
  });
}

function backpropagate(engine: EngineLike, tape: TapeNode[], grads: Map<number, tf.Tensor>,
                       isProtected: (t: tf.Tensor) => boolean, releaseSaved: boolean): void {
  for (let i = tape.length - 1; i >= 0; i--) {
    const node = tape[i];
    const dys = node.outputs.map((o) => grads.get(o.id) ?? null);
    if (node.gradient == null) throw new Error(`Cannot compute gradient: gradient function not found for ${node.kernelName}.`);
    const inputGradients = node.gradient(dys);
    const produced = new Set<tf.Tensor>();
    for (const [name, x] of Object.entries(node.inputs)) {
      const fn = inputGradients[name];
      if (fn == null) {
        throw new Error(`Cannot backprop through input ${name}. Available gradients found: ${Object.keys(inputGradients)}.`);
      }
      const dx = engine.tidy(fn);
      if (dx.dtype !== 'float32') {
        throw new Error(`Error in gradient for op ${node.kernelName}. The gradient of input ${name} must have ` +
          `'float32' dtype, but has '${dx.dtype}'`);
      }
      if (!tf.util.arraysEqual(dx.shape, x.shape)) {
        throw new Error(`Error in gradient for op ${node.kernelName}. The gradient of input '${name}' has shape ` +
          `'${dx.shape}', which does not match the shape of the input '${x.shape}'`);
      }
      const current = grads.get(x.id);
      if (current == null) {
        grads.set(x.id, dx);
        produced.add(dx);
      } else {
        const sum = tf.add(current, dx);
        grads.set(x.id, sum);
        produced.add(sum);
        if (!isProtected(current)) current.dispose();
        if (!isProtected(dx)) dx.dispose();
      }
    }
    // The outputs' gradients are consumed. A gradient function may hand a dy back unchanged as an input's
    // gradient: that one lives on under the input's id.
    for (const o of node.outputs) {
      const g = grads.get(o.id);
      grads.delete(o.id);
      if (g != null && !produced.has(g) && !isProtected(g)) g.dispose();
    }
    if (releaseSaved) for (const t of node.saved ?? []) t.dispose();
  }
}

let original: Gradients | null = null;

/**
 * Installs the memory-lean backward pass on tfjs' engine (idempotent). d2l installs it at import from its patch
 * table (src/ops/patches.ts), which skips it under `D2L_LEAN_BACKPROP=0`.
 */
export function installLeanGradients(): void {
  const engine = tf.engine() as unknown as EngineLike;
  if (original != null) return;
  original = engine.gradients;
  engine.gradients = leanGradients;
}

/** Whether tfjs' engine runs this module's backward pass now. */
export function leanGradientsInstalled(): boolean {
  return (tf.engine() as unknown as EngineLike).gradients === leanGradients;
}

function leanGradients<T extends tf.Tensor>(this: EngineLike, f: () => T, xs: tf.Tensor[], dy?: T,
  allowNoGradients = false): { value: T; grads: tf.Tensor[] } {
  tf.util.assert(xs.length > 0, () => 'gradients() received an empty list of xs.');
  if (dy != null && dy.dtype !== 'float32') throw new Error(`dy must have 'float32' dtype, but has '${dy.dtype}'`);
  const y = this.scopedRun(() => this.startTape(), () => this.endTape(), () => this.tidy('forward', f));
  tf.util.assert(y instanceof tf.Tensor, () => 'The result y returned by f() must be a tensor.');
  const tape = nodesFromXsToY(this.state.activeTape ?? [], xs, y);
  if (!allowNoGradients && tape.length === 0 && xs.length > 0) {
    throw new Error('Cannot compute gradient of y=f(x) with respect to x. Make sure that the f you passed ' +
      'encloses all operations that lead from x to y.');
  }
  return this.tidy('backward', () => {
    const grads = new Map<number, tf.Tensor>();
    const seed = dy ?? tf.ones(y.shape);
    grads.set(y.id, seed);
    // Never release what the caller gave (dy) or gets back (whatever sits under an x's id).
    const xIds = xs.map((x) => x.id);
    const isProtected = (t: tf.Tensor) => t === dy || xIds.some((id) => grads.get(id) === t);
    backpropagate(this, tape, grads, isProtected, this.state.gradientDepth === 0);
    const result = xs.map((x) => grads.get(x.id) as tf.Tensor);
    if (this.state.gradientDepth === 0) {
      for (const node of this.state.activeTape ?? []) for (const t of node.saved ?? []) t.dispose();
      this.state.activeTape = null;
    }
    return { value: y, grads: result } as unknown as { value: T; grads: tf.Tensor[] };
  }) as unknown as { value: T; grads: tf.Tensor[] };
}

/** Puts tfjs' own backward pass back (for A/B measurements and tests). */
export function uninstallLeanGradients(): void {
  if (original == null) return;
  (tf.engine() as unknown as EngineLike).gradients = original;
  original = null;
}
