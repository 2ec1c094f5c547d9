// The cuBLAS subset ddp4j binds (io.ddp4j.bindings.cublas.Cublas), emulated on the host as
// libcublas.so.13 beside the emulated runtime: handles, stream, workspace, math and pointer
// modes, and the GEMMs (Sgemm, GemmEx and their strided-batched forms) with cuBLAS's argument
// rules (column-major, op(A) is m x k, leading dimensions at least the stored rows) checked as
// cuBLAS checks them, the operands checked to lie in device memory, and the product enqueued on
// the handle's stream. Sums run over k in ascending order in the compute type (float for
// CUBLAS_COMPUTE_32F*, double for 64F); beta = 0 never reads C, as in cuBLAS.
// cublas_api.h is not part of the CUDA toolkit: its types are ints here, its values in blas_types.h.
#include "blas_types.h"
#include "emulator.h"

#include <cstdint>
#include <cstdio>
#include <cstring>
#include <string>

namespace {

using namespace ddp4j_blas;

struct Handle {
  int magic = 0x0c0b1a5;
  cudaStream_t stream = nullptr;
  void* workspace = nullptr;
  size_t workspace_bytes = 0;
  int math_mode = 0;
  int pointer_mode = 0;  // 0 host, 1 device
};

bool valid(const Handle* h) { return h != nullptr && h->magic == 0x0c0b1a5; }

struct Gemm {
  int transa, transb, m, n, k;
  const char* a; int atype; int lda; long long strideA;
  const char* b; int btype; int ldb; long long strideB;
  char* c; int ctype; int ldc; long long strideC;
  int batch;
  int compute;
  bool wide;  // alpha and beta are doubles (64F compute) rather than floats
};

// Elements from the first to one past the last that one matrix of rows x cols spans.
size_t extent(int rows, int cols, int ld) { return rows == 0 || cols == 0 ? 0 : static_cast<size_t>(ld) * (cols - 1) + rows; }

bool in_device(const char* what, const void* p, int type, size_t elements, const char* api) {
  if (elements == 0) return true;
  if (ddp4j_emu::is_device_range(p, elements * element_size(type))) return true;
  ddp4j_emu::fail(cudaErrorIllegalAddress, std::string(api) + ": matrix " + what + " (" + std::to_string(elements) + " elements at "
                                               + std::to_string(reinterpret_cast<uintptr_t>(p)) + ") is not inside one device allocation");
  return false;
}

int gemm(Handle* h, Gemm g, const void* alpha, const void* beta, const char* api) {
  if (!valid(h)) return NOT_INITIALIZED;
  if (g.transa < 0 || g.transa > 2 || g.transb < 0 || g.transb > 2 || g.m < 0 || g.n < 0 || g.k < 0 || g.batch < 0) return INVALID_VALUE;
  int aRows = g.transa == 0 ? g.m : g.k, aCols = g.transa == 0 ? g.k : g.m;
  int bRows = g.transb == 0 ? g.k : g.n, bCols = g.transb == 0 ? g.n : g.k;
  if (g.lda < (aRows > 1 ? aRows : 1) || g.ldb < (bRows > 1 ? bRows : 1) || g.ldc < (g.m > 1 ? g.m : 1)) {
    std::fprintf(stderr, "[ddp4j CUDA emulator] %s: m=%d n=%d k=%d transa=%d transb=%d lda=%d ldb=%d ldc=%d: a leading dimension is below its matrix's rows\n",
                 api, g.m, g.n, g.k, g.transa, g.transb, g.lda, g.ldb, g.ldc);
    return INVALID_VALUE;
  }
  if (alpha == nullptr || beta == nullptr) return INVALID_VALUE;
  if (!supported(g.compute, g.atype, g.ctype) || g.atype != g.btype) return NOT_SUPPORTED;
  if (g.m == 0 || g.n == 0 || g.batch == 0) return SUCCESS;
  size_t batches = static_cast<size_t>(g.batch - 1);
  if (!in_device("A", g.a, g.atype, g.k == 0 ? 0 : extent(aRows, aCols, g.lda) + batches * g.strideA, api)
      || !in_device("B", g.b, g.btype, g.k == 0 ? 0 : extent(bRows, bCols, g.ldb) + batches * g.strideB, api)
      || !in_device("C", g.c, g.ctype, extent(g.m, g.n, g.ldc) + batches * g.strideC, api))
    return EXECUTION_FAILED;
  // host pointer mode: the scalars are read now; device mode: when the product runs
  double alphaNow = 0, betaNow = 0;
  bool onDevice = h->pointer_mode == 1;
  if (!onDevice) {
    alphaNow = g.wide ? *static_cast<const double*>(alpha) : *static_cast<const float*>(alpha);
    betaNow = g.wide ? *static_cast<const double*>(beta) : *static_cast<const float*>(beta);
  }
  cudaError_t e = ddp4j_emu::enqueue(h->stream, [g, alpha, beta, alphaNow, betaNow, onDevice] {
    double al = onDevice ? (g.wide ? *static_cast<const double*>(alpha) : *static_cast<const float*>(alpha)) : alphaNow;
    double be = onDevice ? (g.wide ? *static_cast<const double*>(beta) : *static_cast<const float*>(beta)) : betaNow;
    bool inDouble = computes_in_double(g.compute);
    for (int q = 0; q < g.batch; q++) {
      const char* a = g.a + static_cast<size_t>(q) * g.strideA * element_size(g.atype);
      const char* b = g.b + static_cast<size_t>(q) * g.strideB * element_size(g.btype);
      char* c = g.c + static_cast<size_t>(q) * g.strideC * element_size(g.ctype);
      for (int j = 0; j < g.n; j++)
        for (int i = 0; i < g.m; i++) {
          double sum;
          if (inDouble) {
            double s = 0;
            for (int p = 0; p < g.k; p++) {
              double x = load(a, g.atype, g.transa == 0 ? i + static_cast<size_t>(p) * g.lda : p + static_cast<size_t>(i) * g.lda);
              double y = load(b, g.btype, g.transb == 0 ? p + static_cast<size_t>(j) * g.ldb : j + static_cast<size_t>(p) * g.ldb);
              s += x * y;
            }
            sum = s;
          } else {
            float s = 0;
            for (int p = 0; p < g.k; p++) {
              float x = static_cast<float>(load(a, g.atype, g.transa == 0 ? i + static_cast<size_t>(p) * g.lda : p + static_cast<size_t>(i) * g.lda));
              float y = static_cast<float>(load(b, g.btype, g.transb == 0 ? p + static_cast<size_t>(j) * g.ldb : j + static_cast<size_t>(p) * g.ldb));
              s += x * y;
            }
            sum = s;
          }
          size_t ci = i + static_cast<size_t>(j) * g.ldc;
          double out = al * sum;
          if (be != 0) out += be * load(c, g.ctype, ci);
          store(c, g.ctype, ci, out);
        }
    }
  });
  return e == cudaSuccess ? SUCCESS : EXECUTION_FAILED;
}

}  // namespace

extern "C" {

int cublasCreate_v2(Handle** handle) {
  if (handle == nullptr) return INVALID_VALUE;
  *handle = new Handle();
  return SUCCESS;
}

int cublasDestroy_v2(Handle* handle) {
  if (!valid(handle)) return NOT_INITIALIZED;
  handle->magic = 0;
  delete handle;
  return SUCCESS;
}

int cublasGetVersion_v2(Handle* handle, int* version) {
  (void)handle;
  if (version == nullptr) return INVALID_VALUE;
  *version = 130100;
  return SUCCESS;
}

int cublasGetProperty(int type, int* value) {
  if (value == nullptr) return INVALID_VALUE;
  switch (type) {
    case 0: *value = 13; return SUCCESS;
    case 1: *value = 1; return SUCCESS;
    case 2: *value = 0; return SUCCESS;
    default: return INVALID_VALUE;
  }
}

int cublasSetStream_v2(Handle* handle, cudaStream_t stream) {
  if (!valid(handle)) return NOT_INITIALIZED;
  handle->stream = stream;
  return SUCCESS;
}

int cublasGetStream_v2(Handle* handle, cudaStream_t* stream) {
  if (!valid(handle)) return NOT_INITIALIZED;
  if (stream == nullptr) return INVALID_VALUE;
  *stream = handle->stream;
  return SUCCESS;
}

int cublasSetWorkspace_v2(Handle* handle, void* workspace, size_t bytes) {
  if (!valid(handle)) return NOT_INITIALIZED;
  if (bytes > 0 && !ddp4j_emu::is_device_range(workspace, bytes)) return INVALID_VALUE;
  handle->workspace = workspace;
  handle->workspace_bytes = bytes;
  return SUCCESS;
}

int cublasSetMathMode(Handle* handle, int mode) {
  if (!valid(handle)) return NOT_INITIALIZED;
  handle->math_mode = mode;
  return SUCCESS;
}

int cublasGetMathMode(Handle* handle, int* mode) {
  if (!valid(handle)) return NOT_INITIALIZED;
  if (mode == nullptr) return INVALID_VALUE;
  *mode = handle->math_mode;
  return SUCCESS;
}

int cublasSetPointerMode_v2(Handle* handle, int mode) {
  if (!valid(handle)) return NOT_INITIALIZED;
  if (mode != 0 && mode != 1) return INVALID_VALUE;
  handle->pointer_mode = mode;
  return SUCCESS;
}

int cublasGetPointerMode_v2(Handle* handle, int* mode) {
  if (!valid(handle)) return NOT_INITIALIZED;
  if (mode == nullptr) return INVALID_VALUE;
  *mode = handle->pointer_mode;
  return SUCCESS;
}

const char* cublasGetStatusName(int status) { return status_name(status); }

const char* cublasGetStatusString(int status) { return status_string(status); }

int cublasSgemm_v2(Handle* h, int transa, int transb, int m, int n, int k, const float* alpha, const float* A, int lda,
                   const float* B, int ldb, const float* beta, float* C, int ldc) {
  Gemm g{transa, transb, m, n, k, reinterpret_cast<const char*>(A), CUDA_R_32F, lda, 0, reinterpret_cast<const char*>(B), CUDA_R_32F, ldb, 0,
         reinterpret_cast<char*>(C), CUDA_R_32F, ldc, 0, 1, C32F, false};
  return gemm(h, g, alpha, beta, "cublasSgemm");
}

int cublasSgemmStridedBatched(Handle* h, int transa, int transb, int m, int n, int k, const float* alpha, const float* A, int lda,
                              long long strideA, const float* B, int ldb, long long strideB, const float* beta, float* C, int ldc,
                              long long strideC, int batch) {
  Gemm g{transa, transb, m, n, k, reinterpret_cast<const char*>(A), CUDA_R_32F, lda, strideA, reinterpret_cast<const char*>(B), CUDA_R_32F, ldb,
         strideB, reinterpret_cast<char*>(C), CUDA_R_32F, ldc, strideC, batch, C32F, false};
  return gemm(h, g, alpha, beta, "cublasSgemmStridedBatched");
}

int cublasGemmEx(Handle* h, int transa, int transb, int m, int n, int k, const void* alpha, const void* A, int atype, int lda,
                 const void* B, int btype, int ldb, const void* beta, void* C, int ctype, int ldc, int compute, int algo) {
  (void)algo;
  Gemm g{transa, transb, m, n, k, static_cast<const char*>(A), atype, lda, 0, static_cast<const char*>(B), btype, ldb, 0,
         static_cast<char*>(C), ctype, ldc, 0, 1, compute, computes_in_double(compute)};
  return gemm(h, g, alpha, beta, "cublasGemmEx");
}

int cublasGemmStridedBatchedEx(Handle* h, int transa, int transb, int m, int n, int k, const void* alpha, const void* A, int atype,
                               int lda, long long strideA, const void* B, int btype, int ldb, long long strideB, const void* beta,
                               void* C, int ctype, int ldc, long long strideC, int batch, int compute, int algo) {
  (void)algo;
  Gemm g{transa, transb, m, n, k, static_cast<const char*>(A), atype, lda, strideA, static_cast<const char*>(B), btype, ldb, strideB,
         static_cast<char*>(C), ctype, ldc, strideC, batch, compute, computes_in_double(compute)};
  return gemm(h, g, alpha, beta, "cublasGemmStridedBatchedEx");
}

}  // extern "C"
