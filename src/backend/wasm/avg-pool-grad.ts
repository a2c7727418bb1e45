/**
 * Fast `AvgPoolGrad` for the wasm backend.
 *
 * The stock C++ kernel is correct but loops over every (input cell × window tap) with scalar index arithmetic;
 * in a LeNet-BN step it cost as much as a convolution. This kernel scatters each output gradient, scaled by
 * 1/(filter area) exactly as the cpu backend does (padding cells included in the divisor), onto the in-bounds
 * cells of its window, channels innermost, directly in the wasm heap.
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

/** Kernel config registered for backend 'wasm' (replaces the stock, slow one). */
export const avgPoolGradConfig: tf.KernelConfig = {
  kernelName: 'AvgPoolGrad',
  backendName: 'wasm',
  kernelFunc: avgPoolGradWasm as unknown as tf.KernelFunc,
};
