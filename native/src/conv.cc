// 2-D convolution (NHWC activations, HWIO filters as tfjs stores them) forward, backward-data and
// backward-weights on oneDNN. Filters are reordered into whatever blocked layout oneDNN prefers.
#include "common.h"
#include <algorithm>
#include <cstdlib>

namespace d2l {
namespace {

using namespace dnnl;

// p = [n, ih, iw, ic, kh, kw, oc, oh, ow, sh, sw, dh, dw, padTop, padLeft]  (dilations as in tfjs, >= 1)
struct ConvGeom {
  dims src, wei, dst, strides, dil, padL, padR;
  explicit ConvGeom(const std::vector<int64_t>& p) {
    const int64_t n = p[0], ih = p[1], iw = p[2], ic = p[3], kh = p[4], kw = p[5], oc = p[6];
    const int64_t oh = p[7], ow = p[8], sh = p[9], sw = p[10], dh = p[11], dw = p[12];
    const int64_t pt = p[13], pl = p[14];
    src = {n, ic, ih, iw};
    wei = {oc, ic, kh, kw};
    dst = {n, oc, oh, ow};
    strides = {sh, sw};
    dil = {dh - 1, dw - 1};
    padL = {pt, pl};
    // Bottom/right padding follows from the output size. When the last window stops short of the
    // edge this would be negative; oneDNN's floor division gives the same output size with 0, and its
    // backward-weights kernels mishandle negative padding.
    const int64_t ekh = (kh - 1) * dh + 1, ekw = (kw - 1) * dw + 1;
    padR = {std::max<int64_t>(0, (oh - 1) * sh + ekh - ih - pt), std::max<int64_t>(0, (ow - 1) * sw + ekw - iw - pl)};
  }
  memory::desc srcMd() const { return {src, dt::f32, tag::nhwc}; }
  memory::desc dstMd() const { return {dst, dt::f32, tag::nhwc}; }
  memory::desc weiUser() const { return {wei, dt::f32, tag::hwio}; }
  memory::desc weiAny() const { return {wei, dt::f32, tag::any}; }
  // Layout the primitives compute in: NHWC as stored, or (D2L_NATIVE_CONV_LAYOUT=blocked) whatever
  // oneDNN prefers, with activations reordered on the way in and out.
  memory::desc srcAny() const { return {src, dt::f32, blockedLayout() ? tag::any : tag::nhwc}; }
  memory::desc dstAny() const { return {dst, dt::f32, blockedLayout() ? tag::any : tag::nhwc}; }
  static bool blockedLayout() {
    static const bool b = [] {
      const char* v = std::getenv("D2L_NATIVE_CONV_LAYOUT");
      return v != nullptr && std::string(v) == "blocked";
    }();
    return b;
  }
};

convolution_forward::desc fwdDesc(const ConvGeom& g, bool bias, prop_kind pk) {
  if (bias) {
    return convolution_forward::desc(pk, algorithm::convolution_direct, g.srcAny(), g.weiAny(),
                                     memory::desc({g.dst[1]}, dt::f32, tag::x), g.dstAny(), g.strides,
                                     g.dil, g.padL, g.padR);
  }
  return convolution_forward::desc(pk, algorithm::convolution_direct, g.srcAny(), g.weiAny(), g.dstAny(),
                                   g.strides, g.dil, g.padL, g.padR);
}

struct FwdEntry {
  convolution_forward::primitive_desc pd;
  convolution_forward prim;
};
struct BwdDataEntry {
  convolution_backward_data::primitive_desc pd;
  convolution_backward_data prim;
};
struct BwdWeiEntry {
  convolution_backward_weights::primitive_desc pd;
  convolution_backward_weights prim;
};

std::unordered_map<std::string, std::unique_ptr<FwdEntry>> fwdCache;
std::unordered_map<std::string, std::unique_ptr<BwdDataEntry>> bwdDataCache;
std::unordered_map<std::string, std::unique_ptr<BwdWeiEntry>> bwdWeiCache;

// act: 0 linear, 1 relu, 2 sigmoid (fused as a oneDNN post-op).
FwdEntry& getFwd(const std::vector<int64_t>& p, bool bias, int act) {
  const std::string k = key("conv", p, (bias ? 10 : 0) + act);
  auto it = fwdCache.find(k);
  if (it != fwdCache.end()) return *it->second;
  ConvGeom g(p);
  primitive_attr attr;
  if (act != 0) {
    post_ops po;
    po.append_eltwise(1.f, act == 1 ? algorithm::eltwise_relu : algorithm::eltwise_logistic, 0.f, 0.f);
    attr.set_post_ops(po);
  }
  auto pd = convolution_forward::primitive_desc(fwdDesc(g, bias, prop_kind::forward_training), attr, engine());
  auto e = std::make_unique<FwdEntry>(FwdEntry{pd, convolution_forward(pd)});
  return *(fwdCache[k] = std::move(e));
}

convolution_forward::primitive_desc hintPd(const ConvGeom& g) {
  return convolution_forward::primitive_desc(fwdDesc(g, false, prop_kind::forward_training), engine());
}

// 1x1 convolutions with stride > 1 are run as stride-1 convolutions on the subsampled input:
// oneDNN 2.6's jit_1x1 backward-weights kernel corrupts the heap on strided NHWC problems, and the
// subsampled problem is also less work for every pass.
bool strided1x1(const std::vector<int64_t>& p) { return p[4] == 1 && p[5] == 1 && (p[9] > 1 || p[10] > 1); }

std::vector<int64_t> unitStride(std::vector<int64_t> p) {
  p[1] = p[7]; p[2] = p[8];
  p[9] = p[10] = p[11] = p[12] = 1;
  p[13] = p[14] = 0;
  return p;
}

// Visits (subsampled offset, full-input offset or -1 for padding) for a strided 1x1 conv.
template <typename F>
void forStridedPixels(const std::vector<int64_t>& p, F f) {
  const int64_t n = p[0], ih = p[1], iw = p[2], c = p[3], oh = p[7], ow = p[8];
  const int64_t sh = p[9], sw = p[10], pt = p[13], pl = p[14];
#pragma omp parallel for collapse(2) schedule(static)
  for (int64_t b = 0; b < n; ++b) {
    for (int64_t r = 0; r < oh; ++r) {
      for (int64_t q = 0; q < ow; ++q) {
        const int64_t y = r * sh - pt, x = q * sw - pl;
        const int64_t sub = ((b * oh + r) * ow + q) * c;
        const int64_t full = (y >= 0 && y < ih && x >= 0 && x < iw) ? ((b * ih + y) * iw + x) * c : -1;
        f(sub, full, c);
      }
    }
  }
}

std::vector<float> subsample(const float* x, const std::vector<int64_t>& p) {
  std::vector<float> out(static_cast<size_t>(p[0] * p[7] * p[8] * p[3]), 0.f);
  float* o = out.data();
  forStridedPixels(p, [&](int64_t sub, int64_t full, int64_t c) {
    if (full >= 0) std::copy(x + full, x + full + c, o + sub);
  });
  return out;
}

void convForward(float* x, float* w, float* b, float* y, const std::vector<int64_t>& p, int act) {
  FwdEntry& e = getFwd(p, b != nullptr, act);
  ConvGeom g(p);
  memory src = reorderIfNeeded(userMem(g.srcMd(), x), e.pd.src_desc());
  memory user = userMem(g.dstMd(), y);
  memory dst = e.pd.dst_desc() == g.dstMd() ? user : memory(e.pd.dst_desc(), engine());
  memory wei = reorderIfNeeded(userMem(g.weiUser(), w), e.pd.weights_desc());
  std::unordered_map<int, memory> args{{DNNL_ARG_SRC, src}, {DNNL_ARG_WEIGHTS, wei}, {DNNL_ARG_DST, dst}};
  if (b) args.insert({DNNL_ARG_BIAS, userMem(memory::desc({g.dst[1]}, dt::f32, tag::x), b)});
  e.prim.execute(stream(), args);
  if (dst.get_data_handle() != user.get_data_handle()) reorder(dst, user).execute(stream(), dst, user);
  stream().wait();
}

void convBackwardData(float* dy, float* w, float* dx, const std::vector<int64_t>& p) {
  const std::string k = key("convbd", p);
  ConvGeom g(p);
  auto it = bwdDataCache.find(k);
  if (it == bwdDataCache.end()) {
    convolution_backward_data::desc d(algorithm::convolution_direct, g.srcAny(), g.weiAny(), g.dstAny(), g.strides,
                                      g.dil, g.padL, g.padR);
    auto pd = convolution_backward_data::primitive_desc(d, engine(), hintPd(g));
    it = bwdDataCache.emplace(k, std::make_unique<BwdDataEntry>(BwdDataEntry{pd, convolution_backward_data(pd)})).first;
  }
  BwdDataEntry& e = *it->second;
  memory wei = reorderIfNeeded(userMem(g.weiUser(), w), e.pd.weights_desc());
  memory user = userMem(g.srcMd(), dx);
  memory dsrc = e.pd.diff_src_desc() == g.srcMd() ? user : memory(e.pd.diff_src_desc(), engine());
  e.prim.execute(stream(), {{DNNL_ARG_DIFF_DST, reorderIfNeeded(userMem(g.dstMd(), dy), e.pd.diff_dst_desc())},
                            {DNNL_ARG_WEIGHTS, wei},
                            {DNNL_ARG_DIFF_SRC, dsrc}});
  if (dsrc.get_data_handle() != user.get_data_handle()) reorder(dsrc, user).execute(stream(), dsrc, user);
  stream().wait();
}

void convBackwardWeights(float* x, float* dy, float* dw, const std::vector<int64_t>& p) {
  const std::string k = key("convbw", p);
  ConvGeom g(p);
  auto it = bwdWeiCache.find(k);
  if (it == bwdWeiCache.end()) {
    convolution_backward_weights::desc d(algorithm::convolution_direct, g.srcAny(), g.weiAny(), g.dstAny(), g.strides,
                                         g.dil, g.padL, g.padR);
    auto pd = convolution_backward_weights::primitive_desc(d, engine(), hintPd(g));
    it = bwdWeiCache.emplace(k, std::make_unique<BwdWeiEntry>(BwdWeiEntry{pd, convolution_backward_weights(pd)}))
             .first;
  }
  BwdWeiEntry& e = *it->second;
  memory user = userMem(g.weiUser(), dw);
  const bool direct = e.pd.diff_weights_desc() == g.weiUser();
  memory dwMem = direct ? user : memory(e.pd.diff_weights_desc(), engine());
  e.prim.execute(stream(), {{DNNL_ARG_SRC, reorderIfNeeded(userMem(g.srcMd(), x), e.pd.src_desc())},
                            {DNNL_ARG_DIFF_DST, reorderIfNeeded(userMem(g.dstMd(), dy), e.pd.diff_dst_desc())},
                            {DNNL_ARG_DIFF_WEIGHTS, dwMem}});
  if (!direct) reorder(dwMem, user).execute(stream(), dwMem, user);
  stream().wait();
}

template <typename F>
Napi::Value guarded(const Napi::CallbackInfo& info, const char* name, F f) {
  try {
    f();
  } catch (const dnnl::error& err) {
    throw Napi::Error::New(info.Env(), std::string("d2l native ") + name + ": " + err.what());
  }
  return info.Env().Undefined();
}

// conv2d(x, w, bias|null, out, p, act)
Napi::Value Conv2d(const Napi::CallbackInfo& info) {
  return guarded(info, "conv2d", [&] {
    float* x = f32(info[0]);
    auto p = ints(info[4]);
    const int act = info[5].As<Napi::Number>().Int32Value();
    if (!strided1x1(p)) return convForward(x, f32(info[1]), f32OrNull(info[2]), f32(info[3]), p, act);
    std::vector<float> xs = subsample(x, p);
    convForward(xs.data(), f32(info[1]), f32OrNull(info[2]), f32(info[3]), unitStride(p), act);
  });
}

// conv2dBackwardData(dy, w, dx, p): overwrites dx.
Napi::Value Conv2dBackwardData(const Napi::CallbackInfo& info) {
  return guarded(info, "conv2dBackwardData", [&] {
    float* dx = f32(info[2]);
    auto p = ints(info[3]);
    if (!strided1x1(p)) return convBackwardData(f32(info[0]), f32(info[1]), dx, p);
    zeroFill(info[2]);  // pixels the strided 1x1 filter never reads get no gradient
    std::vector<float> dxs(static_cast<size_t>(p[0] * p[7] * p[8] * p[3]));
    convBackwardData(f32(info[0]), f32(info[1]), dxs.data(), unitStride(p));
    const float* s = dxs.data();
    forStridedPixels(p, [&](int64_t sub, int64_t full, int64_t c) {
      if (full >= 0) std::copy(s + sub, s + sub + c, dx + full);
    });
  });
}

// conv2dBackwardWeights(x, dy, dw, p)
Napi::Value Conv2dBackwardWeights(const Napi::CallbackInfo& info) {
  return guarded(info, "conv2dBackwardWeights", [&] {
    float* x = f32(info[0]);
    auto p = ints(info[3]);
    if (!strided1x1(p)) return convBackwardWeights(x, f32(info[1]), f32(info[2]), p);
    std::vector<float> xs = subsample(x, p);
    convBackwardWeights(xs.data(), f32(info[1]), f32(info[2]), unitStride(p));
  });
}

}  // namespace

void initConv(Napi::Env env, Napi::Object exports) {
  exports.Set("conv2d", Napi::Function::New(env, Conv2d));
  exports.Set("conv2dBackwardData", Napi::Function::New(env, Conv2dBackwardData));
  exports.Set("conv2dBackwardWeights", Napi::Function::New(env, Conv2dBackwardWeights));
}

}  // namespace d2l
