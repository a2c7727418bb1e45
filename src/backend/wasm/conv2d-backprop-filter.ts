/**
 * `Conv2DBackpropFilter` for the wasm backend, which ships without it (conv nets cannot train on stock wasm).
 *
 * dW[p,q,c,o] = Σ_{b,i,j} x[b, i·s−padT+p, j·s−padL+q, c] · dy[b,i,j,o]
 * is itself a forward convolution once the tensors are transposed: treat the input channel c as the batch,
 * the batch b as the channel, and dy's spatial grid as a filter whose taps are `stride` apart (dilation = stride):
 *   out[c,p,q,o] = Σ_{i,j,b} xT[c, p−padT + i·s, q−padL + j·s, b] · dyT[i,j,b,o]
 * with xT = x^[3,1,2,0] and dyT = dy^[1,2,0,3]; dW = out^[1,2,0,3]. The forward conv runs in XNNPACK, so this is
 * as fast as a forward pass of the same size.
 */
import * as tf from '@tensorflow/tfjs';
import { conv2d, free, run, transpose, WasmBackendLike } from './kernel-utils';

type Pair = [number, number];

function conv2DBackpropFilterWasm(args: { inputs: tf.NamedTensorInfoMap; attrs?: tf.NamedAttrMap; backend: unknown }): tf.TensorInfo {
  const backend = args.backend as WasmBackendLike;
  const { x, dy } = args.inputs as { x: tf.TensorInfo; dy: tf.TensorInfo };
  const attrs = args.attrs as unknown as {
    strides: number | Pair; pad: 'valid' | 'same' | number | tf.backend_util.ExplicitPadding;
    dataFormat: 'NHWC' | 'NCHW'; dimRoundingMode?: 'floor' | 'round' | 'ceil'; filterShape: [number, number, number, number];
  };
  if (attrs.dataFormat === 'NCHW') {
    throw new Error("d2l wasm Conv2DBackpropFilter supports dataFormat 'NHWC' only (the wasm Conv2D kernel is NHWC-only too)");
  }
  const info = tf.backend_util.computeConv2DInfo(
    x.shape as [number, number, number, number], attrs.filterShape, attrs.strides, 1, attrs.pad,
    attrs.dimRoundingMode, false, 'channelsLast');
  const { batchSize, inHeight, inWidth, inChannels, outHeight, outWidth, filterHeight, filterWidth, strideHeight, strideWidth } = info;
  const { top, left } = info.padInfo;

  // Rows/cols of x the forward conv actually read; trailing ones dropped by 'valid' rounding are cropped so the
  // bottom/right padding of the transposed conv is never negative.
  const rowsUsed = (outHeight - 1) * strideHeight + filterHeight - top;
  const colsUsed = (outWidth - 1) * strideWidth + filterWidth - left;
  const keptRows = Math.min(inHeight, rowsUsed);
  const keptCols = Math.min(inWidth, colsUsed);

  const temps: tf.TensorInfo[] = [];
  try {
    let xs = x;
    if (keptRows < inHeight || keptCols < inWidth) {
      xs = run(backend, 'Slice', { x }, { begin: [0, 0, 0, 0], size: [batchSize, keptRows, keptCols, inChannels] });
      temps.push(xs);
    }
    const xT = transpose(backend, xs, [3, 1, 2, 0]);
    temps.push(xT);
    const dyT = transpose(backend, dy, [1, 2, 0, 3]);
    temps.push(dyT);
    const out = conv2d(backend, xT, dyT, {
      strides: 1,
      dilations: [strideHeight, strideWidth] as unknown as number,
      pad: [[0, 0], [top, rowsUsed - keptRows], [left, colsUsed - keptCols], [0, 0]],
    });
    temps.push(out);
    return transpose(backend, out, [1, 2, 0, 3]);
  } finally {
    free(backend, ...temps);
  }
}

/** Kernel config registered for backend 'wasm'. */
export const conv2DBackpropFilterConfig: tf.KernelConfig = {
  kernelName: 'Conv2DBackpropFilter',
  backendName: 'wasm',
  kernelFunc: conv2DBackpropFilterWasm as unknown as tf.KernelFunc,
};
