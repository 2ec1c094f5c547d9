// Reductions over a set of dims and argmax: one block per output element (a grid-stride loop over
// outputs), each thread walks a strided share of the reduced elements, then a shared-memory tree
// combines the threads. Accumulation is in double for every dtype, like the CPU reference.
#include "tensor.cuh"

#define DDP4J_REDUCE_THREADS 256

// ReduceOp ordinals
#define R_SUM 0
#define R_MEAN 1
#define R_MAX 2
#define R_MIN 3

__device__ inline double ddp4j_reduce_combine(int64_t op, double acc, double v) {
  switch (op) {
    case R_MAX: return (v > acc || v != v) ? v : acc;
    case R_MIN: return (v < acc || v != v) ? v : acc;
    default: return acc + v;
  }
}

__device__ inline double ddp4j_reduce_identity(int64_t op) {
  switch (op) {
    case R_MAX: return -INFINITY;
    case R_MIN: return INFINITY;
    default: return 0.0;
  }
}

// Offset of kept-index o in x and in out.
__device__ inline void ddp4j_kept_offsets(const ReduceParams& p, int64_t o, int64_t* xo, int64_t* oo) {
  int64_t rem = o, x = 0, y = 0;
#pragma unroll
  for (int d = DDP4J_MAX_RANK - 1; d >= 0; d--) {
    if (d < p.keptRank) {
      int64_t k = rem % p.keptShape[d];
      rem /= p.keptShape[d];
      x += k * p.xKeptStrides[d];
      y += k * p.outStrides[d];
    }
  }
  *xo = x;
  *oo = y;
}

__device__ inline int64_t ddp4j_reduced_offset(const ReduceParams& p, int64_t j) {
  int64_t rem = j, x = 0;
#pragma unroll
  for (int d = DDP4J_MAX_RANK - 1; d >= 0; d--) {
    if (d < p.redRank) {
      int64_t k = rem % p.redShape[d];
      rem /= p.redShape[d];
      x += k * p.xRedStrides[d];
    }
  }
  return x;
}

DDP4J_KERNEL void ddp4j_tensor_reduce(ReduceParams p) {
  __shared__ double part[DDP4J_REDUCE_THREADS];
  for (int64_t o = blockIdx.x; o < p.nOut; o += gridDim.x) {
    int64_t xo, oo;
    ddp4j_kept_offsets(p, o, &xo, &oo);
    double acc = ddp4j_reduce_identity(p.op);
    for (int64_t j = threadIdx.x; j < p.r; j += blockDim.x)
      acc = ddp4j_reduce_combine(p.op, acc, ddp4j_load(p.x, p.xType, xo + ddp4j_reduced_offset(p, j)));
    part[threadIdx.x] = acc;
    __syncthreads();
    for (int s = blockDim.x / 2; s > 0; s >>= 1) {
      if (threadIdx.x < s) part[threadIdx.x] = ddp4j_reduce_combine(p.op, part[threadIdx.x], part[threadIdx.x + s]);
      __syncthreads();
    }
    if (threadIdx.x == 0) {
      double v = part[0];
      if (p.op == R_MEAN) v = v / (double)p.r;
      ddp4j_store(p.out, p.outType, oo, v);
    }
    __syncthreads();
  }
}

// Index of the first maximum (the first NaN if there is one), written as int64.
__device__ inline bool ddp4j_argmax_better(double v, int64_t i, double bv, int64_t bi) {
  bool vn = v != v, bn = bv != bv;
  if (bi < 0) return true;
  if (vn && bn) return i < bi;
  if (vn) return true;
  if (bn) return false;
  if (v > bv) return true;
  if (v < bv) return false;
  return i < bi;
}

DDP4J_KERNEL void ddp4j_tensor_argmax(ReduceParams p) {
  __shared__ double val[DDP4J_REDUCE_THREADS];
  __shared__ long long idx[DDP4J_REDUCE_THREADS];
  for (int64_t o = blockIdx.x; o < p.nOut; o += gridDim.x) {
    int64_t xo, oo;
    ddp4j_kept_offsets(p, o, &xo, &oo);
    double bv = 0.0;
    long long bi = -1;
    for (int64_t j = threadIdx.x; j < p.r; j += blockDim.x) {
      double v = ddp4j_load(p.x, p.xType, xo + ddp4j_reduced_offset(p, j));
      if (ddp4j_argmax_better(v, j, bv, bi)) { bv = v; bi = j; }
    }
    val[threadIdx.x] = bv;
    idx[threadIdx.x] = bi;
    __syncthreads();
    for (int s = blockDim.x / 2; s > 0; s >>= 1) {
      if (threadIdx.x < s) {
        long long oi = idx[threadIdx.x + s];
        if (oi >= 0 && ddp4j_argmax_better(val[threadIdx.x + s], oi, val[threadIdx.x], idx[threadIdx.x])) {
          val[threadIdx.x] = val[threadIdx.x + s];
          idx[threadIdx.x] = oi;
        }
      }
      __syncthreads();
    }
    if (threadIdx.x == 0) ((long long*)p.out)[oo] = idx[0] < 0 ? 0 : idx[0];
    __syncthreads();
  }
}
