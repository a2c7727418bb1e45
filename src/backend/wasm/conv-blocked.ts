/**
 * `Conv2DBackpropInput` at stride 1 for inputs with very few channels (the image itself: LeNet's first conv).
 *
 * At stride 1, dX is a forward convolution of the padded dy with the flipped filter, whose output channels are the
 * forward input's channels. With ci = 1, XNNPACK computes that product in tiles of 8 output channels, so 7/8 of its
 * work is padding: LeNet's first-layer dX took ~28 ms at batch 256, 3× its forward conv.
 *
 * Blocking the output raises the channel count: with block r, output pixel (r·h'+a, r·w'+c) becomes channel
 * (a·r + c)·ci + k of pixel (h', w'), computed by one conv of stride r whose filter is (fh+r−1)×(fw+r−1):
 *   dx[b, r·h'+a, r·w'+c, k] = Σ_{P,Q,o} dyPad[b, r·h'+P, r·w'+Q, o] · F[P, Q, o, (a·r+c)·ci+k]
 *   F[P, Q, o, (a·r+c)·ci+k] = W[fh−1−(P−a), fw−1−(Q−c), k, o] where 0 ≤ P−a < fh and 0 ≤ Q−c < fw, else 0,
 * with dyPad = dy padded by (fh−1−padTop, fw−1−padLeft) in front. The taps F holds as zeros cost ((f+r−1)/f)² more
 * multiply-adds, but none of them are padding lanes: net ~2-3× less work. A JS pass then unblocks the result into
 * dx (depth-to-space), cropping rows/cols past the input's size.
 */
import * as tf from '@tensorflow/tfjs';
import { conv2d, f32, free, WasmBackendLike } from './kernel-utils';

/**
 * Which input-channel counts take this route, and the block size for each. Measured at batch 256 on 28×28 5×5
 * convs (bench/wasm-kernels.ts): ci=1 r=4 7.5 ms vs 20-27 ms flipped conv (r=2 12.6, r=3 10-17); ci=2 r=2 13 vs
 * 34; ci=3 r=2 16 vs 20-30; at ci=6 (LeNet's second conv) blocking loses (15 vs 11), so it stops at 3.
 */
export const blockedLimits = { maxInChannels: 3 };

/** Block size r for `inChannels` (r·r·ci output channels per blocked pixel); see the measurements above. */
export function blockFor(inChannels: number): number {
  return inChannels === 1 ? 4 : 2;
}

/**
 * dX of a stride-1, dilation-1 conv through the blocked forward conv described above, or null if the geometry is
 * not covered (padding wider than the filter).
 */
export function conv2DBackpropInputBlocked(
  backend: WasmBackendLike, dy: tf.TensorInfo, filter: tf.TensorInfo, info: tf.backend_util.Conv2DInfo, r: number,
): tf.TensorInfo | null {
  const { batchSize: B, inHeight: H, inWidth: W, inChannels: ci, outHeight: oh, outWidth: ow, outChannels: co } = info;
  const { filterHeight: fh, filterWidth: fw } = info;
  const padTop = fh - 1 - info.padInfo.top;
  const padLeft = fw - 1 - info.padInfo.left;
  if (padTop < 0 || padLeft < 0) return null;
  const FH = fh + r - 1;
  const FW = fw + r - 1;
  const Ho = Math.ceil(H / r);
  const Wo = Math.ceil(W / r);
  // Rows of dyPad the conv reads: (Ho−1)·r + FH. Missing ones are zero padding; extra ones are simply not read.
  const padBottom = Math.max(0, (Ho - 1) * r + FH - oh - padTop);
  const padRight = Math.max(0, (Wo - 1) * r + FW - ow - padLeft);
  const nOut = r * r * ci;

  const temps: tf.TensorInfo[] = [];
  try {
    const fInfo = backend.makeOutput([FH, FW, co, nOut], 'float32');
    temps.push(fInfo);
    const F = f32(backend, fInfo);
    const w = f32(backend, filter);
    F.fill(0);
    for (let a = 0; a < r; a++) {
      for (let c = 0; c < r; c++) {
        for (let p = 0; p < fh; p++) {
          for (let q = 0; q < fw; q++) {
            // Tap (P, Q) = (a + fh−1−p, c + fw−1−q) of block offset (a, c) multiplies W[p, q].
            const fBase = ((a + fh - 1 - p) * FW + (c + fw - 1 - q)) * co * nOut + (a * r + c) * ci;
            const wBase = (p * fw + q) * ci * co;
            for (let k = 0; k < ci; k++) {
              for (let o = 0; o < co; o++) F[fBase + o * nOut + k] = w[wBase + k * co + o];
            }
          }
        }
      }
    }
    const blocked = conv2d(backend, dy, fInfo, {
      strides: r, pad: [[0, 0], [padTop, padBottom], [padLeft, padRight], [0, 0]],
    }); // [B, Ho', Wo', r·r·ci] with Ho' ≥ Ho, Wo' ≥ Wo
    temps.push(blocked);
    const [, bh, bw] = blocked.shape;
    const dxInfo = backend.makeOutput([B, H, W, ci], 'float32');
    const dx = f32(backend, dxInfo); // views after the last allocation
    const src = f32(backend, blocked);
    for (let b = 0; b < B; b++) {
      for (let h = 0; h < H; h++) {
        const hb = (h / r) | 0;
        const a = h - hb * r;
        const srcRow = (b * bh + hb) * bw * nOut + a * r * ci;
        let d = (b * H + h) * W * ci;
        for (let x = 0; x < W; x++) {
          const xb = (x / r) | 0;
          const s = srcRow + xb * nOut + (x - xb * r) * ci;
          for (let k = 0; k < ci; k++) dx[d++] = src[s + k];
        }
      }
    }
    return dxInfo;
  } finally {
    free(backend, ...temps);
  }
}
