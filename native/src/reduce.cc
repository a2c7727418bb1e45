// Sum/Mean over one contiguous block of axes: x viewed as [outer, r, inner] -> out [outer, inner].
// This covers tfjs' Sum/Mean over NHWC batch axes (bias and batch-norm gradients) and the global
// average pool (Mean over H,W). Partial sums are per-thread doubles so big reductions stay accurate.
#include "common.h"
#include <omp.h>
#include <algorithm>

namespace d2l {
namespace {

// reduceSum(x, out, outer, r, inner, scale)
Napi::Value ReduceSum(const Napi::CallbackInfo& info) {
  const float* x = f32(info[0]);
  float* o = f32(info[1]);
  const int64_t outer = info[2].As<Napi::Number>().Int64Value();
  const int64_t r = info[3].As<Napi::Number>().Int64Value();
  const int64_t inner = info[4].As<Napi::Number>().Int64Value();
  const double scale = info[5].As<Napi::Number>().DoubleValue();
  const int nt = omp_get_max_threads();
  if (outer >= nt || r * inner < 65536) {
#pragma omp parallel for schedule(static) if (outer * r * inner > 65536)
    for (int64_t a = 0; a < outer; ++a) {
      std::vector<double> acc(inner, 0.0);
      const float* px = x + a * r * inner;
      for (int64_t k = 0; k < r; ++k) {
        const float* row = px + k * inner;
        for (int64_t b = 0; b < inner; ++b) acc[b] += row[b];
      }
      for (int64_t b = 0; b < inner; ++b) o[a * inner + b] = static_cast<float>(acc[b] * scale);
    }
    return info.Env().Undefined();
  }
  // Few outputs, long reduction: split r across threads, then combine the per-thread partials.
  std::vector<double> partial(static_cast<size_t>(nt) * outer * inner, 0.0);
#pragma omp parallel num_threads(nt)
  {
    const int t = omp_get_thread_num();
    double* acc = partial.data() + static_cast<size_t>(t) * outer * inner;
    for (int64_t a = 0; a < outer; ++a) {
      const int64_t k0 = r * t / nt, k1 = r * (t + 1) / nt;
      const float* px = x + a * r * inner;
      double* pa = acc + a * inner;
      for (int64_t k = k0; k < k1; ++k) {
        const float* row = px + k * inner;
        for (int64_t b = 0; b < inner; ++b) pa[b] += row[b];
      }
    }
  }
  for (int64_t i = 0; i < outer * inner; ++i) {
    double s = 0.0;
    for (int t = 0; t < nt; ++t) s += partial[static_cast<size_t>(t) * outer * inner + i];
    o[i] = static_cast<float>(s * scale);
  }
  return info.Env().Undefined();
}

}  // namespace

void initReduce(Napi::Env env, Napi::Object exports) {
  exports.Set("reduceSum", Napi::Function::New(env, ReduceSum));
}

}  // namespace d2l
