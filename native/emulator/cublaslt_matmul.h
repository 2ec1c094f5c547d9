// The arithmetic of the emulated cublasLtMatmul: one matmul whose arguments cublaslt.cpp has
// already checked, described by value so it can be copied into a stream's queue, and the function
// the stream's worker runs. cublasLt.h is not on this machine, so cublasLtEpilogue_t's values are
// declared here (the same as io.ddp4j.bindings.cublas.CublasLt's constants).
#pragma once
#include <cstddef>
#include <cstdint>

namespace ddp4j_lt {

// cublasLtEpilogue_t: DEFAULT, or flags: what is added or applied before D is stored and what
// the epilogue reads or writes beside D (the bias vector, the aux matrix).
enum Epilogue : uint32_t {
  DEFAULT = 1,
  RELU = 2,         // x := max(x, 0)
  BIAS = 4,         // x += bias[row], before the activation
  DRELU = 8,        // x := mask ? x : 0, the mask read from aux
  BGRAD = 16,       // with DRELU or DGELU: bias := the sums of D's rows
  GELU = 32,        // x := GELU(x), tanh approximation
  DGELU = 64,       // x := x * GELU'(aux)
  AUX = 128,        // the aux matrix is written (RELU, GELU) or read (DRELU, DGELU)
  BGRADA = 256,     // bias := op(A) summed over k, one value per row of D
  BGRADB = 512,     // bias := op(B) summed over k, one value per column of D
};

// Whether `e` is one of the cublasLtEpilogue_t values cuBLASLt defines.
bool known_epilogue(uint32_t e);

// Length of the bias (or bias-gradient) vector the epilogue reads or writes: 0 without one.
int64_t bias_length(uint32_t e, int64_t m, int64_t n);

// Whether the aux matrix holds a ReLU bit mask (else GELU's input, in D's type).
inline bool aux_is_relu_mask(uint32_t e) { return (e & AUX) != 0 && (e & (RELU | DRELU)) != 0; }

// One matrix as its layout describes it: element (r, c) of batch q is at index
// q * stride + (column-major ? r + c * ld : r * ld + c).
struct Matrix {
  char* data;
  int type;
  bool row_major;
  int64_t rows, cols, ld, stride;

  size_t at(int64_t q, int64_t r, int64_t c) const {
    return static_cast<size_t>(q * stride + (row_major ? r * ld + c : r + c * ld));
  }
};

struct Matmul {
  int64_t m, n, k;
  int batch;
  bool transa, transb;
  Matrix a, b, c, d;  // c.data is null when beta is known to be 0: C is never read then
  uint32_t epilogue;
  char* bias;
  int bias_type;
  int64_t bias_stride;
  char* aux;
  int aux_type;
  int64_t aux_ld, aux_stride;  // in bits for the ReLU mask, elements for GELU's input
  bool wide;                   // computes and scales in double (64F), else float
  bool device_scalars;         // alpha and beta are read from device memory when the product runs
  const void* alpha;
  const void* beta;
  double alpha_now, beta_now;  // host pointer mode: the scalars as read at the call
  void* workspace;             // non-null: sums go through it (the algorithm that needs workspace)
};

// Bytes of workspace the algorithm that accumulates there needs for `mm`.
size_t accumulator_bytes(const Matmul& mm);

// D = epilogue(alpha op(A) op(B) + beta C (+ bias)), with the bias gradient or aux output the
// epilogue asks for. Sums run over k in ascending order in the compute type.
void run(const Matmul& mm);

}  // namespace ddp4j_lt
