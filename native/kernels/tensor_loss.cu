// Fused softmax cross entropy with label smoothing, as the CPU backend defines it: target
// distribution (1 - s) * one_hot(t) + s / C, row loss -(1 - s) * logp[t] - (s / C) * sum_c logp[c],
// mean over rows. All arithmetic in double.
#include "tensor.cuh"

#define DDP4J_CE_THREADS 256

// Block-wide combine in shared memory; every thread gets the result.
__device__ inline double ddp4j_block_sum(double v, double* buf) {
  buf[threadIdx.x] = v;
  __syncthreads();
  for (int s = blockDim.x / 2; s > 0; s >>= 1) {
    if (threadIdx.x < s) buf[threadIdx.x] += buf[threadIdx.x + s];
    __syncthreads();
  }
  double r = buf[0];
  __syncthreads();
  return r;
}

__device__ inline double ddp4j_block_max(double v, double* buf) {
  buf[threadIdx.x] = v;
  __syncthreads();
  for (int s = blockDim.x / 2; s > 0; s >>= 1) {
    if (threadIdx.x < s) buf[threadIdx.x] = fmax(buf[threadIdx.x], buf[threadIdx.x + s]);
    __syncthreads();
  }
  double r = buf[0];
  __syncthreads();
  return r;
}

// One block per row. shape = [N, C]; a = logits, b = targets (I64, strides[0]), out = probs;
// c.ptr = double rowLoss[N]; scalar = smoothing; aux0 = error slot (long long*) or 0.
DDP4J_KERNEL void ddp4j_tensor_cross_entropy(EwParams p) {
  __shared__ double buf[DDP4J_CE_THREADS];
  const int64_t n = p.shape[0], classes = p.shape[1];
  const double s = p.scalar;
  double* rowLoss = (double*)p.c.ptr;
  for (int64_t row = blockIdx.x; row < n; row += gridDim.x) {
    const int64_t xr = row * p.a.strides[0], pr = row * p.out.strides[0];
    double m = -INFINITY;
    for (int64_t k = threadIdx.x; k < classes; k += blockDim.x)
      m = fmax(m, ddp4j_load(p.a.ptr, p.a.dtype, xr + k * p.a.strides[1]));
    m = ddp4j_block_max(m, buf);
    double se = 0.0;
    for (int64_t k = threadIdx.x; k < classes; k += blockDim.x)
      se += exp(ddp4j_load(p.a.ptr, p.a.dtype, xr + k * p.a.strides[1]) - m);
    se = ddp4j_block_sum(se, buf);
    const double logSum = m + log(se);
    double sumLogp = 0.0;
    for (int64_t k = threadIdx.x; k < classes; k += blockDim.x) {
      double logp = ddp4j_load(p.a.ptr, p.a.dtype, xr + k * p.a.strides[1]) - logSum;
      sumLogp += logp;
      ddp4j_store(p.out.ptr, p.out.dtype, pr + k * p.out.strides[1], exp(logp));
    }
    sumLogp = ddp4j_block_sum(sumLogp, buf);
    if (threadIdx.x == 0) {
      long long t = ((const long long*)p.b.ptr)[row * p.b.strides[0]];
      if (t < 0 || t >= classes) {
        ddp4j_report((long long*)p.aux0, 1, row, t, classes);
        rowLoss[row] = NAN;
      } else {
        double xt = ddp4j_load(p.a.ptr, p.a.dtype, xr + t * p.a.strides[1]);
        rowLoss[row] = -(1.0 - s) * (xt - logSum) - (s / (double)classes) * sumLogp;
      }
    }
  }
}

// One block: out (0-d) = sum(rowLoss[0..n)) / n. shape[0] = n, c.ptr = rowLoss.
DDP4J_KERNEL void ddp4j_tensor_mean_rows(EwParams p) {
  __shared__ double buf[DDP4J_CE_THREADS];
  const int64_t n = p.shape[0];
  const double* rowLoss = (const double*)p.c.ptr;
  double acc = 0.0;
  for (int64_t i = threadIdx.x; i < n; i += blockDim.x) acc += rowLoss[i];
  acc = ddp4j_block_sum(acc, buf);
  if (threadIdx.x == 0) ddp4j_store(p.out.ptr, p.out.dtype, 0, acc / (double)n);
}

// gradLogits = gradLoss / N * (probs - want). shape = [N, C]; a = probs, b = targets (I64),
// c = gradLoss (0-d); out = gradLogits; scalar = smoothing.
DDP4J_KERNEL void ddp4j_tensor_cross_entropy_backward(EwParams p) {
  const int64_t n = p.shape[0], classes = p.shape[1];
  const double s = p.scalar;
  const double scale = ddp4j_load(p.c.ptr, p.c.dtype, 0) / (double)n;
  DDP4J_FOR_EACH(i, p.n) {
    int64_t row = i / classes, k = i % classes;
    long long t = ((const long long*)p.b.ptr)[row * p.b.strides[0]];
    double want = (k == t ? 1.0 - s : 0.0) + s / (double)classes;
    double pv = ddp4j_load(p.a.ptr, p.a.dtype, row * p.a.strides[0] + k * p.a.strides[1]);
    ddp4j_store(p.out.ptr, p.out.dtype, row * p.out.strides[0] + k * p.out.strides[1], scale * (pv - want));
  }
}
