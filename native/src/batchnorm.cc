// Training-mode batch normalization, forward and backward, over the innermost (NHWC channel) axis.
// Same formulas as src/ops/batch-norm-math.ts (the reference the tests compare with):
//   forward:  mean, biased var per channel (float64 sums, one pass), y = (x - mean)*scale + beta
//   backward: sumDy, sumDy*(x-mean) per channel (one pass), then dx = a*(dy - mean(dy)) + b*(x - mean) per channel.
// Each pass splits the rows into one contiguous block per thread; per-channel partial sums are
// combined after the parallel region, so results do not depend on scheduling beyond the thread count.
#include "common.h"
#include <cmath>
#include <algorithm>
#include <omp.h>

namespace d2l {
namespace {

constexpr int64_t kParallelMin = 32768;

// Per-thread partial sums of f(row pointer) into two channel vectors; returns their totals.
template <typename F>
void channelSums(int64_t rows, int64_t c, std::vector<double>& s1, std::vector<double>& s2, F accumulate) {
  const int maxThreads = (rows * c > kParallelMin) ? omp_get_max_threads() : 1;
  std::vector<double> part(static_cast<size_t>(maxThreads) * 2 * c, 0.0);
  int used = 1;
#pragma omp parallel num_threads(maxThreads) if (maxThreads > 1)
  {
    const int nt = omp_get_num_threads(), t = omp_get_thread_num();
#pragma omp single
    used = nt;
    const int64_t r0 = rows * t / nt, r1 = rows * (t + 1) / nt;
    double* p1 = part.data() + static_cast<size_t>(t) * 2 * c;
    double* p2 = p1 + c;
    for (int64_t r = r0; r < r1; ++r) accumulate(r, p1, p2);
  }
  s1.assign(c, 0.0);
  s2.assign(c, 0.0);
  for (int t = 0; t < used; ++t) {
    const double* p1 = part.data() + static_cast<size_t>(t) * 2 * c;
    for (int64_t i = 0; i < c; ++i) { s1[i] += p1[i]; s2[i] += p1[c + i]; }
  }
}

// out[row, i] = a[i]*(u[row, i] - mu[i]) + (v ? b[i]*(v[row, i] - mv[i]) : b[i]).
// Centering each operand before scaling keeps the result accurate when a mean is large next to the spread, and
// makes the per-channel sums of dx (a bias gradient in front of the norm: exactly 0) cancel to rounding level.
void centeredAffine(const float* u, const float* mu, const float* a, const float* v, const float* mv,
                    const float* b, float* out, int64_t rows, int64_t c) {
#pragma omp parallel for schedule(static) if (rows * c > kParallelMin)
  for (int64_t r = 0; r < rows; ++r) {
    const float* pu = u + r * c;
    float* po = out + r * c;
    if (v) {
      const float* pv = v + r * c;
      for (int64_t i = 0; i < c; ++i) po[i] = a[i] * (pu[i] - mu[i]) + b[i] * (pv[i] - mv[i]);
    } else {
      for (int64_t i = 0; i < c; ++i) po[i] = a[i] * (pu[i] - mu[i]) + b[i];
    }
  }
}

// batchNormTraining(x, gamma, beta, y, mean, variance, channels, epsilon)
Napi::Value BatchNormTraining(const Napi::CallbackInfo& info) {
  Napi::Float32Array xa = info[0].As<Napi::Float32Array>();
  const float* x = f32(info[0]);
  const float* gamma = f32(info[1]);
  const float* beta = f32(info[2]);
  float* y = f32(info[3]);
  float* mean = f32(info[4]);
  float* var = f32(info[5]);
  const int64_t c = info[6].As<Napi::Number>().Int64Value();
  const double eps = info[7].As<Napi::Number>().DoubleValue();
  const int64_t rows = static_cast<int64_t>(xa.ElementLength()) / c;
  std::vector<double> sum, sumSq;
  channelSums(rows, c, sum, sumSq, [&](int64_t r, double* s1, double* s2) {
    const float* px = x + r * c;
    for (int64_t i = 0; i < c; ++i) { const double v = px[i]; s1[i] += v; s2[i] += v * v; }
  });
  std::vector<float> scale(c);
  for (int64_t i = 0; i < c; ++i) {
    const double m = sum[i] / rows;
    const double v = std::max(0.0, sumSq[i] / rows - m * m);
    mean[i] = static_cast<float>(m);
    var[i] = static_cast<float>(v);
    // float32 like the JS reference: the scale is computed from the float32 statistics.
    scale[i] = static_cast<float>(gamma[i] / std::sqrt(static_cast<double>(var[i]) + eps));
  }
  centeredAffine(x, mean, scale.data(), nullptr, nullptr, beta, y, rows, c);
  return info.Env().Undefined();
}

// batchNormTrainingGrad(dy, x, gamma, mean, variance, dx, dgamma, dbeta, channels, epsilon)
Napi::Value BatchNormTrainingGrad(const Napi::CallbackInfo& info) {
  Napi::Float32Array xa = info[1].As<Napi::Float32Array>();
  const float* dy = f32(info[0]);
  const float* x = f32(info[1]);
  const float* gamma = f32(info[2]);
  const float* mean = f32(info[3]);
  const float* var = f32(info[4]);
  float* dx = f32(info[5]);
  float* dgamma = f32(info[6]);
  float* dbeta = f32(info[7]);
  const int64_t c = info[8].As<Napi::Number>().Int64Value();
  const double eps = info[9].As<Napi::Number>().DoubleValue();
  const int64_t rows = static_cast<int64_t>(xa.ElementLength()) / c;
  std::vector<double> sumDy, sumDyXc;
  channelSums(rows, c, sumDy, sumDyXc, [&](int64_t r, double* s1, double* s2) {
    const float* pd = dy + r * c;
    const float* px = x + r * c;
    for (int64_t i = 0; i < c; ++i) { const double g = pd[i]; s1[i] += g; s2[i] += g * (px[i] - mean[i]); }
  });
  std::vector<float> a(c), b(c), meanDy(c);
  for (int64_t i = 0; i < c; ++i) {
    const double inv = 1.0 / std::sqrt(static_cast<double>(var[i]) + eps);
    dbeta[i] = static_cast<float>(sumDy[i]);
    dgamma[i] = static_cast<float>(sumDyXc[i] * inv);
    const double ai = gamma[i] * inv;
    const double bi = -ai * inv * inv * sumDyXc[i] / rows;
    a[i] = static_cast<float>(ai);
    b[i] = static_cast<float>(bi);
    meanDy[i] = static_cast<float>(sumDy[i] / rows);
  }
  centeredAffine(dy, meanDy.data(), a.data(), x, mean, b.data(), dx, rows, c);
  return info.Env().Undefined();
}

}  // namespace

void initBatchNorm(Napi::Env env, Napi::Object exports) {
  exports.Set("batchNormTraining", Napi::Function::New(env, BatchNormTraining));
  exports.Set("batchNormTrainingGrad", Napi::Function::New(env, BatchNormTrainingGrad));
}

}  // namespace d2l
