// Shared helpers for the d2l native (oneDNN) backend addon.
// Every entry point receives Float32Arrays held by tfjs and writes into an output Float32Array allocated by the
// caller (an ordinary ArrayBuffer, or a view of one of the arena chunks arena.cc reserves for the buffer pool).
#pragma once
#include <napi.h>
#include <dnnl.hpp>
#include <cstdint>
#include <string>
#include <vector>
#include <unordered_map>
#include <memory>

namespace d2l {

using dim = dnnl::memory::dim;
using dims = dnnl::memory::dims;
using tag = dnnl::memory::format_tag;
using dt = dnnl::memory::data_type;

dnnl::engine& engine();
dnnl::stream& stream();

inline float* f32(const Napi::Value& v) {
  if (!v.IsTypedArray() || v.As<Napi::TypedArray>().TypedArrayType() != napi_float32_array) {
    throw Napi::TypeError::New(v.Env(), "d2l native: expected a Float32Array");
  }
  return v.As<Napi::Float32Array>().Data();
}

inline float* f32OrNull(const Napi::Value& v) {
  return (v.IsNull() || v.IsUndefined()) ? nullptr : f32(v);
}

// Reads a JS array of integers (shape/params) into a vector.
inline std::vector<int64_t> ints(const Napi::Value& v) {
  Napi::Array a = v.As<Napi::Array>();
  std::vector<int64_t> out(a.Length());
  for (uint32_t i = 0; i < a.Length(); ++i) out[i] = a.Get(i).As<Napi::Number>().Int64Value();
  return out;
}

// Cache key built from integers: primitives are created once per shape and reused every step.
inline std::string key(const char* kind, const std::vector<int64_t>& p, int64_t extra = 0) {
  std::string k(kind);
  for (auto x : p) { k += ':'; k += std::to_string(x); }
  k += '|'; k += std::to_string(extra);
  return k;
}

// A memory object wrapping a caller-owned buffer.
inline dnnl::memory userMem(const dnnl::memory::desc& md, float* p) {
  return dnnl::memory(md, engine(), p);
}

// Outputs may be recycled buffers (src/backend/native/buffer-pool.ts): a kernel that only adds into or
// partly writes its output clears it first, in parallel.
inline void zeroFill(float* p, int64_t n) {
#pragma omp parallel for schedule(static) if (n > 65536)
  for (int64_t i = 0; i < n; ++i) p[i] = 0.f;
}

inline void zeroFill(const Napi::Value& v) {
  Napi::Float32Array a = v.As<Napi::Float32Array>();
  zeroFill(a.Data(), static_cast<int64_t>(a.ElementLength()));
}

// Executes reorder src->dst when their layouts differ; returns the memory to use.
dnnl::memory reorderIfNeeded(const dnnl::memory& src, const dnnl::memory::desc& want);

void initConv(Napi::Env env, Napi::Object exports);
void initMatmul(Napi::Env env, Napi::Object exports);
void initPool(Napi::Env env, Napi::Object exports);
void initElementwise(Napi::Env env, Napi::Object exports);
void initReduce(Napi::Env env, Napi::Object exports);
void initCopy(Napi::Env env, Napi::Object exports);
void initBatchNorm(Napi::Env env, Napi::Object exports);
void initArena(Napi::Env env, Napi::Object exports);

}  // namespace d2l
