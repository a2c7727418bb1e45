/**
 * MaxPool / AvgPool forward and MaxPoolGrad on oneDNN; AvgPoolGrad (and MaxPoolGrad without a workspace) as
 * OpenMP loops in the addon. A deferred zero pad as input is written out for the call only (../deferred-pad.ts).
 */
import * as tf from '@tensorflow/tfjs';
import type { MathBackendCPU } from '@tensorflow/tfjs-backend-cpu';
import { allocate, allocateScratch, release } from '../buffer-pool';
import { withValues } from '../deferred-pad';
import { addon, cpuFallback, f32, KernelArgs, output, size, TensorInfo } from '../util';

interface PoolAttrs {
  filterSize: [number, number] | number;
  strides: [number, number] | number;
  pad: 'valid' | 'same' | number | tf.backend_util.ExplicitPadding;
  dimRoundingMode?: 'floor' | 'round' | 'ceil';
}

function poolInfo(xShape: number[], a: PoolAttrs): tf.backend_util.Conv2DInfo {
  return tf.backend_util.computePool2DInfo(xShape as [number, number, number, number], a.filterSize, a.strides, 1,
    a.pad, a.dimRoundingMode);
}

function params(c: tf.backend_util.Conv2DInfo): number[] {
  return [c.batchSize, c.inHeight, c.inWidth, c.inChannels, c.filterHeight, c.filterWidth, c.outHeight, c.outWidth,
    c.strideHeight, c.strideWidth, c.padInfo.top, c.padInfo.left];
}

/**
 * oneDNN's workspace of a max pool run for training: each window's argmax (a byte per output), kept until the
 * output tensor is disposed. tfjs hands MaxPoolGrad that output, so the gradient is a scatter by the saved argmax
 * rather than a second search of every window (GoogLeNet's 3×3 stride-1 pools read each input nine times).
 */
interface Workspace {
  buffer: Float32Array;
  /** The geometry it was written for (`params` joined). */
  geometry: string;
}
const workspaces = new Map<tf.DataId, Workspace>();

/** True while tfjs records a tape (inside tf.grad / variableGrads / optimizer.minimize / fit). */
function recordingGradients(): boolean {
  return tf.engine().state.gradientDepth > 0;
}

function poolForward(name: string, args: KernelArgs, isMax: boolean): TensorInfo | TensorInfo[] {
  const backend = args.backend as MathBackendCPU;
  const x = (args.inputs as Record<string, TensorInfo>).x;
  if (x.dtype !== 'float32' || x.shape.length !== 4) return cpuFallback(name, args);
  // a deferred zero pad (zeroPadding2d before the pool) is read without being kept: see `withValues`
  return withValues(backend, x, (xv) => {
    if (xv == null) return cpuFallback(name, args);
    const c = poolInfo(x.shape, args.attrs as unknown as PoolAttrs);
    const p = params(c);
    const out = allocate(size(c.outShape));
    if (!isMax || !recordingGradients()) {
      addon().pool(xv, out, p, isMax);
      return output(backend, c.outShape.slice(), out);
    }
    // Training: keep the argmax for MaxPoolGrad (see `workspaces`).
    const ws = allocateScratch(Math.ceil(addon().maxPoolWorkspaceBytes(p) / Float32Array.BYTES_PER_ELEMENT));
    addon().maxPoolForTraining(xv, out, ws, p);
    const y = output(backend, c.outShape.slice(), out);
    workspaces.set(y.dataId, { buffer: ws, geometry: p.join() });
    return y;
  });
}

/** The native backend drops a tensor's data: its workspace, if it has one, goes back to the buffer pool. */
export function releaseMaxPoolWorkspace(dataId: tf.DataId): void {
  const ws = workspaces.get(dataId);
  if (ws === undefined) return;
  workspaces.delete(dataId);
  release(ws.buffer);
}

/** Max pools alive with a workspace (for tests: it must drop to 0 when their outputs are disposed). */
export function maxPoolWorkspaceCount(): number {
  return workspaces.size;
}

function maxPoolGrad(args: KernelArgs): TensorInfo | TensorInfo[] {
  const backend = args.backend as MathBackendCPU;
  const { dy, input, output: y } = args.inputs as Record<string, TensorInfo>;
  const dyv = f32(backend, dy);
  if (dyv == null || input.dtype !== 'float32') return cpuFallback(tf.MaxPoolGrad, args);
  const c = poolInfo(input.shape, args.attrs as unknown as PoolAttrs);
  const p = params(c);
  const ws = y == null ? undefined : workspaces.get(y.dataId);
  // With the forward's argmax the input's values are not read (it may be a deferred pad: it stays one)
  if (ws !== undefined && ws.geometry === p.join()) {
    const dx = allocate(size(input.shape));
    addon().maxPoolGradFromWorkspace(dyv, ws.buffer, dx, p);
    return output(backend, input.shape.slice(), dx);
  }
  return withValues(backend, input, (xv) => {
    if (xv == null) return cpuFallback(tf.MaxPoolGrad, args);
    const dx = allocate(size(input.shape));
    addon().maxPoolGrad(dyv, xv, dx, p);
    return output(backend, input.shape.slice(), dx);
  });
}

/**
 * The gradient divides by the number of in-image cells of each window, i.e. by what the forward pass
 * averaged over. (tfjs' cpu AvgPoolGrad divides by the full window size even where 'same' padding
 * made the forward average smaller; for 'valid' pooling both agree.)
 */
function avgPoolGrad(args: KernelArgs): TensorInfo | TensorInfo[] {
  const backend = args.backend as MathBackendCPU;
  const { dy, input } = args.inputs as Record<string, TensorInfo>;
  const dyv = f32(backend, dy);
  if (dyv == null || input.dtype !== 'float32') return cpuFallback(tf.AvgPoolGrad, args);
  const c = poolInfo(input.shape, args.attrs as unknown as PoolAttrs);
  const dx = allocate(size(input.shape));
  addon().avgPoolGrad(dyv, dx, params(c), true);
  return output(backend, input.shape.slice(), dx);
}

export const poolKernels: Array<Omit<tf.KernelConfig, 'backendName'>> = [
  { kernelName: tf.MaxPool, kernelFunc: (args) => poolForward(tf.MaxPool, args, true) },
  { kernelName: tf.AvgPool, kernelFunc: (args) => poolForward(tf.AvgPool, args, false) },
  { kernelName: tf.MaxPoolGrad, kernelFunc: maxPoolGrad },
  { kernelName: tf.AvgPoolGrad, kernelFunc: avgPoolGrad },
];
