// Elementwise kernels with numpy broadcasting, unary activations, tile and the batch-norm forward,
// as OpenMP loops. These run once per layer per step on whole activations, so they must use every core.
#include "common.h"
#include <cmath>
#include <cstdint>
#include <cstring>
#include <algorithm>
#include <omp.h>

namespace d2l {
namespace {

enum BinaryOp { kAdd = 0, kSub, kMul, kDiv, kSquaredDiff, kMax, kMin, kReluGrad, kSigmoidGrad };
enum UnaryOp { kRelu = 0, kSigmoid, kStep, kSquare, kRsqrt, kSqrt, kNeg, kExp, kLog };

// ReLU's gradient: dy * step(x) as tfjs computes it — dy where x > 0, x (NaN) where x is NaN, else dy * 0 (±0, or
// NaN for an infinite dy). Selected with bit masks so that GCC vectorizes the loop: every `?:` form tried
// (`x > 0 ? dy : (x != x ? x : dy * 0)`, and `dy * (x > 0 ? 1 : (x <= 0 ? 0 : x))`, which GCC folds back into
// branches) stayed a scalar branch ("control flow in loop"), mispredicted half the time on real activations:
// [256,24,24,192] took 142 ms against 13 ms for a Multiply of the same size (Zen 4), 30% of DenseNet's step.
inline float reluGrad(float dy, float x) {
  const float zero = dy * 0.f;
  uint32_t udy, ux, uzero;
  std::memcpy(&udy, &dy, 4);
  std::memcpy(&ux, &x, 4);
  std::memcpy(&uzero, &zero, 4);
  const uint32_t pos = 0u - static_cast<uint32_t>(x > 0.f), nan = 0u - static_cast<uint32_t>(x != x);
  const uint32_t bits = (udy & pos) | (ux & nan) | (uzero & ~(pos | nan));
  float out;
  std::memcpy(&out, &bits, 4);
  return out;
}

template <int Op>
inline float apply(float a, float b) {
  if constexpr (Op == kAdd) return a + b;
  if constexpr (Op == kSub) return a - b;
  if constexpr (Op == kMul) return a * b;
  if constexpr (Op == kDiv) return a / b;
  if constexpr (Op == kSquaredDiff) return (a - b) * (a - b);
  if constexpr (Op == kMax) return (a != a || b != b) ? NAN : std::max(a, b);
  if constexpr (Op == kMin) return (a != a || b != b) ? NAN : std::min(a, b);
  if constexpr (Op == kReluGrad) return reluGrad(a, b);
  // a = dy, b = the sigmoid's output y: dy * (y * (1 - y)), in tfjs' order of operations.
  if constexpr (Op == kSigmoidGrad) return a * (b * (1.f - b));
  return 0.f;
}

// Broadcasting layout collapsed to rank <= 8: out[i0..ik] = a[.. sa ..] op b[.. sb ..].
struct Bcast {
  std::vector<int64_t> shape, sa, sb;
};

Bcast collapse(const std::vector<int64_t>& out, std::vector<int64_t> a, std::vector<int64_t> b) {
  const size_t r = out.size();
  while (a.size() < r) a.insert(a.begin(), 1);
  while (b.size() < r) b.insert(b.begin(), 1);
  Bcast res;
  for (size_t i = 0; i < r; ++i) {
    if (out[i] == 1) continue;
    const bool ab = a[i] == 1, bb = b[i] == 1;
    if (!res.shape.empty()) {
      // Merge with the previous dim when both operands broadcast (or not) the same way there.
      const bool pab = res.sa.back() == 0, pbb = res.sb.back() == 0;
      if (pab == ab && pbb == bb) {
        res.shape.back() *= out[i];
        res.sa.back() = ab ? 0 : 1;
        res.sb.back() = bb ? 0 : 1;
        continue;
      }
    }
    res.shape.push_back(out[i]);
    res.sa.push_back(ab ? 0 : 1);
    res.sb.push_back(bb ? 0 : 1);
  }
  if (res.shape.empty()) { res.shape = {1}; res.sa = {1}; res.sb = {1}; }
  // Turn 0/1 flags into element strides.
  int64_t ma = 1, mb = 1;
  for (size_t i = res.shape.size(); i-- > 0;) {
    const int64_t fa = res.sa[i], fb = res.sb[i];
    res.sa[i] = fa ? ma : 0;
    res.sb[i] = fb ? mb : 0;
    if (fa) ma *= res.shape[i];
    if (fb) mb *= res.shape[i];
  }
  return res;
}

template <int Op>
inline void binaryRow(const float* pa, const float* pb, float* po, int64_t inner, int64_t ia, int64_t ib) {
  if (ia == 1 && ib == 1) {
    for (int64_t i = 0; i < inner; ++i) po[i] = apply<Op>(pa[i], pb[i]);
  } else if (ia == 1) {
    const float vb = pb[0];
    for (int64_t i = 0; i < inner; ++i) po[i] = apply<Op>(pa[i], vb);
  } else if (ib == 1) {
    const float va = pa[0];
    for (int64_t i = 0; i < inner; ++i) po[i] = apply<Op>(va, pb[i]);
  } else {
    const float v = apply<Op>(pa[0], pb[0]);
    for (int64_t i = 0; i < inner; ++i) po[i] = v;
  }
}

// Rows of the innermost dim are split into one contiguous range per thread; each thread decodes its
// first row's coordinates once and then steps an odometer, so short rows (NHWC with few channels,
// e.g. [N,H,W,6] * [6]) cost no per-row division.
template <int Op>
void binaryLoop(const float* a, const float* b, float* o, const Bcast& bc) {
  const int64_t r = static_cast<int64_t>(bc.shape.size());
  const int64_t inner = bc.shape[r - 1], ia = bc.sa[r - 1], ib = bc.sb[r - 1];
  int64_t rows = 1;
  for (int64_t i = 0; i + 1 < r; ++i) rows *= bc.shape[i];
  const bool par = rows * inner > 32768 && rows > 1;
#pragma omp parallel if (par)
  {
    const int nt = omp_get_num_threads(), t = omp_get_thread_num();
    const int64_t r0 = rows * t / nt, r1 = rows * (t + 1) / nt;
    std::vector<int64_t> idx(static_cast<size_t>(std::max<int64_t>(r - 1, 1)), 0);
    int64_t offA = 0, offB = 0, rem = r0;
    for (int64_t d = r - 2; d >= 0; --d) {
      idx[d] = rem % bc.shape[d];
      rem /= bc.shape[d];
      offA += idx[d] * bc.sa[d];
      offB += idx[d] * bc.sb[d];
    }
    for (int64_t row = r0; row < r1; ++row) {
      binaryRow<Op>(a + offA, b + offB, o + row * inner, inner, ia, ib);
      for (int64_t d = r - 2; d >= 0; --d) {
        offA += bc.sa[d];
        offB += bc.sb[d];
        if (++idx[d] < bc.shape[d]) break;
        offA -= bc.sa[d] * bc.shape[d];
        offB -= bc.sb[d] * bc.shape[d];
        idx[d] = 0;
      }
    }
  }
}

// binary(op, a, b, out, outShape, aShape, bShape)
Napi::Value Binary(const Napi::CallbackInfo& info) {
  const int op = info[0].As<Napi::Number>().Int32Value();
  const float* a = f32(info[1]);
  const float* b = f32(info[2]);
  float* o = f32(info[3]);
  Bcast bc = collapse(ints(info[4]), ints(info[5]), ints(info[6]));
  switch (op) {
    case kAdd: binaryLoop<kAdd>(a, b, o, bc); break;
    case kSub: binaryLoop<kSub>(a, b, o, bc); break;
    case kMul: binaryLoop<kMul>(a, b, o, bc); break;
    case kDiv: binaryLoop<kDiv>(a, b, o, bc); break;
    case kSquaredDiff: binaryLoop<kSquaredDiff>(a, b, o, bc); break;
    case kMax: binaryLoop<kMax>(a, b, o, bc); break;
    case kMin: binaryLoop<kMin>(a, b, o, bc); break;
    case kReluGrad: binaryLoop<kReluGrad>(a, b, o, bc); break;
    case kSigmoidGrad: binaryLoop<kSigmoidGrad>(a, b, o, bc); break;
    default: throw Napi::Error::New(info.Env(), "d2l native binary: unknown op");
  }
  return info.Env().Undefined();
}

// oneDNN's eltwise primitive over n contiguous floats: its JIT code is vectorized for the CPU's ISA at run
// time, where the loops here are compiled for baseline x86-64 and call the scalar std::exp (sigmoid over
// LeNet's first activation: 2.2 ms as a loop, a fraction of that here). oneDNN's own primitive cache makes
// re-creating the primitive per call cheap.
void dnnlEltwise(dnnl::algorithm alg, const float* x, float* o, int64_t n) {
  const dnnl::memory::desc md({n}, dt::f32, tag::a);
  const dnnl::eltwise_forward::primitive_desc pd(
      dnnl::eltwise_forward::desc(dnnl::prop_kind::forward_inference, alg, md, 0.f, 0.f), engine());
  dnnl::eltwise_forward(pd).execute(stream(), {{DNNL_ARG_SRC, userMem(md, const_cast<float*>(x))},
                                               {DNNL_ARG_DST, userMem(md, o)}});
  stream().wait();
}

template <typename F>
void unaryLoop(const float* x, float* o, int64_t n, F f) {
#pragma omp parallel for schedule(static) if (n > 32768)
  for (int64_t i = 0; i < n; ++i) o[i] = f(x[i]);
}

// unary(op, x, out, alpha)
Napi::Value Unary(const Napi::CallbackInfo& info) {
  const int op = info[0].As<Napi::Number>().Int32Value();
  Napi::Float32Array xa = info[1].As<Napi::Float32Array>();
  const float* x = f32(info[1]);
  float* o = f32(info[2]);
  const float alpha = info[3].As<Napi::Number>().FloatValue();
  const int64_t n = static_cast<int64_t>(xa.ElementLength());
  switch (op) {
    case kRelu: unaryLoop(x, o, n, [](float v) { return v < 0.f ? 0.f : v; }); break;
    case kSigmoid:
      if (n > 0) dnnlEltwise(dnnl::algorithm::eltwise_logistic, x, o, n);
      break;
    case kStep: unaryLoop(x, o, n, [alpha](float v) { return v != v ? v : (v > 0.f ? 1.f : alpha); }); break;
    case kSquare: unaryLoop(x, o, n, [](float v) { return v * v; }); break;
    case kRsqrt: unaryLoop(x, o, n, [](float v) { return 1.f / std::sqrt(v); }); break;
    case kSqrt: unaryLoop(x, o, n, [](float v) { return std::sqrt(v); }); break;
    case kNeg: unaryLoop(x, o, n, [](float v) { return -v; }); break;
    // exp stays a loop: oneDNN 2.6's eltwise_exp turns NaN into +Inf (its logistic keeps NaN).
    case kExp: unaryLoop(x, o, n, [](float v) { return std::exp(v); }); break;
    case kLog: unaryLoop(x, o, n, [](float v) { return std::log(v); }); break;
    default: throw Napi::Error::New(info.Env(), "d2l native unary: unknown op");
  }
  return info.Env().Undefined();
}

// tile(x, out, xShape, reps): out has shape xShape[i] * reps[i].
Napi::Value Tile(const Napi::CallbackInfo& info) {
  const float* x = f32(info[0]);
  float* o = f32(info[1]);
  auto xs = ints(info[2]);
  auto reps = ints(info[3]);
  const int64_t r = static_cast<int64_t>(xs.size());
  std::vector<int64_t> os(r), xStride(r);
  int64_t s = 1;
  for (int64_t d = r - 1; d >= 0; --d) { os[d] = xs[d] * reps[d]; xStride[d] = s; s *= xs[d]; }
  const int64_t inner = os[r - 1], xin = xs[r - 1];
  int64_t rows = 1;
  for (int64_t d = 0; d + 1 < r; ++d) rows *= os[d];
#pragma omp parallel for schedule(static) if (rows * inner > 32768)
  for (int64_t row = 0; row < rows; ++row) {
    int64_t rem = row, off = 0;
    for (int64_t d = r - 2; d >= 0; --d) {
      off += (rem % os[d]) % xs[d] * xStride[d];
      rem /= os[d];
    }
    float* po = o + row * inner;
    for (int64_t i = 0; i < inner; i += xin) std::copy(x + off, x + off + xin, po + i);
  }
  return info.Env().Undefined();
}

// batchNorm(x, mean, variance, offset|null, scale|null, out, channels, epsilon): per-channel params on
// the innermost (NHWC channel) axis.
Napi::Value BatchNorm(const Napi::CallbackInfo& info) {
  Napi::Float32Array xa = info[0].As<Napi::Float32Array>();
  const float* x = f32(info[0]);
  const float* mean = f32(info[1]);
  const float* var = f32(info[2]);
  const float* offset = f32OrNull(info[3]);
  const float* scale = f32OrNull(info[4]);
  float* o = f32(info[5]);
  const int64_t c = info[6].As<Napi::Number>().Int64Value();
  const float eps = info[7].As<Napi::Number>().FloatValue();
  const int64_t rows = static_cast<int64_t>(xa.ElementLength()) / c;
  std::vector<float> mul(c), add(c);
  for (int64_t i = 0; i < c; ++i) {
    const float inv = 1.f / std::sqrt(var[i] + eps);
    mul[i] = inv * (scale ? scale[i] : 1.f);
    add[i] = (offset ? offset[i] : 0.f) - mean[i] * mul[i];
  }
  const float* pm = mul.data();
  const float* pa = add.data();
#pragma omp parallel for schedule(static) if (rows * c > 32768)
  for (int64_t row = 0; row < rows; ++row) {
    const float* px = x + row * c;
    float* po = o + row * c;
    for (int64_t i = 0; i < c; ++i) po[i] = px[i] * pm[i] + pa[i];
  }
  return info.Env().Undefined();
}

}  // namespace

void initElementwise(Napi::Env env, Napi::Object exports) {
  exports.Set("binary", Napi::Function::New(env, Binary));
  exports.Set("unary", Napi::Function::New(env, Unary));
  exports.Set("tile", Napi::Function::New(env, Tile));
  exports.Set("batchNorm", Napi::Function::New(env, BatchNorm));
}

}  // namespace d2l
