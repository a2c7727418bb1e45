// Entry point of the d2l native backend addon: engine/stream singletons, thread control, exports.
#include "common.h"
#include <omp.h>

namespace d2l {

dnnl::engine& engine() {
  static dnnl::engine eng(dnnl::engine::kind::cpu, 0);
  return eng;
}

dnnl::stream& stream() {
  static dnnl::stream s(engine());
  return s;
}

dnnl::memory reorderIfNeeded(const dnnl::memory& src, const dnnl::memory::desc& want) {
  if (src.get_desc() == want) return src;
  dnnl::memory dst(want, engine());
  dnnl::reorder(src, dst).execute(stream(), const_cast<dnnl::memory&>(src), dst);
  return dst;
}

static Napi::Value SetNumThreads(const Napi::CallbackInfo& info) {
  int n = info[0].As<Napi::Number>().Int32Value();
  if (n > 0) omp_set_num_threads(n);
  return Napi::Number::New(info.Env(), omp_get_max_threads());
}

static Napi::Value GetNumThreads(const Napi::CallbackInfo& info) {
  return Napi::Number::New(info.Env(), omp_get_max_threads());
}

static Napi::Value Version(const Napi::CallbackInfo& info) {
  const dnnl_version_t* v = dnnl_version();
  std::string s = std::to_string(v->major) + "." + std::to_string(v->minor) + "." + std::to_string(v->patch);
  return Napi::String::New(info.Env(), s);
}

static Napi::Object Init(Napi::Env env, Napi::Object exports) {
  exports.Set("setNumThreads", Napi::Function::New(env, SetNumThreads));
  exports.Set("getNumThreads", Napi::Function::New(env, GetNumThreads));
  exports.Set("onednnVersion", Napi::Function::New(env, Version));
  initConv(env, exports);
  initMatmul(env, exports);
  initPool(env, exports);
  initElementwise(env, exports);
  initReduce(env, exports);
  initCopy(env, exports);
  initBatchNorm(env, exports);
  return exports;
}

}  // namespace d2l

static Napi::Object InitAddon(Napi::Env env, Napi::Object exports) { return d2l::Init(env, exports); }

NODE_API_MODULE(d2l_native, InitAddon)
