// Shared pieces of the tensor kernels (the CUDA backend, io.ddp4j.tensor.backend.cuda).
//
// Every tensor kernel takes ONE struct by value whose fields are all 8 bytes wide (int64_t,
// double or a pointer), so the Java side fills it slot by slot in declaration order
// (CudaParams.java); arrays count one slot per element. Keep the field order in step with the
// Java writers: TensorKernelsTest checks the slot counts against this file.
//
// Element types are DType ordinals. Loads widen to double (exact for every float dtype, and for
// integers up to 2^53); stores round the way the CPU reference does (double -> float ->
// half/bfloat16 with round-to-nearest-even, float -> int through a saturating int64 with NaN -> 0,
// as Java's (long) cast does). Integer and bool tensors also load and store as int64 (the integer
// lane, as the CPU's CpuIntegers): exact over int64's range, wrapping into narrower types, and an
// int64 rounds once into a float type, as C++ and Java convert it.
#pragma once
#include "common.cuh"
#include <cuda_fp16.h>
#include <cuda_bf16.h>

#define DDP4J_MAX_RANK 8

enum Ddp4jDType : int64_t {
  DT_F32 = 0, DT_F16 = 1, DT_BF16 = 2, DT_F64 = 3, DT_I32 = 4, DT_I64 = 5, DT_U8 = 6, DT_BOOL = 7
};

// One tensor as a kernel sees it: the address of its first element (offset applied), its dtype
// and its strides in elements for each dim of the launch's shape.
struct Operand {
  char* ptr;
  int64_t dtype;
  int64_t strides[DDP4J_MAX_RANK];
};

// Elementwise launches (fill, copy, unary, binary, where, index_select, index_add, random).
struct EwParams {
  int64_t n;                      // elements in the launch's shape
  int64_t rank;
  int64_t shape[DDP4J_MAX_RANK];
  int64_t op;                     // the UnaryOp/BinaryOp ordinal, or the dim for index ops
  int64_t aux0, aux1;             // per kernel (see each kernel)
  double scalar;                  // per kernel (fill value)
  Operand out, a, b, c;
};

// Reductions: the input seen as [kept dims..., reduced dims...].
struct ReduceParams {
  char* x; int64_t xType;
  char* out; int64_t outType;
  int64_t op;                     // ReduceOp ordinal (SUM, MEAN, MAX, MIN); unused by argmax
  int64_t nOut;                   // output elements
  int64_t r;                      // reduced elements per output
  int64_t keptRank;
  int64_t keptShape[DDP4J_MAX_RANK];
  int64_t xKeptStrides[DDP4J_MAX_RANK];
  int64_t outStrides[DDP4J_MAX_RANK];
  int64_t redRank;
  int64_t redShape[DDP4J_MAX_RANK];
  int64_t xRedStrides[DDP4J_MAX_RANK];
};

// Error reports from kernels, read by the host at its next synchronisation: the first error wins.
// err[0] = code (0 none, 1 cross_entropy target, 2 index_select index, 3 index_add index),
// err[1] = position, err[2] = value, err[3] = limit.
__device__ inline void ddp4j_report(long long* err, long long code, long long pos, long long value, long long limit) {
  if (err == nullptr) return;
  if (atomicCAS((unsigned long long*)err, 0ull, (unsigned long long)code) == 0ull) {
    err[1] = pos; err[2] = value; err[3] = limit;
  }
}

__device__ inline bool ddp4j_is_float32ish(int64_t t) { return t == DT_F32 || t == DT_F16 || t == DT_BF16; }

__device__ inline double ddp4j_load(const char* p, int64_t t, int64_t i) {
  switch (t) {
    case DT_F32: return (double)((const float*)p)[i];
    case DT_F16: return (double)__half2float(__ushort_as_half(((const unsigned short*)p)[i]));
    case DT_BF16: return (double)__bfloat162float(__ushort_as_bfloat16(((const unsigned short*)p)[i]));
    case DT_F64: return ((const double*)p)[i];
    case DT_I32: return (double)((const int32_t*)p)[i];
    case DT_I64: return (double)((const long long*)p)[i];
    case DT_U8: return (double)((const uint8_t*)p)[i];
    default: return ((const uint8_t*)p)[i] != 0 ? 1.0 : 0.0;
  }
}

// For the float types only (F32, F16, BF16): the value as a float, without a trip through double.
__device__ inline float ddp4j_loadf(const char* p, int64_t t, int64_t i) {
  switch (t) {
    case DT_F32: return ((const float*)p)[i];
    case DT_F16: return __half2float(__ushort_as_half(((const unsigned short*)p)[i]));
    case DT_BF16: return __bfloat162float(__ushort_as_bfloat16(((const unsigned short*)p)[i]));
    default: return (float)ddp4j_load(p, t, i);
  }
}

__device__ inline bool ddp4j_is_integral(int64_t t) { return t >= DT_I32; }

// Two's-complement int64 arithmetic through unsigned values, where C++ defines the wrap (signed
// overflow is undefined): PyTorch's integer overflow.
__device__ inline long long ddp4j_wrap_add(long long a, long long b) { return (long long)((unsigned long long)a + (unsigned long long)b); }
__device__ inline long long ddp4j_wrap_neg(long long a) { return (long long)(0ULL - (unsigned long long)a); }

// Java's (long) cast: NaN -> 0, saturating at the int64 range.
__device__ inline long long ddp4j_to_i64(double v) {
  if (v != v) return 0;
  if (v >= 9.2233720368547758e18) return 0x7fffffffffffffffLL;
  if (v <= -9.2233720368547758e18) return (long long)0x8000000000000000ULL;
  return (long long)v;
}

__device__ inline void ddp4j_store_i64(char* p, int64_t t, int64_t i, long long v);  // below

__device__ inline void ddp4j_storef(char* p, int64_t t, int64_t i, float v) {
  switch (t) {
    case DT_F32: ((float*)p)[i] = v; return;
    case DT_F16: ((unsigned short*)p)[i] = __half_as_ushort(__float2half_rn(v)); return;
    case DT_BF16: ((unsigned short*)p)[i] = __bfloat16_as_ushort(__float2bfloat16_rn(v)); return;
    case DT_F64: ((double*)p)[i] = (double)v; return;
    case DT_I32: case DT_I64: case DT_U8: ddp4j_store_i64(p, t, i, ddp4j_to_i64(v)); return;
    default: ((uint8_t*)p)[i] = v != 0.0f ? 1 : 0; return;
  }
}

__device__ inline void ddp4j_store(char* p, int64_t t, int64_t i, double v) {
  switch (t) {
    case DT_F64: ((double*)p)[i] = v; return;
    case DT_I32: case DT_I64: case DT_U8: ddp4j_store_i64(p, t, i, ddp4j_to_i64(v)); return;
    case DT_BOOL: ((uint8_t*)p)[i] = v != 0.0 ? 1 : 0; return;
    default: ddp4j_storef(p, t, i, (float)v); return;  // double -> float -> 16-bit, like the CPU
  }
}

// The integer lane's load: integer and bool elements exactly (floats as Java's (long) cast).
__device__ inline long long ddp4j_load_i64(const char* p, int64_t t, int64_t i) {
  switch (t) {
    case DT_I32: return ((const int32_t*)p)[i];
    case DT_I64: return ((const long long*)p)[i];
    case DT_U8: return ((const uint8_t*)p)[i];
    case DT_BOOL: return ((const uint8_t*)p)[i] != 0 ? 1 : 0;
    default: return ddp4j_to_i64(ddp4j_load(p, t, i));
  }
}

// The integer lane's store: the low bits into a narrower integer, one rounding into a float type.
__device__ inline void ddp4j_store_i64(char* p, int64_t t, int64_t i, long long v) {
  switch (t) {
    case DT_I32: ((int32_t*)p)[i] = (int32_t)(uint32_t)(unsigned long long)v; return;
    case DT_I64: ((long long*)p)[i] = v; return;
    case DT_U8: ((uint8_t*)p)[i] = (uint8_t)(unsigned long long)v; return;
    case DT_BOOL: ((uint8_t*)p)[i] = v != 0 ? 1 : 0; return;
    case DT_F64: ((double*)p)[i] = (double)v; return;
    default: ddp4j_storef(p, t, i, (float)v); return;  // int64 -> float, then float -> 16 bits
  }
}

// Element offsets of logical index i in up to four operands (unused ones cost a multiply-add).
struct Offsets { int64_t o, a, b, c; };

__device__ inline Offsets ddp4j_offsets(const EwParams& p, int64_t i) {
  Offsets r = {0, 0, 0, 0};
  int64_t rem = i;
#pragma unroll
  for (int d = DDP4J_MAX_RANK - 1; d >= 0; d--) {
    if (d < p.rank) {
      int64_t size = p.shape[d];
      int64_t k = rem % size;
      rem /= size;
      r.o += k * p.out.strides[d];
      r.a += k * p.a.strides[d];
      r.b += k * p.b.strides[d];
      r.c += k * p.c.strides[d];
    }
  }
  return r;
}
