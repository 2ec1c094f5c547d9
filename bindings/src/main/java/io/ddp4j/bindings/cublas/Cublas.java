package io.ddp4j.bindings.cublas;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_FLOAT;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import io.ddp4j.bindings.Native;
import io.ddp4j.bindings.OutParams;
import io.ddp4j.bindings.loader.LibrarySpec;
import io.ddp4j.bindings.loader.NativeLibrary;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;

/**
 * cuBLAS, the v2 API ({@code libcublas.so.13}), one Java method per C function with the C name
 * and argument order, following the conventions of {@link io.ddp4j.bindings.cuda.Cudart}.
 *
 * <p>{@code cublas_v2.h} turns several names into {@code _v2} symbols by {@code #define}; this
 * class binds those symbols ({@code cublasCreate_v2}, {@code cublasSgemm_v2}, ...), because the
 * unsuffixed exports of the same name are the legacy API with other signatures. Functions the
 * header does not rename ({@code cublasGemmEx}, {@code cublasSetMathMode}, ...) are bound as named.
 *
 * <p><b>alpha and beta.</b> The GEMMs take {@code float} alpha and beta, write them to this
 * thread's {@link OutParams} scratch and pass its address. That is right only in
 * {@link #CUBLAS_POINTER_MODE_HOST}, the mode of every new handle, in which cuBLAS reads both
 * values before the call returns. A handle switched to device pointer mode must not be used
 * with these methods.
 */
public final class Cublas {
    private Cublas() {}

    static final NativeLibrary LIB = NativeLibrary.find(LibrarySpec.CUBLAS);

    // cublasStatus_t (cublas_api.h)
    public static final int CUBLAS_STATUS_SUCCESS = 0, CUBLAS_STATUS_NOT_INITIALIZED = 1, CUBLAS_STATUS_ALLOC_FAILED = 3,
            CUBLAS_STATUS_INVALID_VALUE = 7, CUBLAS_STATUS_ARCH_MISMATCH = 8, CUBLAS_STATUS_MAPPING_ERROR = 11,
            CUBLAS_STATUS_EXECUTION_FAILED = 13, CUBLAS_STATUS_INTERNAL_ERROR = 14, CUBLAS_STATUS_NOT_SUPPORTED = 15,
            CUBLAS_STATUS_LICENSE_ERROR = 16;
    // cublasOperation_t
    public static final int CUBLAS_OP_N = 0, CUBLAS_OP_T = 1, CUBLAS_OP_C = 2;
    // cublasPointerMode_t
    public static final int CUBLAS_POINTER_MODE_HOST = 0, CUBLAS_POINTER_MODE_DEVICE = 1;
    // cublasMath_t
    public static final int CUBLAS_DEFAULT_MATH = 0, CUBLAS_PEDANTIC_MATH = 2, CUBLAS_TF32_TENSOR_OP_MATH = 3,
            CUBLAS_MATH_DISALLOW_REDUCED_PRECISION_REDUCTION = 16;
    // cublasComputeType_t
    public static final int CUBLAS_COMPUTE_16F = 64, CUBLAS_COMPUTE_16F_PEDANTIC = 65, CUBLAS_COMPUTE_32F = 68,
            CUBLAS_COMPUTE_32F_PEDANTIC = 69, CUBLAS_COMPUTE_64F = 70, CUBLAS_COMPUTE_64F_PEDANTIC = 71,
            CUBLAS_COMPUTE_32I = 72, CUBLAS_COMPUTE_32I_PEDANTIC = 73, CUBLAS_COMPUTE_32F_FAST_16F = 74,
            CUBLAS_COMPUTE_32F_FAST_16BF = 75, CUBLAS_COMPUTE_32F_FAST_TF32 = 77;
    // cublasGemmAlgo_t (from CUDA 11 on, every value but DEFAULT behaves like DEFAULT)
    public static final int CUBLAS_GEMM_DEFAULT = -1, CUBLAS_GEMM_DEFAULT_TENSOR_OP = 99;
    // libraryPropertyType (library_types.h)
    public static final int MAJOR_VERSION = 0, MINOR_VERSION = 1, PATCH_LEVEL = 2;

    private static MethodHandle fn(String name, FunctionDescriptor fd) {
        return LIB.function(name, fd);
    }

    private static FunctionDescriptor status(MemoryLayout... args) {
        return FunctionDescriptor.of(JAVA_INT, args);
    }

    private static final MemoryLayout L = JAVA_LONG, I = JAVA_INT;

    private static final MethodHandle
            cublasCreate = fn("cublasCreate_v2", status(L)),
            cublasDestroy = fn("cublasDestroy_v2", status(L)),
            cublasGetVersion = fn("cublasGetVersion_v2", status(L, L)),
            cublasGetProperty = fn("cublasGetProperty", status(I, L)),
            cublasSetStream = fn("cublasSetStream_v2", status(L, L)),
            cublasGetStream = fn("cublasGetStream_v2", status(L, L)),
            cublasSetWorkspace = fn("cublasSetWorkspace_v2", status(L, L, L)),
            cublasSetMathMode = fn("cublasSetMathMode", status(L, I)),
            cublasGetMathMode = fn("cublasGetMathMode", status(L, L)),
            cublasSetPointerMode = fn("cublasSetPointerMode_v2", status(L, I)),
            cublasGetPointerMode = fn("cublasGetPointerMode_v2", status(L, L)),
            cublasGetStatusName = fn("cublasGetStatusName", FunctionDescriptor.of(ADDRESS, I)),
            cublasGetStatusString = fn("cublasGetStatusString", FunctionDescriptor.of(ADDRESS, I)),
            cublasSgemm = fn("cublasSgemm_v2", status(L, I, I, I, I, I, L, L, I, L, I, L, L, I)),
            cublasSgemmStridedBatched = fn("cublasSgemmStridedBatched",
                    status(L, I, I, I, I, I, L, L, I, L, L, I, L, L, L, I, L, I)),
            cublasGemmEx = fn("cublasGemmEx",
                    status(L, I, I, I, I, I, L, L, I, I, L, I, I, L, L, I, I, I, I)),
            cublasGemmStridedBatchedEx = fn("cublasGemmStridedBatchedEx",
                    status(L, I, I, I, I, I, L, L, I, I, L, L, I, I, L, L, L, I, I, L, I, I, I));

    /** libcublas as found (or why not), for {@code ddp4j info}. */
    public static NativeLibrary library() {
        return LIB;
    }

    public static boolean isLoaded() {
        return LIB.isLoaded();
    }

    static void check(int status, String call) {
        if (status != CUBLAS_STATUS_SUCCESS) throw CublasErrors.exception(call, status);
    }

    private static long out() {
        return OutParams.raw().address();
    }

    private static int readInt() {
        return OutParams.raw().get(JAVA_INT, 0);
    }

    /** Writes alpha and beta to this thread's scratch; the address of alpha, beta's is 8 bytes on. */
    private static long hostScalars(float alpha, float beta) {
        MemorySegment s = OutParams.raw();
        s.set(JAVA_FLOAT, 0, alpha);
        s.set(JAVA_FLOAT, 8, beta);
        return s.address();
    }

    // ---- handle -----------------------------------------------------------------------------

    public static long cublasCreate() {
        try { check((int) cublasCreate.invokeExact(out()), "cublasCreate_v2"); } catch (Throwable t) { throw Native.rethrow(t); }
        return OutParams.raw().get(JAVA_LONG, 0);
    }

    public static void cublasDestroy(long handle) {
        try { check((int) cublasDestroy.invokeExact(handle), "cublasDestroy_v2"); } catch (Throwable t) { throw Native.rethrow(t); }
    }

    public static void cublasSetStream(long handle, long stream) {
        try { check((int) cublasSetStream.invokeExact(handle, stream), "cublasSetStream_v2"); } catch (Throwable t) { throw Native.rethrow(t); }
    }

    public static long cublasGetStream(long handle) {
        try { check((int) cublasGetStream.invokeExact(handle, out()), "cublasGetStream_v2"); } catch (Throwable t) { throw Native.rethrow(t); }
        return OutParams.raw().get(JAVA_LONG, 0);
    }

    /**
     * Gives the handle a workspace of device memory it uses instead of allocating its own; the
     * memory must stay allocated (and not be used by anything else on another stream) until the
     * handle is destroyed or given another workspace.
     */
    public static void cublasSetWorkspace(long handle, long workspace, long workspaceSizeInBytes) {
        try { check((int) cublasSetWorkspace.invokeExact(handle, workspace, workspaceSizeInBytes), "cublasSetWorkspace_v2"); } catch (Throwable t) { throw Native.rethrow(t); }
    }

    public static void cublasSetMathMode(long handle, int mode) {
        try { check((int) cublasSetMathMode.invokeExact(handle, mode), "cublasSetMathMode"); } catch (Throwable t) { throw Native.rethrow(t); }
    }

    public static int cublasGetMathMode(long handle) {
        try { check((int) cublasGetMathMode.invokeExact(handle, out()), "cublasGetMathMode"); } catch (Throwable t) { throw Native.rethrow(t); }
        return readInt();
    }

    /** Device pointer mode makes the float-taking GEMMs of this class wrong for this handle (see the class comment). */
    public static void cublasSetPointerMode(long handle, int mode) {
        try { check((int) cublasSetPointerMode.invokeExact(handle, mode), "cublasSetPointerMode_v2"); } catch (Throwable t) { throw Native.rethrow(t); }
    }

    public static int cublasGetPointerMode(long handle) {
        try { check((int) cublasGetPointerMode.invokeExact(handle, out()), "cublasGetPointerMode_v2"); } catch (Throwable t) { throw Native.rethrow(t); }
        return readInt();
    }

    // ---- versions and status text -----------------------------------------------------------

    /** cublasGetVersion: e.g. 130100 for 13.1.0 (major * 10000 + minor * 100 + patch). Needs a handle. */
    public static int cublasGetVersion(long handle) {
        try { check((int) cublasGetVersion.invokeExact(handle, out()), "cublasGetVersion_v2"); } catch (Throwable t) { throw Native.rethrow(t); }
        return readInt();
    }

    /** cublasGetProperty: one part of the version ({@link #MAJOR_VERSION}, ...); needs no handle and no GPU. */
    public static int cublasGetProperty(int type) {
        try { check((int) cublasGetProperty.invokeExact(type, out()), "cublasGetProperty"); } catch (Throwable t) { throw Native.rethrow(t); }
        return readInt();
    }

    /** The version as {@code 13.1.0}, for {@code ddp4j info}; works without a GPU. */
    public static String versionString() {
        return cublasGetProperty(MAJOR_VERSION) + "." + cublasGetProperty(MINOR_VERSION) + "." + cublasGetProperty(PATCH_LEVEL);
    }

    public static String cublasGetStatusName(int status) {
        try { return Native.cString((MemorySegment) cublasGetStatusName.invokeExact(status)); } catch (Throwable t) { throw Native.rethrow(t); }
    }

    public static String cublasGetStatusString(int status) {
        try { return Native.cString((MemorySegment) cublasGetStatusString.invokeExact(status)); } catch (Throwable t) { throw Native.rethrow(t); }
    }

    // ---- GEMM -------------------------------------------------------------------------------

    /** C = alpha op(A) op(B) + beta C, column-major fp32; alpha and beta by host pointer (see the class comment). */
    public static void cublasSgemm(long handle, int transa, int transb, int m, int n, int k,
                                   float alpha, long A, int lda, long B, int ldb, float beta, long C, int ldc) {
        long a = hostScalars(alpha, beta);
        try {
            check((int) cublasSgemm.invokeExact(handle, transa, transb, m, n, k, a, A, lda, B, ldb, a + 8, C, ldc), "cublasSgemm_v2");
        } catch (Throwable t) { throw Native.rethrow(t); }
    }

    /** Many SGEMMs whose matrices lie {@code stride*} elements apart; alpha and beta by host pointer. */
    public static void cublasSgemmStridedBatched(long handle, int transa, int transb, int m, int n, int k,
                                                 float alpha, long A, int lda, long strideA, long B, int ldb, long strideB,
                                                 float beta, long C, int ldc, long strideC, int batchCount) {
        long a = hostScalars(alpha, beta);
        try {
            check((int) cublasSgemmStridedBatched.invokeExact(handle, transa, transb, m, n, k, a, A, lda, strideA,
                    B, ldb, strideB, a + 8, C, ldc, strideC, batchCount), "cublasSgemmStridedBatched");
        } catch (Throwable t) { throw Native.rethrow(t); }
    }

    /**
     * cublasGemmEx with float alpha and beta, so {@code computeType} must be one of the 32-bit
     * float compute types (for example {@link #CUBLAS_COMPUTE_32F} with fp32, fp16 or bf16 inputs,
     * or {@link #CUBLAS_COMPUTE_32F_FAST_TF32} for TF32 tensor cores on fp32 data): cuBLAS reads
     * alpha and beta as the compute type, so any other type would read the floats as garbage.
     */
    public static void cublasGemmEx(long handle, int transa, int transb, int m, int n, int k,
                                    float alpha, long A, int Atype, int lda, long B, int Btype, int ldb,
                                    float beta, long C, int Ctype, int ldc, int computeType, int algo) {
        requireFloatScalars("cublasGemmEx", computeType);
        long a = hostScalars(alpha, beta);
        try {
            check((int) cublasGemmEx.invokeExact(handle, transa, transb, m, n, k, a, A, Atype, lda, B, Btype, ldb,
                    a + 8, C, Ctype, ldc, computeType, algo), "cublasGemmEx");
        } catch (Throwable t) { throw Native.rethrow(t); }
    }

    /** cublasGemmStridedBatchedEx with float alpha and beta; the same compute types as {@link #cublasGemmEx}. */
    public static void cublasGemmStridedBatchedEx(long handle, int transa, int transb, int m, int n, int k,
                                                  float alpha, long A, int Atype, int lda, long strideA,
                                                  long B, int Btype, int ldb, long strideB,
                                                  float beta, long C, int Ctype, int ldc, long strideC,
                                                  int batchCount, int computeType, int algo) {
        requireFloatScalars("cublasGemmStridedBatchedEx", computeType);
        long a = hostScalars(alpha, beta);
        try {
            check((int) cublasGemmStridedBatchedEx.invokeExact(handle, transa, transb, m, n, k, a, A, Atype, lda, strideA,
                    B, Btype, ldb, strideB, a + 8, C, Ctype, ldc, strideC, batchCount, computeType, algo),
                    "cublasGemmStridedBatchedEx");
        } catch (Throwable t) { throw Native.rethrow(t); }
    }

    /** True for the compute types whose alpha and beta are {@code float}. */
    public static boolean hasFloatScalars(int computeType) {
        return switch (computeType) {
            case CUBLAS_COMPUTE_32F, CUBLAS_COMPUTE_32F_PEDANTIC, CUBLAS_COMPUTE_32F_FAST_16F,
                 CUBLAS_COMPUTE_32F_FAST_16BF, CUBLAS_COMPUTE_32F_FAST_TF32 -> true;
            default -> false;
        };
    }

    private static void requireFloatScalars(String call, int computeType) {
        if (!hasFloatScalars(computeType)) {
            throw new IllegalArgumentException(call + ": computeType " + computeType
                    + " does not take float alpha and beta; use one of CUBLAS_COMPUTE_32F (68), CUBLAS_COMPUTE_32F_PEDANTIC (69),"
                    + " CUBLAS_COMPUTE_32F_FAST_16F (74), CUBLAS_COMPUTE_32F_FAST_16BF (75), CUBLAS_COMPUTE_32F_FAST_TF32 (77)");
        }
    }
}
