/**
 * Training-mode batch normalization over the innermost (channel) axis, written out on Float32Arrays.
 *
 * This is the arithmetic behind the fused `D2lBatchNormTraining` kernel on backends that keep tensors in JS
 * memory (cpu, and wasm through views of its heap); the native backend runs the same formulas in C++ with
 * OpenMP. Layout: `x` is `rows × C` with the channel innermost (NHWC flattened, or a dense layer's [B, C]).
 *
 * Forward:  mean_c = Σ x / N,  var_c = Σ x² / N − mean_c² (biased, as tf.moments and Keras use),
 *           y = γ (x − mean) / √(var + ε) + β.
 * Backward: with x̂ = (x − mean) / √(var + ε),
 *           dβ = Σ dy,  dγ = Σ dy·x̂,  dx = γ / √(var + ε) · (dy − dβ/N − x̂·dγ/N).
 * Sums are accumulated in float64 so one pass over x is as accurate as two passes in float32.
 */

/** Per-channel mean and biased variance of `x` (rows × channels), written into `mean` and `variance`. */
export function channelMoments(x: Float32Array, channels: number, mean: Float32Array, variance: Float32Array): void {
  const rows = x.length / channels;
  const sum = new Float64Array(channels);
  const sumSq = new Float64Array(channels);
  for (let r = 0, i = 0; r < rows; r++) {
    for (let c = 0; c < channels; c++, i++) {
      const v = x[i];
      sum[c] += v;
      sumSq[c] += v * v;
    }
  }
  for (let c = 0; c < channels; c++) {
    const m = sum[c] / rows;
    mean[c] = m;
    variance[c] = Math.max(0, sumSq[c] / rows - m * m);
  }
}

/** y = γ (x − mean) / √(var + ε) + β, per channel. */
export function normalize(x: Float32Array, gamma: Float32Array, beta: Float32Array, mean: Float32Array,
                          variance: Float32Array, epsilon: number, y: Float32Array): void {
  const channels = mean.length;
  const scale = new Float32Array(channels);
  for (let c = 0; c < channels; c++) scale[c] = gamma[c] / Math.sqrt(variance[c] + epsilon);
  // Centered first, then scaled: accurate even when |mean| >> std.
  for (let i = 0; i < x.length;) {
    for (let c = 0; c < channels; c++, i++) y[i] = (x[i] - mean[c]) * scale[c] + beta[c];
  }
}

/** Gradients of the training-mode forward above, for the incoming gradient `dy` of `y`. */
export function batchNormTrainingBackward(
  dy: Float32Array, x: Float32Array, gamma: Float32Array, mean: Float32Array, variance: Float32Array,
  epsilon: number, dx: Float32Array, dgamma: Float32Array, dbeta: Float32Array,
): void {
  const channels = mean.length;
  const rows = x.length / channels;
  const invStd = new Float64Array(channels);
  for (let c = 0; c < channels; c++) invStd[c] = 1 / Math.sqrt(variance[c] + epsilon);
  // Σ dy and Σ dy·(x − mean); dγ = invStd · the second.
  const sumDy = new Float64Array(channels);
  const sumDyXc = new Float64Array(channels);
  for (let r = 0, i = 0; r < rows; r++) {
    for (let c = 0; c < channels; c++, i++) {
      const g = dy[i];
      sumDy[c] += g;
      sumDyXc[c] += g * (x[i] - mean[c]);
    }
  }
  // dx = a·(dy − mean(dy)) + b·(x − mean) per channel, with a = γ·invStd, b = −a·invStd²·Σdy·xc/N. Both operands
  // are centered first: a bias in front of the norm has gradient Σ dx = 0, which then cancels to rounding level.
  const a = new Float32Array(channels);
  const b = new Float32Array(channels);
  const meanDy = new Float32Array(channels);
  for (let c = 0; c < channels; c++) {
    dbeta[c] = sumDy[c];
    dgamma[c] = sumDyXc[c] * invStd[c];
    const ac = gamma[c] * invStd[c];
    const bc = -ac * invStd[c] * invStd[c] * sumDyXc[c] / rows;
    a[c] = ac;
    b[c] = bc;
    meanDy[c] = sumDy[c] / rows;
  }
  for (let i = 0; i < x.length;) {
    for (let c = 0; c < channels; c++, i++) dx[i] = a[c] * (dy[i] - meanDy[c]) + b[c] * (x[i] - mean[c]);
  }
}
