/**
 * Numerical parity with the book's PyTorch code: exports a tfjs net's weights and input to a temp dir, computes
 * the tfjs results, runs test/torch/parity.py (Debian's /usr/bin/python3 with python3-torch) to build the PyTorch
 * twin with the same weights, and compares outputs, gradients and updated moving statistics.
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as tf from '@tensorflow/tfjs';

export const PYTHON = '/usr/bin/python3';
const SCRIPT = path.join(__dirname, 'parity.py');

/** 'eval': prediction mode; 'train': training mode + gradients + moving stats; 'evalgrad': gradients in
 *  prediction mode (for nets with dropout, whose training-mode output is random). */
export type Mode = 'eval' | 'train' | 'evalgrad';

export interface ParityCase {
  id: string;
  /** Twin kind in parity.py's `build`, and its arguments. */
  kind: string;
  args?: Record<string, unknown>;
  net: tf.LayersModel;
  input: tf.Tensor;
  modes: Mode[];
}

/** One compared tensor: the largest absolute difference against the largest reference magnitude. */
export interface Comparison {
  name: string;
  maxAbsDiff: number;
  maxRef: number;
}

interface Leaf {
  layer: tf.layers.Layer;
  kind: 'conv' | 'dense' | 'bn' | 'sbn';
  flattenFrom?: number[];
}

const KINDS: Record<string, Leaf['kind']> = { Conv2D: 'conv', Dense: 'dense', BatchNormalization: 'bn', BatchNorm: 'sbn' };

function children(layer: tf.layers.Layer): tf.layers.Layer[] {
  const sub = (layer as any).subLayers;
  if (Array.isArray(sub)) return sub;
  if (layer instanceof tf.LayersModel) return layer.layers;
  return [];
}

/**
 * The layers with weights in PyTorch's `net.modules()` order. A Dense right after a top-level Flatten of a
 * 4-D map records that map's [h, w, c], so the twin can reorder the kernel rows (NHWC vs NCHW flattening).
 */
export function leafLayers(net: tf.LayersModel, inputShape: number[]): Leaf[] {
  const out: Leaf[] = [];
  let flattenFrom: number[] | undefined;
  let shape: tf.Shape = inputShape;
  const visit = (layer: tf.layers.Layer) => {
    const kids = children(layer);
    if (kids.length > 0) { kids.forEach(visit); return; }
    if (layer.weights.length === 0) return;
    const kind = KINDS[layer.getClassName()];
    if (!kind) throw new Error(`parity: no PyTorch twin for weights of ${layer.getClassName()} ${layer.name}`);
    out.push({ layer, kind, flattenFrom: kind === 'dense' ? flattenFrom : undefined });
    if (kind === 'dense') flattenFrom = undefined;
  };
  for (const layer of net.layers) {
    if (layer.getClassName() === 'Flatten' && shape.length === 4) flattenFrom = shape.slice(1) as number[];
    if (layer.getClassName() !== 'InputLayer') shape = layer.computeOutputShape(shape) as tf.Shape;
    visit(layer);
  }
  return out;
}

const baseName = (w: tf.LayerVariable) => w.originalName.split('/').pop() as string;

function writeF32(file: string, t: tf.Tensor): void {
  fs.writeFileSync(file, Buffer.from((t.dataSync() as Float32Array).buffer.slice(0)));
}

function readF32(file: string): Float32Array {
  const buf = fs.readFileSync(file);
  return new Float32Array(buf.buffer, buf.byteOffset, buf.byteLength / 4);
}

/** Runs the cases in tfjs and in PyTorch; returns the comparisons per case id. */
export function runParity(cases: ParityCase[]): Map<string, Comparison[]> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'd2l-parity-'));
  try {
    const mine = new Map<string, Map<string, Float32Array>>();
    const specs = cases.map((c) => exportCase(dir, c, mine));
    fs.writeFileSync(path.join(dir, 'cases.json'), JSON.stringify(specs));
    const run = spawnSync(PYTHON, [SCRIPT, dir], { encoding: 'utf8', maxBuffer: 1 << 24 });
    if (run.status !== 0) throw new Error(`parity.py failed (${run.status}): ${run.stderr}`);
    const result = new Map<string, Comparison[]>();
    for (const c of cases) {
      const outDir = path.join(dir, 'out', c.id);
      const index = JSON.parse(fs.readFileSync(path.join(outDir, 'index.json'), 'utf8')) as Record<string, number[]>;
      const ours = mine.get(c.id) as Map<string, Float32Array>;
      const comps: Comparison[] = [];
      for (const [name, ref] of Object.entries(index).map(([n]) => [n, readF32(path.join(outDir, `${n}.bin`))] as const)) {
        const a = ours.get(name);
        if (!a) throw new Error(`${c.id}: PyTorch produced ${name}, tfjs did not`);
        if (a.length !== ref.length) throw new Error(`${c.id}/${name}: ${a.length} values vs PyTorch ${ref.length}`);
        let maxAbsDiff = 0;
        let maxRef = 0;
        for (let i = 0; i < a.length; i++) {
          maxAbsDiff = Math.max(maxAbsDiff, Math.abs(a[i] - ref[i]));
          maxRef = Math.max(maxRef, Math.abs(ref[i]));
        }
        comps.push({ name, maxAbsDiff, maxRef });
      }
      const missing = [...ours.keys()].filter((k) => !(k in index));
      if (missing.length > 0) throw new Error(`${c.id}: PyTorch did not produce ${missing.join(', ')}`);
      result.set(c.id, comps);
    }
    return result;
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

function exportCase(dir: string, c: ParityCase, mine: Map<string, Map<string, Float32Array>>): object {
  const leaves = leafLayers(c.net, c.input.shape);
  const results = new Map<string, Float32Array>();
  mine.set(c.id, results);
  const leafSpecs = leaves.map((leaf, i) => {
    const files = leaf.layer.weights.map((w, j) => {
      const f = `${c.id}_l${i}_${j}.bin`;
      writeF32(path.join(dir, f), w.read());
      return f;
    });
    return { kind: leaf.kind, flattenFrom: leaf.flattenFrom, files, names: leaf.layer.weights.map(baseName),
             shapes: leaf.layer.weights.map((w) => w.shape) };
  });
  const inputFile = `${c.id}_x.bin`;
  writeF32(path.join(dir, inputFile), c.input);
  const outputShape = c.net.layers.filter((l) => l.getClassName() !== 'InputLayer')
    .reduce((s: tf.Shape, l) => l.computeOutputShape(s) as tf.Shape, c.input.shape) as number[];
  const rFile = `${c.id}_r.bin`;
  tf.tidy(() => {
    if (c.modes.includes('eval')) results.set('y_eval', (c.net.predict(c.input) as tf.Tensor).dataSync() as Float32Array);
    const gradMode = c.modes.find((m) => m === 'train' || m === 'evalgrad');
    if (gradMode) {
      const training = gradMode === 'train';
      const R = tf.randomNormal(outputShape, 0, 1, 'float32', 7);
      writeF32(path.join(dir, rFile), R);
      const x = tf.variable(c.input, true);
      const vars = leaves.flatMap((l) => l.layer.trainableWeights.map((w) => w.read() as tf.Variable));
      const { grads } = tf.variableGrads(() => {
        const y = c.net.apply(x, { training }) as tf.Tensor;
        // variableGrads disposes y on return: read it here
        results.set(training ? 'y_train' : 'y_evalgrad', y.dataSync().slice() as Float32Array);
        return y.mul(R).sum() as tf.Scalar;
      }, [x, ...vars]);
      results.set('dx', grads[x.name].dataSync() as Float32Array);
      leaves.forEach((leaf, i) => {
        for (const w of leaf.layer.trainableWeights) {
          results.set(`g${i}_${baseName(w)}`, grads[(w.read() as tf.Variable).name].dataSync() as Float32Array);
        }
        if (training) {
          for (const w of leaf.layer.nonTrainableWeights) {
            results.set(`s${i}_${baseName(w)}`, w.read().dataSync() as Float32Array);
          }
        }
      });
      x.dispose();
    }
  });
  return { id: c.id, kind: c.kind, args: c.args ?? {}, inputShape: c.input.shape, input: inputFile, r: rFile,
           outputShape, modes: c.modes, leaves: leafSpecs };
}

/** True when Debian's python3 with torch is present (the tests need it; CI installs python3-torch). */
export function torchAvailable(): boolean {
  const r = spawnSync(PYTHON, ['-c', 'import torch, numpy'], { encoding: 'utf8' });
  return r.status === 0;
}

/**
 * Gives every batch-norm layer non-trivial statistics and affine parameters (fresh ones are 0/1, which would let
 * layout mistakes in the moving statistics go unnoticed).
 */
export function randomizeBatchNorm(net: tf.LayersModel, seed = 3): void {
  for (const w of net.weights) {
    const name = w.originalName.split('/').pop() as string;
    if (/^(moving_var|moving_variance|gamma)$/.test(name)) {
      tf.tidy(() => { w.write(tf.randomUniform(w.shape as number[], 0.5, 1.5, 'float32', seed++)); });
    } else if (/^(moving_mean|beta)$/.test(name)) {
      tf.tidy(() => { w.write(tf.randomNormal(w.shape as number[], 0, 0.5, 'float32', seed++)); });
    }
  }
}

/** Relative tolerance of the parity tests (issue 3: "within 1e-4 relative"). */
export const PARITY_RTOL = 1e-4;

/**
 * A reference this small next to the case's largest is float64 rounding noise around an analytically zero tensor
 * (measured: such references sit at 1e-14…1e-17 of the case's largest, the smallest real ones at 4e-5).
 */
export const ANALYTIC_ZERO = 1e-9;

/**
 * Asserts every comparison of a case is within `rtol` of the reference's magnitude. Only a tensor that is
 * analytically zero (a conv bias feeding a training-mode batch norm has zero gradient), i.e. whose reference is
 * below ANALYTIC_ZERO of the case's largest, is judged against 1% of that largest magnitude instead of its own
 * float noise; every other tensor, however small, against its own magnitude. Returns a one-line summary.
 */
export function checkParity(id: string, comps: Comparison[], rtol = PARITY_RTOL): string {
  const caseMax = Math.max(...comps.map((c) => c.maxRef));
  let worst = 0;
  for (const c of comps) {
    const scale = c.maxRef <= ANALYTIC_ZERO * caseMax ? 0.01 * caseMax : c.maxRef;
    const rel = c.maxAbsDiff / scale;
    worst = Math.max(worst, rel);
    if (!(rel <= rtol)) {
      throw new Error(`${id}/${c.name}: max |diff| ${c.maxAbsDiff.toExponential(3)} vs reference magnitude ` +
                      `${c.maxRef.toExponential(3)} (relative ${rel.toExponential(3)} > ${rtol})`);
    }
  }
  return `${id}: ${comps.length} tensors, worst relative difference ${worst.toExponential(2)}`;
}
