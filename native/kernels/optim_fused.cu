// Fused multi-tensor optimizer updates, PyTorch's multi_tensor_apply: one launch updates every
// float32 parameter of a param group. The host writes one table into device memory:
//
//   tensors: DDP4J_MT_TENSOR_SLOTS int64 per tensor
//            [0] param*  [1] grad*  [2] state0* (momentum_buffer / exp_avg)  [3] state1* (exp_avg_sq)
//            [4] numel   [5] flags (SGD: 1 = first step, the buffer starts as a copy of d)
//            [6] scalar0 [7] scalar1 (double bits; Adam: -lr / bias_correction1, sqrt(bias_correction2))
//   chunks:  2 int64 per chunk: tensor index, first element; a chunk covers chunkSize elements
//            (fewer at a tensor's end). Block b takes chunks b, b + gridDim.x, ...
//
// (io.ddp4j.tensor.backend.MultiTensorPlan builds it.) Every step rounds to float exactly where the
// per-tensor path (one elementwise kernel per op, scalars rounded to float) rounds, with the _rn
// intrinsics so nvcc cannot contract a multiply and an add into an FMA: the fused update is bitwise
// equal to the per-tensor one.
#include "common.cuh"

#define DDP4J_MT_TENSOR_SLOTS 8
#define MT_MAXIMIZE 1
#define MT_NESTEROV 2
#define MT_WEIGHT_DECAY 4
#define MT_MOMENTUM 8
#define MT_DECOUPLED 16

struct MultiTensorParams {
  int64_t* tensors;    // the tensor table (see above)
  int64_t* chunks;     // the chunk table
  int64_t nChunks;
  int64_t chunkSize;
  int64_t flags;       // MT_* bits
  double h[8];         // hyperparameters, each rounded to float in the kernel (see each kernel)
};

// SGD: h[0] weight_decay, h[1] momentum, h[2] 1 - dampening, h[3] -lr.
DDP4J_KERNEL void ddp4j_multi_tensor_sgd(MultiTensorParams p) {
  const bool maximize = p.flags & MT_MAXIMIZE, nesterov = p.flags & MT_NESTEROV;
  const bool decay = p.flags & MT_WEIGHT_DECAY, momentum = p.flags & MT_MOMENTUM;
  const float wd = (float)p.h[0], mom = (float)p.h[1], keep = (float)p.h[2], negLr = (float)p.h[3];
  for (int64_t c = blockIdx.x; c < p.nChunks; c += gridDim.x) {
    const int64_t* ch = p.chunks + 2 * c;
    const int64_t* t = p.tensors + DDP4J_MT_TENSOR_SLOTS * ch[0];
    float* param = (float*)t[0];
    const float* grad = (const float*)t[1];
    float* buf = (float*)t[2];
    const bool first = t[5] & 1;
    const int64_t end = min(ch[1] + p.chunkSize, t[4]);
    for (int64_t i = ch[1] + threadIdx.x; i < end; i += blockDim.x) {
      float d = grad[i];
      if (maximize) d = -d;
      const float pv = param[i];
      if (decay) d = __fadd_rn(d, __fmul_rn(pv, wd));
      if (momentum) {
        float b = first ? d : __fadd_rn(__fmul_rn(buf[i], mom), __fmul_rn(d, keep));
        buf[i] = b;
        d = nesterov ? __fadd_rn(d, __fmul_rn(b, mom)) : b;
      }
      param[i] = __fadd_rn(pv, __fmul_rn(d, negLr));
    }
  }
}

// Adam/AdamW: h[0] weight_decay (L2), h[1] 1 - lr * weight_decay (decoupled), h[2] beta1,
// h[3] 1 - beta1, h[4] beta2, h[5] 1 - beta2, h[6] eps; per tensor scalar0 = -lr / (1 - beta1^t),
// scalar1 = sqrt(1 - beta2^t).
DDP4J_KERNEL void ddp4j_multi_tensor_adam(MultiTensorParams p) {
  const bool maximize = p.flags & MT_MAXIMIZE, decay = p.flags & MT_WEIGHT_DECAY, decoupled = p.flags & MT_DECOUPLED;
  const float wd = (float)p.h[0], shrink = (float)p.h[1], b1 = (float)p.h[2], omb1 = (float)p.h[3];
  const float b2 = (float)p.h[4], omb2 = (float)p.h[5], eps = (float)p.h[6];
  for (int64_t c = blockIdx.x; c < p.nChunks; c += gridDim.x) {
    const int64_t* ch = p.chunks + 2 * c;
    const int64_t* t = p.tensors + DDP4J_MT_TENSOR_SLOTS * ch[0];
    float* param = (float*)t[0];
    const float* grad = (const float*)t[1];
    float* m = (float*)t[2];
    float* v = (float*)t[3];
    const float stepSize = (float)__longlong_as_double(t[6]);
    const float bc2sqrt = (float)__longlong_as_double(t[7]);
    const int64_t end = min(ch[1] + p.chunkSize, t[4]);
    for (int64_t i = ch[1] + threadIdx.x; i < end; i += blockDim.x) {
      float g = grad[i];
      if (maximize) g = -g;
      float pv = param[i];
      if (decay) {
        if (decoupled) pv = __fmul_rn(pv, shrink);
        else g = __fadd_rn(g, __fmul_rn(pv, wd));
      }
      const float mi = __fadd_rn(__fmul_rn(m[i], b1), __fmul_rn(g, omb1));
      const float vi = __fadd_rn(__fmul_rn(v[i], b2), __fmul_rn(__fmul_rn(g, g), omb2));
      m[i] = mi;
      v[i] = vi;
      const float denom = __fadd_rn(__fdiv_rn(__fsqrt_rn(vi), bc2sqrt), eps);
      param[i] = __fadd_rn(pv, __fmul_rn(__fdiv_rn(mi, denom), stepSize));
    }
  }
}
