// Elementwise functions of two tensors (BinaryOp) with broadcasting through stride-0 dims, and
// where(cond, a, b). Semantics follow the CPU backend: maximum/minimum return the first operand
// when it is NaN; pow follows Java's Math.pow (a NaN exponent gives NaN, (+-1)^(+-inf) is NaN);
// comparisons write BOOL. Integer and bool operands compute in int64 (the integer lane, as the
// CPU's CpuIntegers): exact, wrapping on overflow as PyTorch's C++ does, except true division,
// which PyTorch computes in floats.
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
#define B_DIV_TRUNC 12
#define B_DIV_FLOOR 13
#define B_REMAINDER 14
#define B_FMOD 15
#define B_NE 16

template <typename T>
__device__ inline T ddp4j_java_pow(T x, T y) {
  if (y != y) return y;                                   // NaN exponent
  if (isinf(y) && fabs(x) == (T)1) return (T)NAN;         // Java: NaN, C: 1
  return pow(x, y);
}

// PyTorch's integer power: repeated squaring, wrapping on overflow (unsigned arithmetic, so the
// wrap is defined); a negative exponent gives 1 for a base of 1, +-1 for -1 and 0 otherwise.
__device__ inline long long ddp4j_int_pow(long long x, long long y) {
  if (y < 0) return x == 1 ? 1 : (x == -1 ? ((y & 1) ? -1 : 1) : 0);
  unsigned long long r = 1, b = (unsigned long long)x;
  for (unsigned long long e = (unsigned long long)y; e != 0; e >>= 1, b *= b)
    if (e & 1) r *= b;
  return (long long)r;
}

// The C math functions by precision, so the rounding divisions below are written once for both.
__device__ inline float ddp4j_fmod(float a, float b) { return fmodf(a, b); }
__device__ inline double ddp4j_fmod(double a, double b) { return fmod(a, b); }
__device__ inline float ddp4j_floor(float a) { return floorf(a); }
__device__ inline double ddp4j_floor(double a) { return floor(a); }
__device__ inline float ddp4j_trunc(float a) { return truncf(a); }
__device__ inline double ddp4j_trunc(double a) { return trunc(a); }
__device__ inline float ddp4j_copysign(float a, float b) { return copysignf(a, b); }
__device__ inline double ddp4j_copysign(double a, double b) { return copysign(a, b); }

// v rounded to a 16-bit float dtype's precision t; float32 and double unchanged.
__device__ inline float ddp4j_round_to(int64_t t, float v) {
  if (t == DT_F16) return __half2float(__float2half_rn(v));
  if (t == DT_BF16) return __bfloat162float(__float2bfloat16_rn(v));
  return v;
}
__device__ inline double ddp4j_round_to(int64_t, double v) { return v; }

// Floor division of floats as Python (and PyTorch) computes it: from the exact fmod, so a quotient
// that rounds up to an integer it does not reach is not floored to that integer. Every step is
// rounded to the precision t, as PyTorch's Half and BFloat16 arithmetic does.
template <typename T>
__device__ inline T ddp4j_div_floor(T a, T b, int64_t t) {
  if (b == (T)0) return a / b;  // +-inf or NaN, as PyTorch
  T mod = ddp4j_fmod(a, b);     // exact, and representable in the operands' dtype
  T div = ddp4j_round_to(t, ddp4j_round_to(t, a - mod) / b);
  if (mod != (T)0 && ((b < (T)0) != (mod < (T)0))) div = ddp4j_round_to(t, div - (T)1);
  if (div == (T)0) return ddp4j_copysign((T)0, a / b);
  T floored = ddp4j_floor(div);
  return ddp4j_round_to(t, div - floored) > (T)0.5 ? ddp4j_round_to(t, floored + (T)1) : floored;
}

// Truncating division, the quotient rounded to the precision t first (a bfloat16 1 / 0.1 is 10).
template <typename T>
__device__ inline T ddp4j_div_trunc(T a, T b, int64_t t) {
  return ddp4j_trunc(ddp4j_round_to(t, a / b));
}

// The remainder with the divisor's sign (Python's %), from the exact fmod.
template <typename T>
__device__ inline T ddp4j_remainder(T a, T b) {
  T mod = ddp4j_fmod(a, b);
  if (mod != (T)0 && ((b < (T)0) != (mod < (T)0))) mod += b;
  return mod;
}

// The rounding divisions of integers, exact. A zero divisor gives 0: PyTorch raises on the CPU
// (ddp4j's CPU path checks first), a kernel cannot, and it must not trap (the emulator runs this
// on the host, where x / 0 and INT64_MIN / -1 raise SIGFPE).
__device__ inline long long ddp4j_int_division(int64_t op, long long x, long long y) {
  if (y == 0) return 0;
  if (y == -1) return (op == B_DIV_TRUNC || op == B_DIV_FLOOR) ? ddp4j_wrap_neg(x) : 0;
  long long q = x / y, r = x % y;
  bool signsDiffer = r != 0 && ((r < 0) != (y < 0));
  switch (op) {
    case B_DIV_TRUNC: return q;
    case B_DIV_FLOOR: return signsDiffer ? q - 1 : q;
    case B_REMAINDER: return signsDiffer ? r + y : r;
    default: return r;  // FMOD
  }
}

// The integer lane: every op but true division (which never reaches here with integer operands).
__device__ inline long long ddp4j_int_binary_op(int64_t op, long long x, long long y) {
  switch (op) {
    case B_ADD: return ddp4j_wrap_add(x, y);
    case B_SUB: return ddp4j_wrap_add(x, ddp4j_wrap_neg(y));
    case B_MUL: return (long long)((unsigned long long)x * (unsigned long long)y);  // wraps, as ddp4j_wrap_add
    case B_POW: return ddp4j_int_pow(x, y);
    case B_MAXIMUM: return x >= y ? x : y;
    case B_MINIMUM: return x <= y ? x : y;
    case B_EQ: return x == y;
    case B_NE: return x != y;
    case B_LT: return x < y;
    case B_GT: return x > y;
    case B_LE: return x <= y;
    case B_GE: return x >= y;
    default: return ddp4j_int_division(op, x, y);
  }
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
    case B_NE: return x != y ? (T)1 : (T)0;
    case B_LT: return x < y ? (T)1 : (T)0;
    case B_GT: return x > y ? (T)1 : (T)0;
    case B_LE: return x <= y ? (T)1 : (T)0;
    case B_GE: return x >= y ? (T)1 : (T)0;
    case B_DIV_TRUNC: return ddp4j_div_trunc(x, y, DT_F64);  // float types take the rounding path in the kernel
    case B_DIV_FLOOR: return ddp4j_div_floor(x, y, DT_F64);
    case B_REMAINDER: return ddp4j_remainder(x, y);
    default: return ddp4j_fmod(x, y);  // FMOD
  }
}

DDP4J_KERNEL void ddp4j_tensor_binary(EwParams p) {
  const bool f = ddp4j_is_float32ish(p.a.dtype) && ddp4j_is_float32ish(p.b.dtype);
  const bool ints = ddp4j_is_integral(p.a.dtype) && ddp4j_is_integral(p.b.dtype) && p.op != B_DIV;
  DDP4J_FOR_EACH(i, p.n) {
    Offsets off = ddp4j_offsets(p, i);
    if (f && (p.op == B_DIV_TRUNC || p.op == B_DIV_FLOOR)) {
      // in the operands' dtype; a 16-bit tensor over a float32 scalar computes in float (PyTorch's scalar path)
      const int64_t precision = p.a.dtype == p.b.dtype ? p.a.dtype : DT_F32;
      float x = ddp4j_loadf(p.a.ptr, p.a.dtype, off.a), y = ddp4j_loadf(p.b.ptr, p.b.dtype, off.b);
      float r = p.op == B_DIV_TRUNC ? ddp4j_div_trunc(x, y, precision) : ddp4j_div_floor(x, y, precision);
      ddp4j_storef(p.out.ptr, p.out.dtype, off.o, r);
    } else if (f) {
      float r = ddp4j_binary_op<float>(p.op, ddp4j_loadf(p.a.ptr, p.a.dtype, off.a), ddp4j_loadf(p.b.ptr, p.b.dtype, off.b));
      ddp4j_storef(p.out.ptr, p.out.dtype, off.o, r);
    } else if (ints) {
      long long r = ddp4j_int_binary_op(p.op, ddp4j_load_i64(p.a.ptr, p.a.dtype, off.a), ddp4j_load_i64(p.b.ptr, p.b.dtype, off.b));
      ddp4j_store_i64(p.out.ptr, p.out.dtype, off.o, r);
    } else {
      double r = ddp4j_binary_op<double>(p.op, ddp4j_load(p.a.ptr, p.a.dtype, off.a), ddp4j_load(p.b.ptr, p.b.dtype, off.b));
      ddp4j_store(p.out.ptr, p.out.dtype, off.o, r);
    }
  }
}

// out = cond != 0 ? a : b; operand c is the condition. Integer values go through the integer lane.
DDP4J_KERNEL void ddp4j_tensor_where(EwParams p) {
  const bool ints = ddp4j_is_integral(p.a.dtype) && ddp4j_is_integral(p.b.dtype);
  DDP4J_FOR_EACH(i, p.n) {
    Offsets off = ddp4j_offsets(p, i);
    bool take = ddp4j_load(p.c.ptr, p.c.dtype, off.c) != 0.0;
    if (ints) {
      long long v = take ? ddp4j_load_i64(p.a.ptr, p.a.dtype, off.a) : ddp4j_load_i64(p.b.ptr, p.b.dtype, off.b);
      ddp4j_store_i64(p.out.ptr, p.out.dtype, off.o, v);
    } else {
      double v = take ? ddp4j_load(p.a.ptr, p.a.dtype, off.a) : ddp4j_load(p.b.ptr, p.b.dtype, off.b);
      ddp4j_store(p.out.ptr, p.out.dtype, off.o, v);
    }
  }
}
