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

// Rows are visited kRun at a time as one stretch of kRun*c contiguous floats, so every inner loop below runs
// over kRun*c values (which the compiler vectorizes) instead of over c (6 for LeNet's first layer, where the
// per-row loops took 3-5 ms of a 44 ms step). Per-channel values are repeated kRun times to match.
constexpr int64_t kRun = 8;

// v repeated kRun times: index j of a stretch belongs to channel j % c.
template <typename T>
std::vector<T> repeated(const T* v, int64_t c) {
  std::vector<T> out(static_cast<size_t>(kRun * c));
  for (int64_t j = 0; j < kRun * c; ++j) out[j] = v[j % c];
  return out;
}

// Calls f(offset, len) over rows [r0, r1) of width c in stretches of len = kRun*c floats, then single rows.
template <typename F>
void forStretches(int64_t r0, int64_t r1, int64_t c, F f) {
  int64_t r = r0;
  for (; r + kRun <= r1; r += kRun) f(r * c, kRun * c);
  for (; r < r1; ++r) f(r * c, c);
}

// Per-thread double sums of accumulate(offset, len, a1, a2) — which adds elements [offset, offset+len) into
// a1[0..len) and a2[0..len) — folded into two channel vectors.
template <typename F>
void channelSums(int64_t rows, int64_t c, std::vector<double>& s1, std::vector<double>& s2, F accumulate) {
  const int maxThreads = (rows * c > kParallelMin) ? omp_get_max_threads() : 1;
  const size_t width = static_cast<size_t>(kRun * c);
  std::vector<double> part(static_cast<size_t>(maxThreads) * 2 * width, 0.0);
  int used = 1;
#pragma omp parallel num_threads(maxThreads) if (maxThreads > 1)
  {
    const int nt = omp_get_num_threads(), t = omp_get_thread_num();
#pragma omp single
    used = nt;
    double* a1 = part.data() + static_cast<size_t>(t) * 2 * width;
    double* a2 = a1 + width;
    forStretches(rows * t / nt, rows * (t + 1) / nt, c,
                 [&](int64_t offset, int64_t len) { accumulate(offset, len, a1, a2); });
  }
  s1.assign(c, 0.0);
  s2.assign(c, 0.0);
  for (int t = 0; t < used; ++t) {
    const double* a1 = part.data() + static_cast<size_t>(t) * 2 * width;
    for (size_t j = 0; j < width; ++j) { s1[j % c] += a1[j]; s2[j % c] += a1[width + j]; }
  }
}

// out[row, i] = a[i]*(u[row, i] - mu[i]) + (v ? b[i]*(v[row, i] - mv[i]) : b[i]).
// Centering each operand before scaling keeps the result accurate when a mean is large next to the spread, and
// makes the per-channel sums of dx (a bias gradient in front of the norm: exactly 0) cancel to rounding level.
void centeredAffine(const float* u, const float* mu, const float* a, const float* v, const float* mv,
                    const float* b, float* out, int64_t rows, int64_t c) {
  const std::vector<float> muR = repeated(mu, c), aR = repeated(a, c), bR = repeated(b, c);
  const std::vector<float> mvR = v ? repeated(mv, c) : std::vector<float>();
  const float *pmu = muR.data(), *pa = aR.data(), *pb = bR.data(), *pmv = mvR.data();
  const int nt = (rows * c > kParallelMin) ? omp_get_max_threads() : 1;
#pragma omp parallel num_threads(nt) if (nt > 1)
  {
    const int n = omp_get_num_threads(), t = omp_get_thread_num();
    forStretches(rows * t / n, rows * (t + 1) / n, c, [&](int64_t offset, int64_t len) {
      const float* pu = u + offset;
      float* po = out + offset;
      if (v) {
        const float* pv = v + offset;
        for (int64_t j = 0; j < len; ++j) po[j] = pa[j] * (pu[j] - pmu[j]) + pb[j] * (pv[j] - pmv[j]);
      } else {
        for (int64_t j = 0; j < len; ++j) po[j] = pa[j] * (pu[j] - pmu[j]) + pb[j];
      }
    });
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
  channelSums(rows, c, sum, sumSq, [&](int64_t offset, int64_t len, double* s1, double* s2) {
    const float* px = x + offset;
    for (int64_t j = 0; j < len; ++j) { const double v = px[j]; s1[j] += v; s2[j] += v * v; }
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
  const std::vector<float> meanR = repeated(mean, c);
  const float* pm = meanR.data();
  channelSums(rows, c, sumDy, sumDyXc, [&](int64_t offset, int64_t len, double* s1, double* s2) {
    const float* pd = dy + offset;
    const float* px = x + offset;
    for (int64_t j = 0; j < len; ++j) { const double g = pd[j]; s1[j] += g; s2[j] += g * (px[j] - pm[j]); }
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
