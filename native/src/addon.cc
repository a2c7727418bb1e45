// Entry point of the d2l native backend addon: engine/stream singletons, thread control, exports.
#include "common.h"
#include <omp.h>
#include <sys/mman.h>
#include <unistd.h>
#include <cstdint>

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

// cpuIsa(): the instruction set oneDNN's kernels use here: the CPU's best, unless ONEDNN_MAX_CPU_ISA (or
// DNNL_MAX_CPU_ISA) caps it. `d2l bench` derives the FP32 peak from it (vector width).
static Napi::Value CpuIsa(const Napi::CallbackInfo& info) {
  // Numbers rather than enum names: the names differ between oneDNN versions, the values of these do not.
  const char* name = "unknown";
  switch (static_cast<int>(dnnl_get_effective_cpu_isa())) {
    case 0x1: name = "sse41"; break;
    case 0x3: name = "avx"; break;
    case 0x7: name = "avx2"; break;
    case 0x407: name = "avx2_vnni"; break;
    case 0x27: name = "avx512_core"; break;
    case 0x67: name = "avx512_core_vnni"; break;
    case 0xe7: name = "avx512_core_bf16"; break;
    case 0x3e7: name = "avx512_core_amx"; break;
    default: break;
  }
  return Napi::String::New(info.Env(), name);
}

// releasePages(array): gives the whole pages inside a buffer that nothing will read again back to the OS now,
// instead of when V8 collects the ArrayBuffer. Used by the buffer pool for buffers it drops: V8 runs its GC on
// its own schedule, and the dropped buffers kept ResNet-18's peak RSS ~500 MB higher. The mapping stays valid
// (a later read would see zeros), so this is safe however late the GC comes.
static Napi::Value ReleasePages(const Napi::CallbackInfo& info) {
  Napi::TypedArray a = info[0].As<Napi::TypedArray>();
  const uintptr_t page = static_cast<uintptr_t>(sysconf(_SC_PAGESIZE));
  const uintptr_t start = reinterpret_cast<uintptr_t>(a.ArrayBuffer().Data()) + a.ByteOffset();
  const uintptr_t lo = (start + page - 1) & ~(page - 1), hi = (start + a.ByteLength()) & ~(page - 1);
  bool ok = false;
  if (hi > lo) ok = madvise(reinterpret_cast<void*>(lo), hi - lo, MADV_DONTNEED) == 0;
  return Napi::Boolean::New(info.Env(), ok);
}

static Napi::Object Init(Napi::Env env, Napi::Object exports) {
  exports.Set("setNumThreads", Napi::Function::New(env, SetNumThreads));
  exports.Set("getNumThreads", Napi::Function::New(env, GetNumThreads));
  exports.Set("onednnVersion", Napi::Function::New(env, Version));
  exports.Set("cpuIsa", Napi::Function::New(env, CpuIsa));
  exports.Set("releasePages", Napi::Function::New(env, ReleasePages));
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
