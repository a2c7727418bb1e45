/**
 * Fast `Conv2DBackpropInput` for the wasm backend.
 *
 * The stock wasm kernel is a naive 7-deep loop (~5-10× slower than the routes below on chapter-7 shapes).
 * - Stride 1: dX is a forward convolution (XNNPACK) of dy padded by (fh−1−padT, fw−1−padL) with the spatially
 *   flipped filter whose in/out channels are swapped:
 *   dx[b,h,w,c] = Σ_{p,q,o} dy[b, h+padT−p, w+padL−q, o] · W[p,q,c,o].
 * - Stride ≥ 2: "col2im": M = dy·Wᵀ as one matrix product ([B·oh·ow, co] × [co, fh·fw·ci], XNNPACK), then each row
 *   of M is added into the dx window it came from. At stride 2 it beat the zero-insertion conv the platform notes
 *   suggest by 2-15× on ResNet/GoogLeNet shapes (zero insertion wastes 3/4 of the work and is worst when ci is
 *   small: the first conv's dX of the 1-channel image, which tfjs' fused conv gradient computes though nobody
 *   needs it); at stride 4 (AlexNet/NiN) zero insertion would also grow memory 16×.
 * - Stride 1 with 1-3 input channels (the image): the conv above wastes most of XNNPACK's output-channel tiles;
 *   a blocked conv with r·r·ci output channels does the same sum 2-3× faster (conv-blocked.ts).
 * At stride 1 col2im's JS scatter is slower than the conv, so it is not used there.
 */
import * as tf from '@tensorflow/tfjs';
import { conv2d, f32, free, run, transpose, WasmBackendLike } from './kernel-utils';
import { blockedLimits, blockFor, conv2DBackpropInputBlocked } from './conv-blocked';

type Pair = [number, number];
/**
 * Tuning knobs. maxInChannels: also use col2im at stride 1 up to this many input channels (default 0: never,
 * see above). chunkElements: elements of the col2im matrix M per batch chunk (64 MiB), bounding its extra heap.
 */
export const col2imLimits = { maxInChannels: 0, chunkElements: 16 * 1024 * 1024 };

function conv2DBackpropInputWasm(args: { inputs: tf.NamedTensorInfoMap; attrs?: tf.NamedAttrMap; backend: unknown }): tf.TensorInfo {
  const backend = args.backend as WasmBackendLike;
  const { dy, filter } = args.inputs as { dy: tf.TensorInfo; filter: tf.TensorInfo };
  const attrs = args.attrs as unknown as {
    strides: number | Pair; pad: 'valid' | 'same' | number | tf.backend_util.ExplicitPadding;
    dataFormat: 'NHWC' | 'NCHW'; dimRoundingMode?: 'floor' | 'round' | 'ceil'; inputShape: [number, number, number, number];
  };
  const stock = () => run(backend, 'Conv2DBackpropInput', args.inputs as Record<string, tf.TensorInfo>, attrs);
  if (attrs.dataFormat === 'NCHW') return stock();
  const info = tf.backend_util.computeConv2DInfo(
    attrs.inputShape, filter.shape as [number, number, number, number], attrs.strides, 1, attrs.pad,
    attrs.dimRoundingMode, false, 'channelsLast');
  const { inHeight, inWidth, outHeight, outWidth, filterHeight, filterWidth, strideHeight, strideWidth } = info;
  if (strideHeight > 1 || strideWidth > 1 || info.inChannels <= col2imLimits.maxInChannels) {
    return col2im(backend, dy, filter, info);
  }
  if (info.inChannels <= blockedLimits.maxInChannels) {
    const dx = conv2DBackpropInputBlocked(backend, dy, filter, info, blockFor(info.inChannels));
    if (dx) return dx;
  }

  // Padding of dy so that a 'valid' stride-1 conv yields exactly inHeight × inWidth.
  const padTop = filterHeight - 1 - info.padInfo.top;
  const padLeft = filterWidth - 1 - info.padInfo.left;
  const padBottom = inHeight + filterHeight - 1 - outHeight - padTop;
  const padRight = inWidth + filterWidth - 1 - outWidth - padLeft;
  if (Math.min(padTop, padLeft, padBottom, padRight) < 0) return stock(); // padding wider than the filter: not in this chapter

  const temps: tf.TensorInfo[] = [];
  try {
    // W[p,q,c,o] → Wf[p',q',o,c] = W[fh−1−p', fw−1−q', c, o]
    const flipped = run(backend, 'Reverse', { x: filter }, { dims: [0, 1] });
    temps.push(flipped);
    const wf = transpose(backend, flipped, [0, 1, 3, 2]);
    temps.push(wf);
    return conv2d(backend, dy, wf, { pad: [[0, 0], [padTop, padBottom], [padLeft, padRight], [0, 0]] });
  } finally {
    free(backend, ...temps);
  }
}

/** dx = col2im(dy · Wᵀ), batch chunk by chunk; see the file comment. */
function col2im(backend: WasmBackendLike, dy: tf.TensorInfo, filter: tf.TensorInfo, info: tf.backend_util.Conv2DInfo): tf.TensorInfo {
  const { batchSize, inHeight: H, inWidth: W, inChannels: ci, outHeight: oh, outWidth: ow, outChannels: co } = info;
  const { filterHeight: fh, filterWidth: fw, strideHeight: sh, strideWidth: sw } = info;
  const { top, left } = info.padInfo;
  const K = fh * fw * ci;
  const temps: tf.TensorInfo[] = [];
  try {
    const w2 = run(backend, 'Reshape', { x: filter }, { shape: [K, co] });
    temps.push(w2);
    const wT = transpose(backend, w2, [1, 0]); // [co, K]
    temps.push(wT);
    const dxInfo = backend.makeOutput([batchSize, H, W, ci], 'float32');
    f32(backend, dxInfo).fill(0);
    const chunk = Math.max(1, Math.min(batchSize, Math.floor(col2imLimits.chunkElements / (oh * ow * K))));
    for (let b0 = 0; b0 < batchSize; b0 += chunk) {
      const nb = Math.min(chunk, batchSize - b0);
      const rows = backend.makeOutput([nb * oh * ow, co], 'float32');
      const rowsPer = oh * ow * co;
      f32(backend, rows).set(f32(backend, dy).subarray(b0 * rowsPer, (b0 + nb) * rowsPer));
      const m = run(backend, 'BatchMatMul', { a: rows, b: wT }, { transposeA: false, transposeB: false }); // [nb·oh·ow, K]
      free(backend, rows);
      const M = f32(backend, m); // views after the last allocation
      const dx = f32(backend, dxInfo);
      for (let bb = 0; bb < nb; bb++) {
        const dxBatch = (b0 + bb) * H * W * ci;
        for (let i = 0; i < oh; i++) {
          for (let j = 0; j < ow; j++) {
            const mBase = ((bb * oh + i) * ow + j) * K;
            for (let p = 0; p < fh; p++) {
              const r = i * sh - top + p;
              if (r < 0 || r >= H) continue;
              for (let q = 0; q < fw; q++) {
                const c = j * sw - left + q;
                if (c < 0 || c >= W) continue;
                const d = dxBatch + (r * W + c) * ci;
                const mo = mBase + (p * fw + q) * ci;
                for (let k = 0; k < ci; k++) dx[d + k] += M[mo + k];
              }
            }
          }
        }
      }
      free(backend, m);
    }
    return dxInfo;
  } finally {
    free(backend, ...temps);
  }
}

/** Kernel config registered for backend 'wasm' (replaces the stock one, which stays reachable for fallbacks). */
export const conv2DBackpropInputConfig: tf.KernelConfig = {
  kernelName: 'Conv2DBackpropInput',
  backendName: 'wasm',
  kernelFunc: conv2DBackpropInputWasm as unknown as tf.KernelFunc,
};
