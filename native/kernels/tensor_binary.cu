// Elementwise functions of two tensors (BinaryOp) with broadcasting through stride-0 dims, and
// where(cond, a, b). Semantics follow the CPU backend: maximum/minimum return the first operand
// when it is NaN; pow follows Java's Math.pow (a NaN exponent gives NaN, (+-1)^(+-inf) is NaN);
// comparisons write BOOL. Integer dtypes compute in double and truncate like Java's casts.
#include "tensor.cuh"

// BinaryOp ordinals
#define B_ADD 0
#define B_SUB 1
#define B_MUL 2
#define B_DIV 3
#define B_POW 4
#define B_MAXIMUM 5
#define B_MINIMUM 6
#define B_EQ 7
#define B_LT 8
#define B_GT 9
#define B_LE 10
#define B_GE 11

template <typename T>
__device__ inline T ddp4j_java_pow(T x, T y) {
  if (y != y) return y;                                   // NaN exponent
  if (isinf(y) && fabs(x) == (T)1) return (T)NAN;         // Java: NaN, C: 1
  return pow(x, y);
}

// Integer dtypes: an integral exponent in [0, 64] by repeated squaring, exact while the result
// stays below 2^53 (as Java's Math.pow is); anything else through pow.
__device__ inline double ddp4j_int_pow(double x, double y) {
  if (y >= 0.0 && y <= 64.0 && y == floor(y)) {
    double r = 1.0, b = x;
    for (int e = (int)y; e > 0; e >>= 1) {
      if (e & 1) r *= b;
      b *= b;
    }
    if (fabs(r) < 9007199254740992.0) return r;
  }
  return ddp4j_java_pow(x, y);
}

template <typename T>
__device__ inline T ddp4j_binary_op(int64_t op, T x, T y) {
  switch (op) {
    case B_ADD: return x + y;
    case B_SUB: return x - y;
    case B_MUL: return x * y;
    case B_DIV: return x / y;
    case B_POW: return ddp4j_java_pow(x, y);
    case B_MAXIMUM: return (x != x || x >= y) ? x : y;
    case B_MINIMUM: return (x != x || x <= y) ? x : y;
    case B_EQ: return x == y ? (T)1 : (T)0;
    case B_LT: return x < y ? (T)1 : (T)0;
    case B_GT: return x > y ? (T)1 : (T)0;
    case B_LE: return x <= y ? (T)1 : (T)0;
    default: return x >= y ? (T)1 : (T)0;  // GE
  }
}

DDP4J_KERNEL void ddp4j_tensor_binary(EwParams p) {
  const bool f = ddp4j_is_float32ish(p.a.dtype) && ddp4j_is_float32ish(p.b.dtype);
  const bool ints = p.a.dtype >= DT_I32 && p.b.dtype >= DT_I32;
  DDP4J_FOR_EACH(i, p.n) {
    Offsets off = ddp4j_offsets(p, i);
    if (f) {
      float r = ddp4j_binary_op<float>(p.op, ddp4j_loadf(p.a.ptr, p.a.dtype, off.a), ddp4j_loadf(p.b.ptr, p.b.dtype, off.b));
      ddp4j_storef(p.out.ptr, p.out.dtype, off.o, r);
    } else if (p.op == B_POW && ints) {
      double r = ddp4j_int_pow(ddp4j_load(p.a.ptr, p.a.dtype, off.a), ddp4j_load(p.b.ptr, p.b.dtype, off.b));
      ddp4j_store(p.out.ptr, p.out.dtype, off.o, r);
    } else {
      double r = ddp4j_binary_op<double>(p.op, ddp4j_load(p.a.ptr, p.a.dtype, off.a), ddp4j_load(p.b.ptr, p.b.dtype, off.b));
      ddp4j_store(p.out.ptr, p.out.dtype, off.o, r);
    }
  }
}

// out = cond != 0 ? a : b; operand c is the condition.
DDP4J_KERNEL void ddp4j_tensor_where(EwParams p) {
  DDP4J_FOR_EACH(i, p.n) {
    Offsets off = ddp4j_offsets(p, i);
    bool take = ddp4j_load(p.c.ptr, p.c.dtype, off.c) != 0.0;
    double v = take ? ddp4j_load(p.a.ptr, p.a.dtype, off.a) : ddp4j_load(p.b.ptr, p.b.dtype, off.b);
    ddp4j_store(p.out.ptr, p.out.dtype, off.o, v);
  }
}
