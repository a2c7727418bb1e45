/**
 * Fast `AvgPoolGrad` for the wasm backend.
 *
 * The stock C++ kernel is correct but loops over every (input cell × window tap) with scalar index arithmetic;
 * in a LeNet-BN step it cost as much as a convolution. This kernel scatters each output gradient, scaled by
 * 1/(filter area) exactly as the cpu backend does (padding cells included in the divisor), onto the in-bounds
 * cells of its window, channels innermost, directly in the wasm heap.
 * Windows that tile the input (stride = window, no padding: LeNet's and DenseNet's 2×2/2) make dx a nearest-
 * neighbour upsampling of dy/area: each dx row is written once (1.3 vs 3.3 ms for LeNet's [256,24,24,6]).
 */
import * as tf from '@tensorflow/tfjs';
import { f32, poolGradArgs } from './kernel-utils';

function avgPoolGradWasm(args: { inputs: tf.NamedTensorInfoMap; attrs?: tf.NamedAttrMap; backend: unknown }): tf.TensorInfo {
  const { backend, dy, input, info } = poolGradArgs(args);
  const { batchSize, inHeight, inWidth, inChannels: ch, outHeight, outWidth, strideHeight, strideWidth } = info;
  const { effectiveFilterHeight: fh, effectiveFilterWidth: fw, dilationHeight: dh, dilationWidth: dw } = info;
  const { top, left } = info.padInfo;
  const scale = 1 / (info.filterHeight * info.filterWidth);

  const dxInfo = backend.makeOutput(input.shape, 'float32');
  const dx = f32(backend, dxInfo); // views after the allocation: it may have grown the heap
  const g = f32(backend, dy);
  if (fh === strideHeight && fw === strideWidth && top === 0 && left === 0 && dh === 1 && dw === 1) {
    upsample(dx, g, info, scale);
    return dxInfo;
  }
  dx.fill(0);
  const scaled = new Float32Array(ch);
  const rowStride = inWidth * ch;
  for (let b = 0; b < batchSize; b++) {
    const xBatch = b * inHeight * rowStride;
    for (let yr = 0; yr < outHeight; yr++) {
      const rCorner = yr * strideHeight - top;
      const rMin = Math.max(0, rCorner);
      const rMax = Math.min(inHeight, rCorner + fh);
      for (let yc = 0; yc < outWidth; yc++) {
        const cCorner = yc * strideWidth - left;
        const cMin = Math.max(0, cCorner);
        const cMax = Math.min(inWidth, cCorner + fw);
        const gBase = ((b * outHeight + yr) * outWidth + yc) * ch;
        for (let d = 0; d < ch; d++) scaled[d] = g[gBase + d] * scale;
        for (let r = rMin; r < rMax; r += dh) {
          for (let c = cMin; c < cMax; c += dw) {
            const base = xBatch + r * rowStride + c * ch;
            for (let d = 0; d < ch; d++) dx[base + d] += scaled[d];
          }
        }
      }
    }
  }
  return dxInfo;
}

/** dx for windows that tile the input: dx[b,r,c,:] = dy[b, r/fh, c/fw, :]·scale, 0 past the last window. */
function upsample(dx: Float32Array, g: Float32Array, info: tf.backend_util.Conv2DInfo, scale: number): void {
  const { batchSize, inHeight, inWidth, inChannels: ch, outHeight, outWidth, filterHeight: fh, filterWidth: fw } = info;
  const rowLen = inWidth * ch;
  // 'same' padding with stride = window pads only bottom/right: the last window may reach past the input.
  const cols = Math.min(inWidth, outWidth * fw);
  const covered = cols * ch; // the rest of a row (cols past the last window, 'valid') is 0
  for (let b = 0; b < batchSize; b++) {
    for (let r = 0; r < inHeight; r++) {
      const d0 = (b * inHeight + r) * rowLen;
      const yr = (r / fh) | 0;
      if (yr >= outHeight) { dx.fill(0, d0, d0 + rowLen); continue; }
      if (r % fh !== 0) { dx.copyWithin(d0, d0 - rowLen, d0); continue; } // same window row as the row above
      let d = d0;
      const gRow = (b * outHeight + yr) * outWidth * ch;
      for (let c = 0; c < cols; c++) {
        const gb = gRow + ((c / fw) | 0) * ch;
        for (let k = 0; k < ch; k++) dx[d++] = g[gb + k] * scale;
      }
      if (covered < rowLen) dx.fill(0, d0 + covered, d0 + rowLen);
    }
  }
}

/** Kernel config registered for backend 'wasm' (replaces the stock, slow one). */
export const avgPoolGradConfig: tf.KernelConfig = {
  kernelName: 'AvgPoolGrad',
  backendName: 'wasm',
  kernelFunc: avgPoolGradWasm as unknown as tf.KernelFunc,
};
