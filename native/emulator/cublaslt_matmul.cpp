// The arithmetic of the emulated cublasLtMatmul (see cublaslt_matmul.h). Runs on a stream's worker
// thread; everything it touches was checked by cublaslt.cpp to lie in device memory.
#include "cublaslt_matmul.h"

#include "blas_types.h"

#include <algorithm>
#include <cmath>
#include <vector>

namespace ddp4j_lt {

bool known_epilogue(uint32_t e) {
  switch (e) {
    case DEFAULT: case RELU: case RELU | AUX: case BIAS: case RELU | BIAS: case RELU | AUX | BIAS:
    case DRELU | AUX: case DRELU | AUX | BGRAD: case GELU: case GELU | AUX: case GELU | BIAS: case GELU | AUX | BIAS:
    case DGELU | AUX: case DGELU | AUX | BGRAD: case BGRADA: case BGRADB:
      return true;
    default:
      return false;
  }
}

int64_t bias_length(uint32_t e, int64_t m, int64_t n) {
  if ((e & BIAS) != 0 || (e & BGRAD) != 0 || (e & BGRADA) != 0) return m;
  return (e & BGRADB) != 0 ? n : 0;
}

size_t accumulator_bytes(const Matmul& mm) {
  return static_cast<size_t>(mm.batch) * static_cast<size_t>(mm.m) * static_cast<size_t>(mm.n) * (mm.wide ? sizeof(double) : sizeof(float));
}

namespace {

using ddp4j_blas::load;
using ddp4j_blas::store;

// GELU as cuBLASLt computes it: the tanh approximation 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))).
constexpr double kSqrt2OverPi = 0.7978845608028654, kCubic = 0.044715;

template <class T>
T gelu(T x) {
  T t = std::tanh(static_cast<T>(kSqrt2OverPi) * (x + static_cast<T>(kCubic) * x * x * x));
  return static_cast<T>(0.5) * x * (1 + t);
}

// d/dx of gelu above: 0.5 (1 + t) + 0.5 x (1 - t^2) sqrt(2/pi) (1 + 3 * 0.044715 x^2).
template <class T>
T gelu_grad(T x) {
  T t = std::tanh(static_cast<T>(kSqrt2OverPi) * (x + static_cast<T>(kCubic) * x * x * x));
  T inner = static_cast<T>(kSqrt2OverPi) * (1 + static_cast<T>(3 * kCubic) * x * x);
  return static_cast<T>(0.5) * (1 + t) + static_cast<T>(0.5) * x * (1 - t * t) * inner;
}

// The ReLU mask: one bit per element of D, element (i, j) of batch q at bit
// q * aux_stride + i + j * aux_ld, least significant bit of each byte first; set where ReLU passed
// its input. Only the emulated DRELU reads it, as only cuBLASLt's own reads the real one.
int64_t mask_bit(const Matmul& mm, int q, int64_t i, int64_t j) { return q * mm.aux_stride + i + j * mm.aux_ld; }

bool test_bit(const char* bits, int64_t at) { return ((static_cast<unsigned char>(bits[at >> 3]) >> (at & 7)) & 1) != 0; }

void put_bit(char* bits, int64_t at, bool on) {
  unsigned char mask = static_cast<unsigned char>(1u << (at & 7));
  unsigned char& byte = reinterpret_cast<unsigned char&>(bits[at >> 3]);
  byte = on ? static_cast<unsigned char>(byte | mask) : static_cast<unsigned char>(byte & ~mask);
}

template <class T>
T op_a(const Matmul& mm, int q, int64_t i, int64_t p) {
  return static_cast<T>(load(mm.a.data, mm.a.type, mm.transa ? mm.a.at(q, p, i) : mm.a.at(q, i, p)));
}

template <class T>
T op_b(const Matmul& mm, int q, int64_t p, int64_t j) {
  return static_cast<T>(load(mm.b.data, mm.b.type, mm.transb ? mm.b.at(q, j, p) : mm.b.at(q, p, j)));
}

template <class T>
T dot(const Matmul& mm, int q, int64_t i, int64_t j) {
  T s = 0;
  for (int64_t p = 0; p < mm.k; p++) s += op_a<T>(mm, q, i, p) * op_b<T>(mm, q, p, j);
  return s;
}

template <class T>
T scalar(const void* p, double now, bool on_device) {
  return on_device ? *static_cast<const T*>(p) : static_cast<T>(now);
}

// The bias gradients of BGRADA and BGRADB: op(A)'s rows or op(B)'s columns summed over k.
template <class T>
void operand_bias_gradient(const Matmul& mm, int q) {
  bool rows = (mm.epilogue & BGRADA) != 0;
  int64_t length = rows ? mm.m : mm.n;
  for (int64_t x = 0; x < length; x++) {
    T s = 0;
    for (int64_t p = 0; p < mm.k; p++) s += rows ? op_a<T>(mm, q, x, p) : op_b<T>(mm, q, p, x);
    store(mm.bias, mm.bias_type, static_cast<size_t>(q * mm.bias_stride + x), s);
  }
}

template <class T>
void run_as(const Matmul& mm) {
  const T alpha = scalar<T>(mm.alpha, mm.alpha_now, mm.device_scalars);
  const T beta = scalar<T>(mm.beta, mm.beta_now, mm.device_scalars);
  const uint32_t e = mm.epilogue;
  const bool relu_mask = aux_is_relu_mask(e);
  std::vector<T> row_sums((e & BGRAD) != 0 ? static_cast<size_t>(mm.m) : 0);
  for (int q = 0; q < mm.batch; q++) {
    T* sums = nullptr;
    if (mm.workspace != nullptr) {
      // the algorithm with workspace: every sum first, the epilogue in a second pass
      sums = static_cast<T*>(mm.workspace) + static_cast<size_t>(q) * mm.m * mm.n;
      for (int64_t j = 0; j < mm.n; j++)
        for (int64_t i = 0; i < mm.m; i++) sums[i + j * mm.m] = dot<T>(mm, q, i, j);
    }
    std::fill(row_sums.begin(), row_sums.end(), T(0));
    for (int64_t j = 0; j < mm.n; j++)
      for (int64_t i = 0; i < mm.m; i++) {
        T v = alpha * (sums != nullptr ? sums[i + j * mm.m] : dot<T>(mm, q, i, j));
        if (beta != 0) v += beta * static_cast<T>(load(mm.c.data, mm.c.type, mm.c.at(q, i, j)));
        if ((e & BIAS) != 0) v += static_cast<T>(load(mm.bias, mm.bias_type, static_cast<size_t>(q * mm.bias_stride + i)));
        size_t aux_at = static_cast<size_t>(q * mm.aux_stride + i + j * mm.aux_ld);
        if ((e & AUX) != 0 && (e & (RELU | GELU)) != 0) {
          // forward: keep what the backward pass needs
          if (relu_mask) put_bit(mm.aux, mask_bit(mm, q, i, j), v > 0);
          else store(mm.aux, mm.aux_type, aux_at, v);
        }
        if ((e & RELU) != 0) v = v > 0 ? v : T(0);
        if ((e & GELU) != 0) v = gelu(v);
        if ((e & DRELU) != 0 && !test_bit(mm.aux, mask_bit(mm, q, i, j))) v = 0;
        if ((e & DGELU) != 0) v *= gelu_grad(static_cast<T>(load(mm.aux, mm.aux_type, aux_at)));
        store(mm.d.data, mm.d.type, mm.d.at(q, i, j), v);
        if ((e & BGRAD) != 0) row_sums[i] += v;
      }
    if ((e & BGRAD) != 0)
      for (int64_t i = 0; i < mm.m; i++) store(mm.bias, mm.bias_type, static_cast<size_t>(q * mm.bias_stride + i), row_sums[i]);
    if ((e & (BGRADA | BGRADB)) != 0) operand_bias_gradient<T>(mm, q);
  }
}

}  // namespace

void run(const Matmul& mm) {
  if (mm.wide) run_as<double>(mm);
  else run_as<float>(mm);
}

}  // namespace ddp4j_lt
