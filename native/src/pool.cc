// Max/avg pooling (NHWC) on oneDNN. A max pool run while gradients are recorded keeps oneDNN's workspace (the
// argmax of each window, one byte per output) so that its gradient is oneDNN's backward pass over it; without
// a workspace (another caller of MaxPoolGrad) the gradient is an OpenMP loop that finds each window's maximum
// again. AvgPoolGrad is an OpenMP loop.
#include "common.h"
#include <cmath>
#include <limits>
#include <algorithm>

namespace d2l {
namespace {

using namespace dnnl;

// p = [n, ih, iw, c, kh, kw, oh, ow, sh, sw, padTop, padLeft]
struct PoolGeom {
  int64_t n, ih, iw, c, kh, kw, oh, ow, sh, sw, pt, pl;
  explicit PoolGeom(const std::vector<int64_t>& p)
      : n(p[0]), ih(p[1]), iw(p[2]), c(p[3]), kh(p[4]), kw(p[5]), oh(p[6]), ow(p[7]), sh(p[8]), sw(p[9]),
        pt(p[10]), pl(p[11]) {}
};

// oneDNN wants the right/bottom padding that makes the output size exact (never negative).
dims rightPadding(const PoolGeom& g) {
  return {std::max<int64_t>(0, (g.oh - 1) * g.sh + g.kh - g.ih - g.pt),
          std::max<int64_t>(0, (g.ow - 1) * g.sw + g.kw - g.iw - g.pl)};
}

struct PoolEntry {
  pooling_forward::primitive_desc pd;
  pooling_forward prim;
  memory::desc src, dst;
};
std::unordered_map<std::string, std::unique_ptr<PoolEntry>> cache;

// pool(x, out, p, isMax)
Napi::Value Pool(const Napi::CallbackInfo& info) {
  try {
    float* x = f32(info[0]);
    float* y = f32(info[1]);
    auto p = ints(info[2]);
    const bool isMax = info[3].ToBoolean().Value();
    const std::string k = key("pool", p, isMax);
    auto it = cache.find(k);
    if (it == cache.end()) {
      PoolGeom g(p);
      memory::desc src({g.n, g.c, g.ih, g.iw}, dt::f32, tag::nhwc), dst({g.n, g.c, g.oh, g.ow}, dt::f32, tag::nhwc);
      dims padR = rightPadding(g);
      pooling_forward::desc d(prop_kind::forward_inference,
                              isMax ? algorithm::pooling_max : algorithm::pooling_avg_exclude_padding, src, dst,
                              {g.sh, g.sw}, {g.kh, g.kw}, {g.pt, g.pl}, padR);
      auto pd = pooling_forward::primitive_desc(d, engine());
      it = cache.emplace(k, std::make_unique<PoolEntry>(PoolEntry{pd, pooling_forward(pd), src, dst})).first;
    }
    PoolEntry& e = *it->second;
    e.prim.execute(stream(), {{DNNL_ARG_SRC, userMem(e.src, x)}, {DNNL_ARG_DST, userMem(e.dst, y)}});
    stream().wait();
  } catch (const dnnl::error& err) {
    throw Napi::Error::New(info.Env(), std::string("d2l native pool: ") + err.what());
  }
  return info.Env().Undefined();
}

// A max pool for training: forward with workspace plus the backward primitive that reads it.
struct MaxPoolTrainingEntry {
  pooling_forward::primitive_desc fwdPd;
  pooling_forward fwd;
  pooling_backward bwd;
  memory::desc src, dst, ws;
};
std::unordered_map<std::string, std::unique_ptr<MaxPoolTrainingEntry>> trainingCache;

MaxPoolTrainingEntry& maxPoolTraining(const std::vector<int64_t>& p) {
  const std::string k = key("maxpool-training", p);
  auto it = trainingCache.find(k);
  if (it != trainingCache.end()) return *it->second;
  PoolGeom g(p);
  memory::desc src({g.n, g.c, g.ih, g.iw}, dt::f32, tag::nhwc), dst({g.n, g.c, g.oh, g.ow}, dt::f32, tag::nhwc);
  dims strides{g.sh, g.sw}, kernel{g.kh, g.kw}, padL{g.pt, g.pl};
  dims padR = rightPadding(g);
  pooling_forward::desc fd(prop_kind::forward_training, algorithm::pooling_max, src, dst, strides, kernel, padL, padR);
  auto fwdPd = pooling_forward::primitive_desc(fd, engine());
  pooling_backward::desc bd(algorithm::pooling_max, src, dst, strides, kernel, padL, padR);
  auto bwdPd = pooling_backward::primitive_desc(bd, engine(), fwdPd);
  auto entry = std::make_unique<MaxPoolTrainingEntry>(MaxPoolTrainingEntry{
      fwdPd, pooling_forward(fwdPd), pooling_backward(bwdPd), src, dst, fwdPd.workspace_desc()});
  return *trainingCache.emplace(k, std::move(entry)).first->second;
}

// The caller's workspace buffer: any typed array of at least maxPoolWorkspaceBytes(p) bytes.
void* workspaceData(const Napi::Value& v, size_t need) {
  if (!v.IsTypedArray()) throw Napi::TypeError::New(v.Env(), "d2l native: expected a typed array workspace");
  auto a = v.As<Napi::TypedArray>();
  if (a.ByteLength() < need) throw Napi::RangeError::New(v.Env(), "d2l native: max-pool workspace too small");
  return static_cast<uint8_t*>(a.ArrayBuffer().Data()) + a.ByteOffset();
}

// maxPoolWorkspaceBytes(p): bytes of the workspace maxPoolForTraining writes for this geometry.
Napi::Value MaxPoolWorkspaceBytes(const Napi::CallbackInfo& info) {
  try {
    return Napi::Number::New(info.Env(), static_cast<double>(maxPoolTraining(ints(info[0])).ws.get_size()));
  } catch (const dnnl::error& err) {
    throw Napi::Error::New(info.Env(), std::string("d2l native max pool: ") + err.what());
  }
}

// maxPoolForTraining(x, y, ws, p): y = max pool of x, and each window's argmax into ws.
Napi::Value MaxPoolForTraining(const Napi::CallbackInfo& info) {
  try {
    float* x = f32(info[0]);
    float* y = f32(info[1]);
    MaxPoolTrainingEntry& e = maxPoolTraining(ints(info[3]));
    dnnl::memory ws(e.ws, engine(), workspaceData(info[2], e.ws.get_size()));
    e.fwd.execute(stream(), {{DNNL_ARG_SRC, userMem(e.src, x)}, {DNNL_ARG_DST, userMem(e.dst, y)},
                             {DNNL_ARG_WORKSPACE, ws}});
    stream().wait();
  } catch (const dnnl::error& err) {
    throw Napi::Error::New(info.Env(), std::string("d2l native max pool: ") + err.what());
  }
  return info.Env().Undefined();
}

// maxPoolGradFromWorkspace(dy, ws, dx, p): overwrites dx with the gradient routed by the forward's argmax.
Napi::Value MaxPoolGradFromWorkspace(const Napi::CallbackInfo& info) {
  try {
    float* dy = f32(info[0]);
    float* dx = f32(info[2]);
    MaxPoolTrainingEntry& e = maxPoolTraining(ints(info[3]));
    dnnl::memory ws(e.ws, engine(), workspaceData(info[1], e.ws.get_size()));
    e.bwd.execute(stream(), {{DNNL_ARG_DIFF_DST, userMem(e.dst, dy)}, {DNNL_ARG_WORKSPACE, ws},
                             {DNNL_ARG_DIFF_SRC, userMem(e.src, dx)}});
    stream().wait();
  } catch (const dnnl::error& err) {
    throw Napi::Error::New(info.Env(), std::string("d2l native max pool gradient: ") + err.what());
  }
  return info.Env().Undefined();
}

constexpr int64_t kChanBlock = 64;

// maxPoolGrad(dy, x, dx, p): overwrites dx. Routes each dy to the first (row-major) maximum
// of its window, the same tie rule as tfjs' cpu kernel.
Napi::Value MaxPoolGrad(const Napi::CallbackInfo& info) {
  const float* dy = f32(info[0]);
  const float* x = f32(info[1]);
  float* dx = f32(info[2]);
  zeroFill(info[2]);
  PoolGeom g(ints(info[3]));
  const int64_t cBlocks = (g.c + kChanBlock - 1) / kChanBlock;
#pragma omp parallel for collapse(2) schedule(static)
  for (int64_t b = 0; b < g.n; ++b) {
    for (int64_t cb = 0; cb < cBlocks; ++cb) {
      const int64_t c0 = cb * kChanBlock, c1 = std::min(g.c, c0 + kChanBlock), cn = c1 - c0;
      float best[kChanBlock];
      int64_t arg[kChanBlock];
      const float* xb = x + b * g.ih * g.iw * g.c;
      float* dxb = dx + b * g.ih * g.iw * g.c;
      for (int64_t r = 0; r < g.oh; ++r) {
        for (int64_t q = 0; q < g.ow; ++q) {
          for (int64_t i = 0; i < cn; ++i) { best[i] = -std::numeric_limits<float>::infinity(); arg[i] = -1; }
          const int64_t r0 = r * g.sh - g.pt, q0 = q * g.sw - g.pl;
          for (int64_t fr = std::max<int64_t>(0, -r0); fr < g.kh && r0 + fr < g.ih; ++fr) {
            for (int64_t fq = std::max<int64_t>(0, -q0); fq < g.kw && q0 + fq < g.iw; ++fq) {
              const int64_t off = ((r0 + fr) * g.iw + (q0 + fq)) * g.c + c0;
              const float* xp = xb + off;
              for (int64_t i = 0; i < cn; ++i) {
                if (xp[i] > best[i]) { best[i] = xp[i]; arg[i] = off + i; }
              }
            }
          }
          const float* dyp = dy + ((b * g.oh + r) * g.ow + q) * g.c + c0;
          for (int64_t i = 0; i < cn; ++i) {
            if (arg[i] >= 0) dxb[arg[i]] += dyp[i];
          }
        }
      }
    }
  }
  return info.Env().Undefined();
}

// avgPoolGrad(dy, dx, p, excludePadding): overwrites dx. The divisor is the number of
// in-image cells of each window (what the forward pass averaged over) when excludePadding is set.
Napi::Value AvgPoolGrad(const Napi::CallbackInfo& info) {
  const float* dy = f32(info[0]);
  float* dx = f32(info[1]);
  PoolGeom g(ints(info[2]));
  const bool exclude = info[3].ToBoolean().Value();
  if (g.sh == g.kh && g.sw == g.kw && g.pt == 0 && g.pl == 0) {
    // Windows tile the input without overlap (LeNet's and DenseNet's 2x2/2): every dx cell belongs to at most
    // one window, so it is written once, in order, with no zero fill and no scatter.
#pragma omp parallel for collapse(2) schedule(static)
    for (int64_t b = 0; b < g.n; ++b) {
      for (int64_t rr = 0; rr < g.ih; ++rr) {
        float* dxp = dx + (b * g.ih + rr) * g.iw * g.c;
        const int64_t r = rr / g.kh;
        for (int64_t qq = 0; qq < g.iw; ++qq, dxp += g.c) {
          const int64_t q = qq / g.kw;
          if (r >= g.oh || q >= g.ow) {
            for (int64_t i = 0; i < g.c; ++i) dxp[i] = 0.f;
            continue;
          }
          const int64_t count = exclude ? (std::min(g.ih, r * g.kh + g.kh) - r * g.kh) *
                                              (std::min(g.iw, q * g.kw + g.kw) - q * g.kw)
                                        : g.kh * g.kw;
          const float scale = 1.0f / static_cast<float>(count);
          const float* dyp = dy + ((b * g.oh + r) * g.ow + q) * g.c;
          for (int64_t i = 0; i < g.c; ++i) dxp[i] = dyp[i] * scale;
        }
      }
    }
    return info.Env().Undefined();
  }
  zeroFill(info[1]);
  const int64_t cBlocks = (g.c + kChanBlock - 1) / kChanBlock;
#pragma omp parallel for collapse(2) schedule(static)
  for (int64_t b = 0; b < g.n; ++b) {
    for (int64_t cb = 0; cb < cBlocks; ++cb) {
      const int64_t c0 = cb * kChanBlock, c1 = std::min(g.c, c0 + kChanBlock), cn = c1 - c0;
      float* dxb = dx + b * g.ih * g.iw * g.c;
      for (int64_t r = 0; r < g.oh; ++r) {
        for (int64_t q = 0; q < g.ow; ++q) {
          const int64_t r0 = r * g.sh - g.pt, q0 = q * g.sw - g.pl;
          const int64_t ra = std::max<int64_t>(0, r0), rb = std::min(g.ih, r0 + g.kh);
          const int64_t qa = std::max<int64_t>(0, q0), qb = std::min(g.iw, q0 + g.kw);
          const int64_t count = exclude ? (rb - ra) * (qb - qa) : g.kh * g.kw;
          if (count <= 0) continue;
          const float scale = 1.0f / static_cast<float>(count);
          const float* dyp = dy + ((b * g.oh + r) * g.ow + q) * g.c + c0;
          for (int64_t rr = ra; rr < rb; ++rr) {
            for (int64_t qq = qa; qq < qb; ++qq) {
              float* dxp = dxb + (rr * g.iw + qq) * g.c + c0;
              for (int64_t i = 0; i < cn; ++i) dxp[i] += dyp[i] * scale;
            }
          }
        }
      }
    }
  }
  return info.Env().Undefined();
}

}  // namespace

void initPool(Napi::Env env, Napi::Object exports) {
  exports.Set("pool", Napi::Function::New(env, Pool));
  exports.Set("maxPoolGrad", Napi::Function::New(env, MaxPoolGrad));
  exports.Set("maxPoolWorkspaceBytes", Napi::Function::New(env, MaxPoolWorkspaceBytes));
  exports.Set("maxPoolForTraining", Napi::Function::New(env, MaxPoolForTraining));
  exports.Set("maxPoolGradFromWorkspace", Napi::Function::New(env, MaxPoolGradFromWorkspace));
  exports.Set("avgPoolGrad", Napi::Function::New(env, AvgPoolGrad));
}

}  // namespace d2l
