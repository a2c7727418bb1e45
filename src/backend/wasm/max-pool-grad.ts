/**
 * Correct `MaxPoolGrad` for the wasm backend.
 *
 * The stock C++ kernel seeds its running maximum with the smallest *positive* float, so a window whose values
 * are all ≤ 0 (after BatchNorm, or a padded window of ReLU zeros) routes its gradient to a wrong cell, silently.
 * This kernel follows the cpu backend's rule exactly: each output's gradient goes to the *first* cell (row-major
 * within the window, padding skipped) holding the window's maximum, compared with a strict `>` from −∞.
 * It runs in JS directly on the wasm heap, channels innermost so memory is read contiguously.
 */
import * as tf from '@tensorflow/tfjs';
import { f32, poolGradArgs } from './kernel-utils';

function maxPoolGradWasm(args: { inputs: tf.NamedTensorInfoMap; attrs?: tf.NamedAttrMap; backend: unknown }): tf.TensorInfo {
  const { backend, dy, input, info } = poolGradArgs(args);
  const { batchSize, inHeight, inWidth, inChannels: ch, outHeight, outWidth, strideHeight, strideWidth } = info;
  const { effectiveFilterHeight: fh, effectiveFilterWidth: fw, dilationHeight: dh, dilationWidth: dw } = info;
  const { top, left } = info.padInfo;

  const dxInfo = backend.makeOutput(input.shape, 'float32');
  const dx = f32(backend, dxInfo); // views after the allocation: it may have grown the heap
  const x = f32(backend, input);
  const g = f32(backend, dy);
  dx.fill(0);

  const best = new Float32Array(ch);
  const where = new Int32Array(ch); // flat index into x/dx of the current maximum, −1 = none yet (all NaN)
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
        best.fill(-Infinity);
        where.fill(-1);
        for (let r = rMin; r < rMax; r += dh) {
          for (let c = cMin; c < cMax; c += dw) {
            const base = xBatch + r * rowStride + c * ch;
            for (let d = 0; d < ch; d++) {
              const v = x[base + d];
              if (v > best[d]) { best[d] = v; where[d] = base + d; }
            }
          }
        }
        const gBase = ((b * outHeight + yr) * outWidth + yc) * ch;
        for (let d = 0; d < ch; d++) {
          const at = where[d];
          if (at >= 0) dx[at] += g[gBase + d];
        }
      }
    }
  }
  return dxInfo;
}

/** Kernel config registered for backend 'wasm' (replaces the stock, incorrect one). */
export const maxPoolGradConfig: tf.KernelConfig = {
  kernelName: 'MaxPoolGrad',
  backendName: 'wasm',
  kernelFunc: maxPoolGradWasm as unknown as tf.KernelFunc,
};
