// 2-d max and average pooling over [N, C, H, W], any strides. The backward passes gather (one
// thread per input element, windows visited in output order), so they need no atomics, are
// deterministic and add in the CPU reference's order. Arithmetic in double.
#include "tensor.cuh"

struct PoolParams {
  char* x; int64_t xType; int64_t xStrides[4];       // forward: input; backward: gradOut
  char* out; int64_t outType; int64_t outStrides[4]; // forward: output; backward: gradIn
  char* idx; int64_t idxStrides[4];                   // max pooling's int64 indices (h * W + w)
  int64_t n, c, h, w, oh, ow;                          // input and output geometry
  int64_t kh, kw, sh, sw, ph, pw;
};

__device__ inline int64_t ddp4j_at4(const int64_t* s, int64_t a, int64_t b, int64_t c, int64_t d) {
  return a * s[0] + b * s[1] + c * s[2] + d * s[3];
}

DDP4J_KERNEL void ddp4j_tensor_max_pool2d(PoolParams p) {
  int64_t total = p.n * p.c * p.oh * p.ow;
  DDP4J_FOR_EACH(i, total) {
    int64_t z = i % p.ow, y = (i / p.ow) % p.oh, ch = (i / (p.ow * p.oh)) % p.c, s = i / (p.ow * p.oh * p.c);
    double best = -INFINITY;
    long long at = -1;
    for (int64_t a = 0; a < p.kh; a++) {
      int64_t ih = y * p.sh - p.ph + a;
      if (ih < 0 || ih >= p.h) continue;
      for (int64_t b = 0; b < p.kw; b++) {
        int64_t iw = z * p.sw - p.pw + b;
        if (iw < 0 || iw >= p.w) continue;
        double v = ddp4j_load(p.x, p.xType, ddp4j_at4(p.xStrides, s, ch, ih, iw));
        if (at < 0 || v > best || v != v) { best = v; at = ih * p.w + iw; }
      }
    }
    ddp4j_store(p.out, p.outType, ddp4j_at4(p.outStrides, s, ch, y, z), best);
    ((long long*)p.idx)[ddp4j_at4(p.idxStrides, s, ch, y, z)] = at;
  }
}

// The output rows (or columns) whose window covers input position i: [lo, hi).
__device__ inline void ddp4j_windows(int64_t i, int64_t k, int64_t stride, int64_t pad, int64_t outSize, int64_t* lo, int64_t* hi) {
  int64_t first = i + pad - k + 1;  // smallest window start that still covers i
  int64_t l = first <= 0 ? 0 : (first + stride - 1) / stride;
  int64_t h = (i + pad) / stride + 1;
  *lo = l;
  *hi = h < outSize ? h : outSize;
}

// x = gradOut [N, C, OH, OW], out = gradIn [N, C, H, W], idx = forward's indices.
DDP4J_KERNEL void ddp4j_tensor_max_pool2d_backward(PoolParams p) {
  int64_t total = p.n * p.c * p.h * p.w;
  DDP4J_FOR_EACH(i, total) {
    int64_t iw = i % p.w, ih = (i / p.w) % p.h, ch = (i / (p.w * p.h)) % p.c, s = i / (p.w * p.h * p.c);
    int64_t y0, y1, z0, z1;
    ddp4j_windows(ih, p.kh, p.sh, p.ph, p.oh, &y0, &y1);
    ddp4j_windows(iw, p.kw, p.sw, p.pw, p.ow, &z0, &z1);
    const long long me = ih * p.w + iw;
    double acc = 0.0;
    for (int64_t y = y0; y < y1; y++)
      for (int64_t z = z0; z < z1; z++)
        if (((const long long*)p.idx)[ddp4j_at4(p.idxStrides, s, ch, y, z)] == me)
          acc += ddp4j_load(p.x, p.xType, ddp4j_at4(p.xStrides, s, ch, y, z));
    ddp4j_store(p.out, p.outType, ddp4j_at4(p.outStrides, s, ch, ih, iw), acc);
  }
}

// Padding counts in the divisor (PyTorch's count_include_pad=True default).
DDP4J_KERNEL void ddp4j_tensor_avg_pool2d(PoolParams p) {
  int64_t total = p.n * p.c * p.oh * p.ow;
  double divisor = (double)(p.kh * p.kw);
  DDP4J_FOR_EACH(i, total) {
    int64_t z = i % p.ow, y = (i / p.ow) % p.oh, ch = (i / (p.ow * p.oh)) % p.c, s = i / (p.ow * p.oh * p.c);
    double acc = 0.0;
    for (int64_t a = 0; a < p.kh; a++) {
      int64_t ih = y * p.sh - p.ph + a;
      if (ih < 0 || ih >= p.h) continue;
      for (int64_t b = 0; b < p.kw; b++) {
        int64_t iw = z * p.sw - p.pw + b;
        if (iw >= 0 && iw < p.w) acc += ddp4j_load(p.x, p.xType, ddp4j_at4(p.xStrides, s, ch, ih, iw));
      }
    }
    ddp4j_store(p.out, p.outType, ddp4j_at4(p.outStrides, s, ch, y, z), acc / divisor);
  }
}

DDP4J_KERNEL void ddp4j_tensor_avg_pool2d_backward(PoolParams p) {
  int64_t total = p.n * p.c * p.h * p.w;
  double divisor = (double)(p.kh * p.kw);
  DDP4J_FOR_EACH(i, total) {
    int64_t iw = i % p.w, ih = (i / p.w) % p.h, ch = (i / (p.w * p.h)) % p.c, s = i / (p.w * p.h * p.c);
    int64_t y0, y1, z0, z1;
    ddp4j_windows(ih, p.kh, p.sh, p.ph, p.oh, &y0, &y1);
    ddp4j_windows(iw, p.kw, p.sw, p.pw, p.ow, &z0, &z1);
    double acc = 0.0;
    for (int64_t y = y0; y < y1; y++)
      for (int64_t z = z0; z < z1; z++)
        acc += ddp4j_load(p.x, p.xType, ddp4j_at4(p.xStrides, s, ch, y, z)) / divisor;
    ddp4j_store(p.out, p.outType, ddp4j_at4(p.outStrides, s, ch, ih, iw), acc);
  }
}
