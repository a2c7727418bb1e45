// arenaChunk(bytes, hugePages): one ArrayBuffer of `bytes` over address space reserved for the buffer pool's arena
// (src/backend/native/arena.ts carves tensors' storage out of it as views), or null where it cannot be had.
//
// Why a reservation and not `new ArrayBuffer(bytes)`: V8 would commit and zero all of it at once, and count it
// against nothing the OS can reclaim. Here the mapping is MAP_NORESERVE: a page costs memory only once written,
// and `releasePages` gives pages back while the mapping stays valid. The chunk is never freed (the pool keeps
// it for the process's life), so the ArrayBuffer has no finalizer. Node 20's external buffers hold at most
// 4 GiB (buffer.constants.MAX_LENGTH), which bounds `bytes`; the pool takes more chunks when it needs them.
#include "common.h"
#include <sys/mman.h>
#include <cstdint>

namespace d2l {
namespace {

constexpr uintptr_t kHugePage = uintptr_t(2) << 20;

Napi::Value ArenaChunk(const Napi::CallbackInfo& info) {
  const size_t bytes = static_cast<size_t>(info[0].As<Napi::Number>().Int64Value());
  const bool huge = info.Length() > 1 && info[1].ToBoolean().Value();
  if (bytes == 0) return info.Env().Null();
  // Over-reserve by one huge page so the chunk starts on a 2 MiB boundary (whole huge pages from its start).
  void* p = mmap(nullptr, bytes + kHugePage, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE,
                 -1, 0);
  if (p == MAP_FAILED) return info.Env().Null();
  const uintptr_t base = (reinterpret_cast<uintptr_t>(p) + kHugePage - 1) & ~(kHugePage - 1);
#if defined(__linux__) && defined(MADV_HUGEPAGE)
  if (huge) madvise(reinterpret_cast<void*>(base), bytes & ~(kHugePage - 1), MADV_HUGEPAGE);
#endif
  try {
    return Napi::ArrayBuffer::New(info.Env(), reinterpret_cast<void*>(base), bytes);
  } catch (const Napi::Error&) {  // refused (too long for this runtime, or external buffers disallowed)
    munmap(p, bytes + kHugePage);
    return info.Env().Null();
  }
}

}  // namespace

void initArena(Napi::Env env, Napi::Object exports) {
  exports.Set("arenaChunk", Napi::Function::New(env, ArenaChunk));
}

}  // namespace d2l
