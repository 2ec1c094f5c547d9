// Direct batched matrix product and 2-d convolution kernels: one thread per output element,
// double accumulation. The CUDA backend uses cuBLAS for F32/F16/BF16 matmuls; these cover the
// other dtypes (F64, integers) and convolutions until the cuDNN path takes them over.
#include "tensor.cuh"

struct MatmulParams {
  char* a; char* b; char* out; int64_t dtype;
  int64_t batch, m, n, k;
  int64_t aStrides[3], bStrides[3], outStrides[3];
};

DDP4J_KERNEL void ddp4j_tensor_matmul_direct(MatmulParams p) {
  int64_t total = p.batch * p.m * p.n;
  DDP4J_FOR_EACH(i, total) {
    int64_t col = i % p.n, row = (i / p.n) % p.m, bi = i / (p.n * p.m);
    int64_t ao = bi * p.aStrides[0] + row * p.aStrides[1];
    int64_t bo = bi * p.bStrides[0] + col * p.bStrides[2];
    double acc = 0.0;
    for (int64_t q = 0; q < p.k; q++)
      acc += ddp4j_load(p.a, p.dtype, ao + q * p.aStrides[2]) * ddp4j_load(p.b, p.dtype, bo + q * p.bStrides[1]);
    ddp4j_store(p.out, p.dtype, bi * p.outStrides[0] + row * p.outStrides[1] + col * p.outStrides[2], acc);
  }
}

// x [N, C, H, W], w [O, C/groups, KH, KW], y [N, O, OH, OW]; all one dtype.
struct ConvParams {
  char* x; char* w; char* y; int64_t dtype;
  int64_t xStrides[4], wStrides[4], yStrides[4];
  int64_t n, c, h, wd, o, kh, kw, oh, ow;
  int64_t sh, sw, ph, pw, dh, dw, groups;
};

__device__ inline int64_t ddp4j_conv_at(const int64_t* s, int64_t a, int64_t b, int64_t c, int64_t d) {
  return a * s[0] + b * s[1] + c * s[2] + d * s[3];
}

DDP4J_KERNEL void ddp4j_tensor_conv2d(ConvParams p) {
  int64_t total = p.n * p.o * p.oh * p.ow;
  int64_t cpg = p.c / p.groups, opg = p.o / p.groups;
  DDP4J_FOR_EACH(i, total) {
    int64_t z = i % p.ow, y = (i / p.ow) % p.oh, oc = (i / (p.ow * p.oh)) % p.o, s = i / (p.ow * p.oh * p.o);
    int64_t g = oc / opg;
    double acc = 0.0;
    for (int64_t cl = 0; cl < cpg; cl++)
      for (int64_t a = 0; a < p.kh; a++) {
        int64_t ih = y * p.sh - p.ph + a * p.dh;
        if (ih < 0 || ih >= p.h) continue;
        for (int64_t b = 0; b < p.kw; b++) {
          int64_t iw = z * p.sw - p.pw + b * p.dw;
          if (iw < 0 || iw >= p.wd) continue;
          acc += ddp4j_load(p.x, p.dtype, ddp4j_conv_at(p.xStrides, s, g * cpg + cl, ih, iw))
               * ddp4j_load(p.w, p.dtype, ddp4j_conv_at(p.wStrides, oc, cl, a, b));
        }
      }
    ddp4j_store(p.y, p.dtype, ddp4j_conv_at(p.yStrides, s, oc, y, z), acc);
  }
}

// gradIn (in x's slot) from gradOut (y) and the weight (w): one thread per input element.
DDP4J_KERNEL void ddp4j_tensor_conv2d_backward_input(ConvParams p) {
  int64_t total = p.n * p.c * p.h * p.wd;
  int64_t cpg = p.c / p.groups, opg = p.o / p.groups;
  DDP4J_FOR_EACH(i, total) {
    int64_t iw = i % p.wd, ih = (i / p.wd) % p.h, ch = (i / (p.wd * p.h)) % p.c, s = i / (p.wd * p.h * p.c);
    int64_t g = ch / cpg, cl = ch % cpg;
    double acc = 0.0;
    for (int64_t ol = 0; ol < opg; ol++) {
      int64_t oc = g * opg + ol;
      for (int64_t a = 0; a < p.kh; a++) {
        int64_t ty = ih + p.ph - a * p.dh;
        if (ty < 0 || ty % p.sh != 0) continue;
        int64_t y = ty / p.sh;
        if (y >= p.oh) continue;
        for (int64_t b = 0; b < p.kw; b++) {
          int64_t tz = iw + p.pw - b * p.dw;
          if (tz < 0 || tz % p.sw != 0) continue;
          int64_t z = tz / p.sw;
          if (z >= p.ow) continue;
          acc += ddp4j_load(p.y, p.dtype, ddp4j_conv_at(p.yStrides, s, oc, y, z))
               * ddp4j_load(p.w, p.dtype, ddp4j_conv_at(p.wStrides, oc, cl, a, b));
        }
      }
    }
    ddp4j_store(p.x, p.dtype, ddp4j_conv_at(p.xStrides, s, ch, ih, iw), acc);
  }
}

// gradWeight (in w's slot) from the input (x) and gradOut (y): one thread per weight element.
DDP4J_KERNEL void ddp4j_tensor_conv2d_backward_weight(ConvParams p) {
  int64_t cpg = p.c / p.groups, opg = p.o / p.groups;
  int64_t total = p.o * cpg * p.kh * p.kw;
  DDP4J_FOR_EACH(i, total) {
    int64_t b = i % p.kw, a = (i / p.kw) % p.kh, cl = (i / (p.kw * p.kh)) % cpg, oc = i / (p.kw * p.kh * cpg);
    int64_t ch = (oc / opg) * cpg + cl;
    double acc = 0.0;
    for (int64_t s = 0; s < p.n; s++)
      for (int64_t y = 0; y < p.oh; y++) {
        int64_t ih = y * p.sh - p.ph + a * p.dh;
        if (ih < 0 || ih >= p.h) continue;
        for (int64_t z = 0; z < p.ow; z++) {
          int64_t iw = z * p.sw - p.pw + b * p.dw;
          if (iw < 0 || iw >= p.wd) continue;
          acc += ddp4j_load(p.x, p.dtype, ddp4j_conv_at(p.xStrides, s, ch, ih, iw))
               * ddp4j_load(p.y, p.dtype, ddp4j_conv_at(p.yStrides, s, oc, y, z));
        }
      }
    ddp4j_store(p.w, p.dtype, ddp4j_conv_at(p.wStrides, oc, cl, a, b), acc);
  }
}
