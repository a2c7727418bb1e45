// Batched matrix multiply (tfjs BatchMatMul / _FusedMatMul) on oneDNN, transposes expressed as strides.
#include "common.h"

namespace d2l {
namespace {

using namespace dnnl;

struct MatmulEntry {
  matmul::primitive_desc pd;
  matmul prim;
  memory::desc a, b, c, bias;
};
std::unordered_map<std::string, std::unique_ptr<MatmulEntry>> cache;

// p = [batchA, batchB, M, K, N, transA, transB]; batchA and batchB are equal or one of them is 1.
MatmulEntry& get(const std::vector<int64_t>& p, bool hasBias, int act) {
  const std::string k = key("mm", p, (hasBias ? 10 : 0) + act);
  auto it = cache.find(k);
  if (it != cache.end()) return *it->second;
  const int64_t ba = p[0], bb = p[1], m = p[2], kk = p[3], n = p[4];
  const bool ta = p[5] != 0, tb = p[6] != 0;
  const int64_t bc = std::max(ba, bb);
  memory::desc a({ba, m, kk}, dt::f32, ta ? dims{m * kk, 1, m} : dims{m * kk, kk, 1});
  memory::desc b({bb, kk, n}, dt::f32, tb ? dims{kk * n, 1, kk} : dims{kk * n, n, 1});
  memory::desc c({bc, m, n}, dt::f32, dims{m * n, n, 1});
  memory::desc bias({1, 1, n}, dt::f32, dims{n, n, 1});
  primitive_attr attr;
  if (act != 0) {
    post_ops po;
    po.append_eltwise(1.f, act == 1 ? algorithm::eltwise_relu : algorithm::eltwise_logistic, 0.f, 0.f);
    attr.set_post_ops(po);
  }
  matmul::desc d = hasBias ? matmul::desc(a, b, bias, c) : matmul::desc(a, b, c);
  auto pd = matmul::primitive_desc(d, attr, engine());
  auto e = std::make_unique<MatmulEntry>(MatmulEntry{pd, matmul(pd), a, b, c, bias});
  return *(cache[k] = std::move(e));
}

// matmul(a, b, bias|null, out, p, act)
Napi::Value Matmul(const Napi::CallbackInfo& info) {
  try {
    float* a = f32(info[0]);
    float* b = f32(info[1]);
    float* bias = f32OrNull(info[2]);
    float* c = f32(info[3]);
    auto p = ints(info[4]);
    int act = info[5].As<Napi::Number>().Int32Value();
    MatmulEntry& e = get(p, bias != nullptr, act);
    std::unordered_map<int, memory> args{
        {DNNL_ARG_SRC, userMem(e.a, a)}, {DNNL_ARG_WEIGHTS, userMem(e.b, b)}, {DNNL_ARG_DST, userMem(e.c, c)}};
    if (bias) args.insert({DNNL_ARG_BIAS, userMem(e.bias, bias)});
    e.prim.execute(stream(), args);
    stream().wait();
  } catch (const dnnl::error& err) {
    throw Napi::Error::New(info.Env(), std::string("d2l native matmul: ") + err.what());
  }
  return info.Env().Undefined();
}

}  // namespace

void initMatmul(Napi::Env env, Napi::Object exports) {
  exports.Set("matmul", Napi::Function::New(env, Matmul));
}

}  // namespace d2l
