// Elementwise functions of one tensor (UnaryOp), with the CPU backend's semantics: relu keeps NaN
// and -0 (PyTorch's x < 0 ? 0 : x) and step, relu's derivative mask, is 0 only where x <= 0
// (PyTorch's threshold_backward), so NaN passes both; sign is +0 at +-0 and NaN, as PyTorch's
// (0 < x) - (x < 0); sigmoid takes the
// branch that cannot overflow. F32/F16/BF16 compute in float, F64 in double, and integers in int64
// for the ops that keep them integers (neg, abs, relu, step, sign: the integer lane; -INT64_MIN
// wraps to itself, as in PyTorch), in double for the rest.
#include "tensor.cuh"

// UnaryOp ordinals
#define U_NEG 0
#define U_EXP 1
#define U_LOG 2
#define U_SQRT 3
#define U_ABS 4
#define U_RELU 5
#define U_SIGMOID 6
#define U_TANH 7
#define U_GELU 8
#define U_GELU_DERIVATIVE 9
#define U_STEP 10
#define U_SIGN 11

template <typename T>
__device__ inline T ddp4j_unary_op(int64_t op, T x) {
  const T inv_sqrt2 = (T)0.70710678118654752440;
  const T inv_sqrt_2pi = (T)0.39894228040143267794;
  switch (op) {
    case U_NEG: return -x;
    case U_EXP: return exp(x);
    case U_LOG: return log(x);
    case U_SQRT: return sqrt(x);
    case U_ABS: return fabs(x);
    case U_RELU: return x < (T)0 ? (T)0 : x;
    case U_SIGMOID: return x >= (T)0 ? (T)1 / ((T)1 + exp(-x)) : exp(x) / ((T)1 + exp(x));
    case U_TANH: return tanh(x);
    case U_GELU: return (T)0.5 * x * ((T)1 + erf(x * inv_sqrt2));
    case U_GELU_DERIVATIVE: {
      T cdf = (T)0.5 * ((T)1 + erf(x * inv_sqrt2));
      T pdf = inv_sqrt_2pi * exp((T)-0.5 * x * x);
      return cdf + x * pdf;
    }
    case U_STEP: return x <= (T)0 ? (T)0 : (T)1;
    default: return (T)((x > (T)0) - (x < (T)0));  // SIGN: PyTorch's, +0 for both zeros and NaN
  }
}

__device__ inline bool ddp4j_int_unary_computes(int64_t op) {
  return op == U_NEG || op == U_ABS || op == U_RELU || op == U_STEP || op == U_SIGN;
}

__device__ inline long long ddp4j_int_unary_op(int64_t op, long long x) {
  const long long negated = ddp4j_wrap_neg(x);
  switch (op) {
    case U_NEG: return negated;
    case U_ABS: return x < 0 ? negated : x;
    case U_RELU: return x > 0 ? x : 0;
    case U_STEP: return x > 0 ? 1 : 0;
    default: return (x > 0) - (x < 0);  // SIGN
  }
}

DDP4J_KERNEL void ddp4j_tensor_unary(EwParams p) {
  const bool f = ddp4j_is_float32ish(p.a.dtype);
  const bool ints = ddp4j_is_integral(p.a.dtype) && ddp4j_int_unary_computes(p.op);
  DDP4J_FOR_EACH(i, p.n) {
    Offsets off = ddp4j_offsets(p, i);
    if (ints) {
      ddp4j_store_i64(p.out.ptr, p.out.dtype, off.o, ddp4j_int_unary_op(p.op, ddp4j_load_i64(p.a.ptr, p.a.dtype, off.a)));
    } else if (f) {
      ddp4j_storef(p.out.ptr, p.out.dtype, off.o, ddp4j_unary_op<float>(p.op, ddp4j_loadf(p.a.ptr, p.a.dtype, off.a)));
    } else {
      ddp4j_store(p.out.ptr, p.out.dtype, off.o, ddp4j_unary_op<double>(p.op, ddp4j_load(p.a.ptr, p.a.dtype, off.a)));
    }
  }
}
