// Reductions over a set of dims and argmax: one block per output element (a grid-stride loop over
// outputs), each thread walks a strided share of the reduced elements, then a shared-memory tree
// combines the threads. Accumulation is in double for the float dtypes, like the CPU reference,
// and in int64 for integer and bool inputs (the integer lane: sums wrap as PyTorch's do, max, min
// and argmax compare exactly); a mean always takes the double path.
#include "tensor.cuh"

#define DDP4J_REDUCE_THREADS 256

// ReduceOp ordinals
#define R_SUM 0
#define R_MEAN 1
#define R_MAX 2
#define R_MIN 3

// Each lane's pieces, overloaded on the accumulator type (double or long long) so the kernel
// below is written once.
__device__ inline double ddp4j_reduce_combine(int64_t op, double acc, double v) {
  switch (op) {
    case R_MAX: return (v > acc || v != v) ? v : acc;
    case R_MIN: return (v < acc || v != v) ? v : acc;
    default: return acc + v;
  }
}

__device__ inline long long ddp4j_reduce_combine(int64_t op, long long acc, long long v) {
  switch (op) {
    case R_MAX: return v > acc ? v : acc;
    case R_MIN: return v < acc ? v : acc;
    default: return ddp4j_wrap_add(acc, v);  // wraps, as PyTorch's sums
  }
}

__device__ inline double ddp4j_reduce_identity(int64_t op, double) {
  switch (op) {
    case R_MAX: return -INFINITY;
    case R_MIN: return INFINITY;
    default: return 0.0;
  }
}

__device__ inline long long ddp4j_reduce_identity(int64_t op, long long) {
  switch (op) {
    case R_MAX: return (long long)0x8000000000000000ULL;
    case R_MIN: return 0x7fffffffffffffffLL;
    default: return 0;
  }
}

__device__ inline double ddp4j_reduce_load(const ReduceParams& p, int64_t i, double) { return ddp4j_load(p.x, p.xType, i); }
__device__ inline long long ddp4j_reduce_load(const ReduceParams& p, int64_t i, long long) { return ddp4j_load_i64(p.x, p.xType, i); }

__device__ inline void ddp4j_reduce_store(const ReduceParams& p, int64_t i, double v) {
  ddp4j_store(p.out, p.outType, i, p.op == R_MEAN ? v / (double)p.r : v);
}
__device__ inline void ddp4j_reduce_store(const ReduceParams& p, int64_t i, long long v) { ddp4j_store_i64(p.out, p.outType, i, v); }

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

template <typename T>
__device__ void ddp4j_reduce_rows(const ReduceParams& p) {
  __shared__ T part[DDP4J_REDUCE_THREADS];
  for (int64_t o = blockIdx.x; o < p.nOut; o += gridDim.x) {
    int64_t xo, oo;
    ddp4j_kept_offsets(p, o, &xo, &oo);
    T acc = ddp4j_reduce_identity(p.op, (T)0);
    for (int64_t j = threadIdx.x; j < p.r; j += blockDim.x)
      acc = ddp4j_reduce_combine(p.op, acc, ddp4j_reduce_load(p, xo + ddp4j_reduced_offset(p, j), acc));
    part[threadIdx.x] = acc;
    __syncthreads();
    for (int s = blockDim.x / 2; s > 0; s >>= 1) {
      if (threadIdx.x < s) part[threadIdx.x] = ddp4j_reduce_combine(p.op, part[threadIdx.x], part[threadIdx.x + s]);
      __syncthreads();
    }
    if (threadIdx.x == 0) ddp4j_reduce_store(p, oo, part[0]);
    __syncthreads();
  }
}

DDP4J_KERNEL void ddp4j_tensor_reduce(ReduceParams p) {
  if (ddp4j_is_integral(p.xType) && p.op != R_MEAN) ddp4j_reduce_rows<long long>(p);
  else ddp4j_reduce_rows<double>(p);
}

// Index of the first maximum (the first NaN if there is one), written as int64. T is double for
// float inputs and long long for integer ones (where v != v is never true).
template <typename T>
__device__ inline bool ddp4j_argmax_better(T v, int64_t i, T bv, int64_t bi) {
  bool vn = v != v, bn = bv != bv;
  if (bi < 0) return true;
  if (vn && bn) return i < bi;
  if (vn) return true;
  if (bn) return false;
  if (v > bv) return true;
  if (v < bv) return false;
  return i < bi;
}

template <typename T>
__device__ void ddp4j_argmax_rows(const ReduceParams& p) {
  __shared__ T val[DDP4J_REDUCE_THREADS];
  __shared__ long long idx[DDP4J_REDUCE_THREADS];
  for (int64_t o = blockIdx.x; o < p.nOut; o += gridDim.x) {
    int64_t xo, oo;
    ddp4j_kept_offsets(p, o, &xo, &oo);
    T bv = 0;
    long long bi = -1;
    for (int64_t j = threadIdx.x; j < p.r; j += blockDim.x) {
      T v = ddp4j_reduce_load(p, xo + ddp4j_reduced_offset(p, j), bv);
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

DDP4J_KERNEL void ddp4j_tensor_argmax(ReduceParams p) {
  if (ddp4j_is_integral(p.xType)) ddp4j_argmax_rows<long long>(p);
  else ddp4j_argmax_rows<double>(p);
}
