// What the emulated cuBLAS (cublas.cpp) and cuBLASLt (cublaslt.cpp) share: cublasStatus_t and
// cublasComputeType_t as cublas_api.h numbers them (that header is not part of the CUDA toolkit,
// so the values are declared here), the libraries' texts for a status, which operand types a
// compute type takes, and element access for the floating-point cudaDataType_t values emulated.
#pragma once
#include <cuda_bf16.h>
#include <cuda_fp16.h>
#include <library_types.h>

#include <cstddef>

namespace ddp4j_blas {

enum Status { SUCCESS = 0, NOT_INITIALIZED = 1, ALLOC_FAILED = 3, INVALID_VALUE = 7, ARCH_MISMATCH = 8, EXECUTION_FAILED = 13,
              INTERNAL_ERROR = 14, NOT_SUPPORTED = 15 };
enum Compute { C16F = 64, C16F_PEDANTIC = 65, C32F = 68, C32F_PEDANTIC = 69, C64F = 70, C64F_PEDANTIC = 71,
               C32F_FAST_16F = 74, C32F_FAST_16BF = 75, C32F_FAST_TF32 = 77 };

inline bool computes_in_double(int compute) { return compute == C64F || compute == C64F_PEDANTIC; }

inline bool computes_in_float(int compute) {
  return compute == C32F || compute == C32F_PEDANTIC || compute == C32F_FAST_16F || compute == C32F_FAST_16BF || compute == C32F_FAST_TF32;
}

// Whether cuBLAS takes this compute type with A and B of type ab and C (and D) of type c: the
// GemmEx table, which cuBLASLt follows for these types. 16F compute takes __half scalars and is
// not emulated (ddp4j computes in 32F); the FAST_* types compute in full fp32 here.
inline bool supported(int compute, int ab, int c) {
  if (computes_in_double(compute)) return ab == CUDA_R_64F && c == CUDA_R_64F;
  if (!computes_in_float(compute)) return false;
  if (ab == CUDA_R_32F) return c == CUDA_R_32F;
  if (ab == CUDA_R_16F || ab == CUDA_R_16BF) return c == ab || c == CUDA_R_32F;
  return false;
}

inline size_t element_size(int type) {
  switch (type) {
    case CUDA_R_32F: return 4;
    case CUDA_R_64F: return 8;
    case CUDA_R_16F:
    case CUDA_R_16BF: return 2;
    default: return 0;
  }
}

inline double load(const char* p, int type, size_t i) {
  switch (type) {
    case CUDA_R_32F: return reinterpret_cast<const float*>(p)[i];
    case CUDA_R_64F: return reinterpret_cast<const double*>(p)[i];
    case CUDA_R_16F: return __half2float(reinterpret_cast<const __half*>(p)[i]);
    default: return __bfloat162float(reinterpret_cast<const __nv_bfloat16*>(p)[i]);
  }
}

inline void store(char* p, int type, size_t i, double v) {
  switch (type) {
    case CUDA_R_32F: reinterpret_cast<float*>(p)[i] = static_cast<float>(v); return;
    case CUDA_R_64F: reinterpret_cast<double*>(p)[i] = v; return;
    case CUDA_R_16F: reinterpret_cast<__half*>(p)[i] = __float2half_rn(static_cast<float>(v)); return;
    default: reinterpret_cast<__nv_bfloat16*>(p)[i] = __float2bfloat16_rn(static_cast<float>(v)); return;
  }
}

// cublasGetStatusName / cublasLtGetStatusName
inline const char* status_name(int status) {
  switch (status) {
    case SUCCESS: return "CUBLAS_STATUS_SUCCESS";
    case NOT_INITIALIZED: return "CUBLAS_STATUS_NOT_INITIALIZED";
    case ALLOC_FAILED: return "CUBLAS_STATUS_ALLOC_FAILED";
    case INVALID_VALUE: return "CUBLAS_STATUS_INVALID_VALUE";
    case ARCH_MISMATCH: return "CUBLAS_STATUS_ARCH_MISMATCH";
    case EXECUTION_FAILED: return "CUBLAS_STATUS_EXECUTION_FAILED";
    case INTERNAL_ERROR: return "CUBLAS_STATUS_INTERNAL_ERROR";
    case NOT_SUPPORTED: return "CUBLAS_STATUS_NOT_SUPPORTED";
    default: return "CUBLAS_STATUS_UNKNOWN";
  }
}

// cublasGetStatusString / cublasLtGetStatusString
inline const char* status_string(int status) {
  switch (status) {
    case SUCCESS: return "success";
    case NOT_INITIALIZED: return "the library was not initialized";
    case ALLOC_FAILED: return "the resource allocation failed";
    case INVALID_VALUE: return "an invalid numeric value was used as an argument";
    case ARCH_MISMATCH: return "an absent device architectural feature is required";
    case EXECUTION_FAILED: return "the GPU program failed to execute";
    case INTERNAL_ERROR: return "an internal operation failed";
    case NOT_SUPPORTED: return "the functionality requested is not supported";
    default: return "unknown error";
  }
}

}  // namespace ddp4j_blas
