// Data-movement kernels over row-major float32 tensors: Slice, PadV2 (constant) and Concat.
// tfjs' cpu versions walk element by element through index arithmetic; here every innermost run
// is one memcpy and rows are spread over the OpenMP threads.
#include "common.h"
#include <cstring>
#include <algorithm>

namespace d2l {
namespace {

// Strides (elements) of a row-major shape.
std::vector<int64_t> stridesOf(const std::vector<int64_t>& shape) {
  std::vector<int64_t> s(shape.size(), 1);
  for (int64_t d = static_cast<int64_t>(shape.size()) - 2; d >= 0; --d) s[d] = s[d + 1] * shape[d + 1];
  return s;
}

// Copies the box `size` at `srcBegin` of src (shape srcShape) to `dstBegin` of dst (shape dstShape).
void copyBox(const float* src, const std::vector<int64_t>& srcShape, const std::vector<int64_t>& srcBegin,
             float* dst, const std::vector<int64_t>& dstShape, const std::vector<int64_t>& dstBegin,
             const std::vector<int64_t>& size) {
  const int64_t r = static_cast<int64_t>(size.size());
  if (r == 0) { dst[0] = src[0]; return; }
  for (auto v : size) if (v == 0) return;
  const auto ss = stridesOf(srcShape), ds = stridesOf(dstShape);
  // Merge trailing dims that both tensors hold whole into one contiguous run.
  int64_t run = size[r - 1], first = r - 1;
  while (first > 0 && size[first] == srcShape[first] && size[first] == dstShape[first]) {
    --first;
    run *= size[first];
  }
  int64_t rows = 1;
  for (int64_t d = 0; d < first; ++d) rows *= size[d];
  int64_t srcBase = 0, dstBase = 0;
  for (int64_t d = 0; d < r; ++d) { srcBase += srcBegin[d] * ss[d]; dstBase += dstBegin[d] * ds[d]; }
#pragma omp parallel for schedule(static) if (rows * run > 65536)
  for (int64_t row = 0; row < rows; ++row) {
    int64_t rem = row, so = srcBase, dO = dstBase;
    for (int64_t d = first - 1; d >= 0; --d) {
      const int64_t i = rem % size[d];
      rem /= size[d];
      so += i * ss[d];
      dO += i * ds[d];
    }
    std::memcpy(dst + dO, src + so, sizeof(float) * run);
  }
}

// slice(x, out, xShape, begin, size)
Napi::Value Slice(const Napi::CallbackInfo& info) {
  auto xs = ints(info[2]), begin = ints(info[3]), size = ints(info[4]);
  copyBox(f32(info[0]), xs, begin, f32(info[1]), size, std::vector<int64_t>(size.size(), 0), size);
  return info.Env().Undefined();
}

// pad(x, out, xShape, before, outShape, constant): overwrites out (it may be a recycled buffer).
Napi::Value Pad(const Napi::CallbackInfo& info) {
  float* o = f32(info[1]);
  auto xs = ints(info[2]), before = ints(info[3]), os = ints(info[4]);
  const float c = info[5].As<Napi::Number>().FloatValue();
  int64_t n = 1;
  for (auto v : os) n *= v;
  if (c == 0.f) {
    zeroFill(o, n);
  } else {
    std::fill(o, o + n, c);
  }
  copyBox(f32(info[0]), xs, std::vector<int64_t>(xs.size(), 0), o, os, before, xs);
  return info.Env().Undefined();
}

// concat(inputs[], widths[], out, outer): input i is [outer, widths[i]], out is [outer, sum(widths)].
Napi::Value Concat(const Napi::CallbackInfo& info) {
  Napi::Array arr = info[0].As<Napi::Array>();
  auto widths = ints(info[1]);
  float* o = f32(info[2]);
  const int64_t outer = info[3].As<Napi::Number>().Int64Value();
  std::vector<const float*> in(arr.Length());
  std::vector<int64_t> offs(arr.Length());
  int64_t total = 0;
  for (uint32_t i = 0; i < arr.Length(); ++i) {
    in[i] = f32(arr.Get(i));
    offs[i] = total;
    total += widths[i];
  }
  const int64_t k = static_cast<int64_t>(in.size());
#pragma omp parallel for schedule(static) if (outer * total > 65536)
  for (int64_t row = 0; row < outer; ++row) {
    for (int64_t i = 0; i < k; ++i) {
      std::memcpy(o + row * total + offs[i], in[i] + row * widths[i], sizeof(float) * widths[i]);
    }
  }
  return info.Env().Undefined();
}

}  // namespace

void initCopy(Napi::Env env, Napi::Object exports) {
  exports.Set("slice", Napi::Function::New(env, Slice));
  exports.Set("pad", Napi::Function::New(env, Pad));
  exports.Set("concat", Napi::Function::New(env, Concat));
}

}  // namespace d2l
