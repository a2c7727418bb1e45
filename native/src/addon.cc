// Entry point of the d2l native backend addon: engine/stream singletons, thread control, exports.
#include "common.h"
#include <omp.h>
#include <sys/mman.h>
#include <unistd.h>
#include <algorithm>
#include <chrono>
#include <cstdint>
#include <vector>

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

// measureClockGhz(threads): the core clock while `threads` cores are busy, from a chain of dependent integer adds
// (one cycle each on every x86-64 core since the 1990s) timed on each thread at once; the slowest thread's rate.
// `d2l bench` uses it for the FP32 peak because in a VM /proc/cpuinfo's "cpu MHz" is the host's nominal clock
// (Zen 4: 2.6 GHz), below what the cores really run at: AlexNet's step counted 106% of a peak from it. It does not
// see a lower clock that heavy AVX-512 code may get on some Intel parts. 0 where there is no such probe (non-x86).
static Napi::Value MeasureClockGhz(const Napi::CallbackInfo& info) {
  int threads = info.Length() > 0 ? info[0].As<Napi::Number>().Int32Value() : 1;
  if (threads < 1) threads = 1;
#if defined(__x86_64__)
  constexpr long kIters = 4000000;  // x 32 adds: ~0.05 s per pass at 3 GHz
  std::vector<double> ghz(threads, 0.0);
#pragma omp parallel num_threads(threads)
  {
    const int t = omp_get_thread_num();
    double best = 0.0;
    for (int pass = 0; pass < 3; ++pass) {  // the first pass also wakes the core from its idle clock
      uint64_t x = 0;
      const auto t0 = std::chrono::steady_clock::now();
      for (long i = 0; i < kIters; ++i) {
#define D2L_ADD4 "add $1, %0\n\tadd $1, %0\n\tadd $1, %0\n\tadd $1, %0\n\t"
        asm volatile(D2L_ADD4 D2L_ADD4 D2L_ADD4 D2L_ADD4 D2L_ADD4 D2L_ADD4 D2L_ADD4 D2L_ADD4 : "+r"(x));
#undef D2L_ADD4
      }
      const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
      if (s > 0) best = std::max(best, static_cast<double>(kIters) * 32 / s / 1e9);
    }
    ghz[t] = best;  // t < the team size <= threads
  }
  double slowest = 0.0;  // over the threads OpenMP really started (it may give fewer than asked)
  for (double g : ghz) if (g > 0 && (slowest == 0 || g < slowest)) slowest = g;
  return Napi::Number::New(info.Env(), slowest);
#else
  return Napi::Number::New(info.Env(), 0.0);
#endif
}

// madvise(advice) over the whole `page`-sized pages inside a typed array's bytes (none if it holds no whole
// page): false then, or when the kernel refuses.
static bool adviseWholePages(const Napi::TypedArray& a, uintptr_t page, int advice) {
  const uintptr_t start = reinterpret_cast<uintptr_t>(a.ArrayBuffer().Data()) + a.ByteOffset();
  const uintptr_t lo = (start + page - 1) & ~(page - 1), hi = (start + a.ByteLength()) & ~(page - 1);
  return hi > lo && madvise(reinterpret_cast<void*>(lo), hi - lo, advice) == 0;
}

// releasePages(array): gives the whole pages inside a buffer that nothing will read again back to the OS now,
// instead of when V8 collects the ArrayBuffer. Used by the buffer pool for buffers it drops: V8 runs its GC on
// its own schedule, and the dropped buffers kept ResNet-18's peak RSS ~500 MB higher. The mapping stays valid
// (a later read would see zeros), so this is safe however late the GC comes.
static Napi::Value ReleasePages(const Napi::CallbackInfo& info) {
  const uintptr_t page = static_cast<uintptr_t>(sysconf(_SC_PAGESIZE));
  return Napi::Boolean::New(info.Env(), adviseWholePages(info[0].As<Napi::TypedArray>(), page, MADV_DONTNEED));
}

// adviseHugePages(array): asks the kernel to back a fresh buffer with 2 MiB pages (MADV_HUGEPAGE; Linux's default
// transparent-huge-page mode, "madvise", does so only when asked). A fresh buffer is mapped lazily, and its first
// writer pays one page fault per 4 KiB page: a ReLU gradient into a fresh 94 MB buffer took 56 ms against 14 ms
// into a reused one (Zen 4 VM). Only whole 2 MiB pages inside the buffer are advised. False where not supported.
static Napi::Value AdviseHugePages(const Napi::CallbackInfo& info) {
  bool ok = false;
#if defined(__linux__) && defined(MADV_HUGEPAGE)
  ok = adviseWholePages(info[0].As<Napi::TypedArray>(), uintptr_t(2) << 20, MADV_HUGEPAGE);
#endif
  return Napi::Boolean::New(info.Env(), ok);
}

static Napi::Object Init(Napi::Env env, Napi::Object exports) {
  exports.Set("setNumThreads", Napi::Function::New(env, SetNumThreads));
  exports.Set("getNumThreads", Napi::Function::New(env, GetNumThreads));
  exports.Set("onednnVersion", Napi::Function::New(env, Version));
  exports.Set("cpuIsa", Napi::Function::New(env, CpuIsa));
  exports.Set("measureClockGhz", Napi::Function::New(env, MeasureClockGhz));
  exports.Set("adviseHugePages", Napi::Function::New(env, AdviseHugePages));
  exports.Set("releasePages", Napi::Function::New(env, ReleasePages));
  initConv(env, exports);
  initMatmul(env, exports);
  initPool(env, exports);
  initElementwise(env, exports);
  initReduce(env, exports);
  initCopy(env, exports);
  initBatchNorm(env, exports);
  initArena(env, exports);
  return exports;
}

}  // namespace d2l

static Napi::Object InitAddon(Napi::Env env, Napi::Object exports) { return d2l::Init(env, exports); }

NODE_API_MODULE(d2l_native, InitAddon)
