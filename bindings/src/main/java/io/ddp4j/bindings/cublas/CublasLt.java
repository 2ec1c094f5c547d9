package io.ddp4j.bindings.cublas;

import static java.lang.foreign.ValueLayout.ADDRESS;
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
 * cuBLASLt ({@code libcublasLt.so.13}), one Java method per C function with the C name and
 * argument order, following the conventions of {@link io.ddp4j.bindings.cuda.Cudart}. cuBLASLt
 * returns the same {@code cublasStatus_t} as cuBLAS; failures become
 * {@link io.ddp4j.bindings.CublasException} described by cuBLASLt's own status functions.
 *
 * <p>Attribute setters take the address and size of the value, as in C. The owners
 * ({@link LtMatmulDesc}, {@link LtMatrixLayout}, {@link LtMatmulPreference}) have typed setters
 * that pass the right size for each attribute.
 */
public final class CublasLt {
    private CublasLt() {}

    static final NativeLibrary LIB = NativeLibrary.find(LibrarySpec.CUBLASLT);

    // cublasLtMatmulDescAttributes_t (cublasLt.h); the C type of each value in brackets
    public static final int CUBLASLT_MATMUL_DESC_COMPUTE_TYPE = 0,   // int32 cublasComputeType_t
            CUBLASLT_MATMUL_DESC_SCALE_TYPE = 1,                      // int32 cudaDataType_t
            CUBLASLT_MATMUL_DESC_POINTER_MODE = 2,                    // int32 cublasLtPointerMode_t
            CUBLASLT_MATMUL_DESC_TRANSA = 3,                          // int32 cublasOperation_t
            CUBLASLT_MATMUL_DESC_TRANSB = 4,                          // int32 cublasOperation_t
            CUBLASLT_MATMUL_DESC_EPILOGUE = 7,                        // uint32 cublasLtEpilogue_t
            CUBLASLT_MATMUL_DESC_BIAS_POINTER = 8,                    // void*
            CUBLASLT_MATMUL_DESC_BIAS_BATCH_STRIDE = 10,              // int64
            CUBLASLT_MATMUL_DESC_EPILOGUE_AUX_POINTER = 11,           // void*
            CUBLASLT_MATMUL_DESC_EPILOGUE_AUX_LD = 12,                // int64
            CUBLASLT_MATMUL_DESC_EPILOGUE_AUX_BATCH_STRIDE = 13,      // int64
            CUBLASLT_MATMUL_DESC_EPILOGUE_AUX_DATA_TYPE = 22,         // int32 cudaDataType_t
            CUBLASLT_MATMUL_DESC_BIAS_DATA_TYPE = 26;                 // int32 cudaDataType_t

    // cublasLtEpilogue_t
    public static final int CUBLASLT_EPILOGUE_DEFAULT = 1, CUBLASLT_EPILOGUE_RELU = 2, CUBLASLT_EPILOGUE_RELU_AUX = 130,
            CUBLASLT_EPILOGUE_BIAS = 4, CUBLASLT_EPILOGUE_RELU_BIAS = 6, CUBLASLT_EPILOGUE_RELU_AUX_BIAS = 134,
            CUBLASLT_EPILOGUE_DRELU = 136, CUBLASLT_EPILOGUE_DRELU_BGRAD = 152, CUBLASLT_EPILOGUE_GELU = 32,
            CUBLASLT_EPILOGUE_GELU_AUX = 160, CUBLASLT_EPILOGUE_GELU_BIAS = 36, CUBLASLT_EPILOGUE_GELU_AUX_BIAS = 164,
            CUBLASLT_EPILOGUE_DGELU = 192, CUBLASLT_EPILOGUE_DGELU_BGRAD = 208, CUBLASLT_EPILOGUE_BGRADA = 256,
            CUBLASLT_EPILOGUE_BGRADB = 512;

    // cublasLtMatrixLayoutAttribute_t
    public static final int CUBLASLT_MATRIX_LAYOUT_TYPE = 0,      // uint32 cudaDataType_t
            CUBLASLT_MATRIX_LAYOUT_ORDER = 1,                     // int32 cublasLtOrder_t
            CUBLASLT_MATRIX_LAYOUT_ROWS = 2,                      // uint64
            CUBLASLT_MATRIX_LAYOUT_COLS = 3,                      // uint64
            CUBLASLT_MATRIX_LAYOUT_LD = 4,                        // int64
            CUBLASLT_MATRIX_LAYOUT_BATCH_COUNT = 5,               // int32
            CUBLASLT_MATRIX_LAYOUT_STRIDED_BATCH_OFFSET = 6;      // int64
    // cublasLtOrder_t
    public static final int CUBLASLT_ORDER_COL = 0, CUBLASLT_ORDER_ROW = 1;

    // cublasLtMatmulPreferenceAttributes_t
    public static final int CUBLASLT_MATMUL_PREF_SEARCH_MODE = 0,   // uint32
            CUBLASLT_MATMUL_PREF_MAX_WORKSPACE_BYTES = 1,           // uint64
            CUBLASLT_MATMUL_PREF_MIN_ALIGNMENT_A_BYTES = 5,         // uint32
            CUBLASLT_MATMUL_PREF_MIN_ALIGNMENT_B_BYTES = 6,         // uint32
            CUBLASLT_MATMUL_PREF_MIN_ALIGNMENT_C_BYTES = 7,         // uint32
            CUBLASLT_MATMUL_PREF_MIN_ALIGNMENT_D_BYTES = 8;         // uint32

    // cublasLtPointerMode_t
    public static final int CUBLASLT_POINTER_MODE_HOST = 0, CUBLASLT_POINTER_MODE_DEVICE = 1;

    private static MethodHandle fn(String name, FunctionDescriptor fd) {
        return LIB.function(name, fd);
    }

    private static FunctionDescriptor status(MemoryLayout... args) {
        return FunctionDescriptor.of(JAVA_INT, args);
    }

    private static final MemoryLayout L = JAVA_LONG, I = JAVA_INT;

    private static final MethodHandle
            cublasLtCreate = fn("cublasLtCreate", status(L)),
            cublasLtDestroy = fn("cublasLtDestroy", status(L)),
            cublasLtGetVersion = fn("cublasLtGetVersion", FunctionDescriptor.of(JAVA_LONG)),
            cublasLtGetProperty = fn("cublasLtGetProperty", status(I, L)),
            cublasLtGetStatusName = fn("cublasLtGetStatusName", FunctionDescriptor.of(ADDRESS, I)),
            cublasLtGetStatusString = fn("cublasLtGetStatusString", FunctionDescriptor.of(ADDRESS, I)),
            cublasLtMatmulDescCreate = fn("cublasLtMatmulDescCreate", status(L, I, I)),
            cublasLtMatmulDescDestroy = fn("cublasLtMatmulDescDestroy", status(L)),
            cublasLtMatmulDescSetAttribute = fn("cublasLtMatmulDescSetAttribute", status(L, I, L, L)),
            cublasLtMatmulDescGetAttribute = fn("cublasLtMatmulDescGetAttribute", status(L, I, L, L, L)),
            cublasLtMatrixLayoutCreate = fn("cublasLtMatrixLayoutCreate", status(L, I, L, L, L)),
            cublasLtMatrixLayoutDestroy = fn("cublasLtMatrixLayoutDestroy", status(L)),
            cublasLtMatrixLayoutSetAttribute = fn("cublasLtMatrixLayoutSetAttribute", status(L, I, L, L)),
            cublasLtMatmulPreferenceCreate = fn("cublasLtMatmulPreferenceCreate", status(L)),
            cublasLtMatmulPreferenceDestroy = fn("cublasLtMatmulPreferenceDestroy", status(L)),
            cublasLtMatmulPreferenceSetAttribute = fn("cublasLtMatmulPreferenceSetAttribute", status(L, I, L, L)),
            cublasLtMatmulAlgoGetHeuristic = fn("cublasLtMatmulAlgoGetHeuristic", status(L, L, L, L, L, L, L, I, L, L)),
            cublasLtMatmul = fn("cublasLtMatmul", status(L, L, L, L, L, L, L, L, L, L, L, L, L, L, L, L));

    /** libcublasLt as found (or why not), for {@code ddp4j info}. */
    public static NativeLibrary library() {
        return LIB;
    }

    public static boolean isLoaded() {
        return LIB.isLoaded();
    }

    static void check(int status, String call) {
        if (status != Cublas.CUBLAS_STATUS_SUCCESS) throw CublasErrors.ltException(call, status);
    }

    private static long out() {
        return OutParams.raw().address();
    }

    private static long readLong() {
        return OutParams.raw().get(JAVA_LONG, 0);
    }

    // ---- handle, versions, status text ------------------------------------------------------

    public static long cublasLtCreate() {
        try { check((int) cublasLtCreate.invokeExact(out()), "cublasLtCreate"); } catch (Throwable t) { throw Native.rethrow(t); }
        return readLong();
    }

    public static void cublasLtDestroy(long lightHandle) {
        try { check((int) cublasLtDestroy.invokeExact(lightHandle), "cublasLtDestroy"); } catch (Throwable t) { throw Native.rethrow(t); }
    }

    /** e.g. 130100 for 13.1.0 (major * 10000 + minor * 100 + patch). */
    public static long cublasLtGetVersion() {
        try { return (long) cublasLtGetVersion.invokeExact(); } catch (Throwable t) { throw Native.rethrow(t); }
    }

    /** One part of the version ({@link Cublas#MAJOR_VERSION}, {@link Cublas#MINOR_VERSION}, {@link Cublas#PATCH_LEVEL}). */
    public static int cublasLtGetProperty(int type) {
        try { check((int) cublasLtGetProperty.invokeExact(type, out()), "cublasLtGetProperty"); } catch (Throwable t) { throw Native.rethrow(t); }
        return OutParams.raw().get(JAVA_INT, 0);
    }

    /** The version as {@code 13.1.0}, for {@code ddp4j info}; works without a GPU. */
    public static String versionString() {
        return cublasLtGetProperty(Cublas.MAJOR_VERSION) + "." + cublasLtGetProperty(Cublas.MINOR_VERSION) + "."
                + cublasLtGetProperty(Cublas.PATCH_LEVEL);
    }

    public static String cublasLtGetStatusName(int status) {
        try { return Native.cString((MemorySegment) cublasLtGetStatusName.invokeExact(status)); } catch (Throwable t) { throw Native.rethrow(t); }
    }

    public static String cublasLtGetStatusString(int status) {
        try { return Native.cString((MemorySegment) cublasLtGetStatusString.invokeExact(status)); } catch (Throwable t) { throw Native.rethrow(t); }
    }

    // ---- matmul descriptor ------------------------------------------------------------------

    public static long cublasLtMatmulDescCreate(int computeType, int scaleType) {
        try { check((int) cublasLtMatmulDescCreate.invokeExact(out(), computeType, scaleType), "cublasLtMatmulDescCreate"); } catch (Throwable t) { throw Native.rethrow(t); }
        return readLong();
    }

    public static void cublasLtMatmulDescDestroy(long matmulDesc) {
        try { check((int) cublasLtMatmulDescDestroy.invokeExact(matmulDesc), "cublasLtMatmulDescDestroy"); } catch (Throwable t) { throw Native.rethrow(t); }
    }

    public static void cublasLtMatmulDescSetAttribute(long matmulDesc, int attr, long buf, long sizeInBytes) {
        try { check((int) cublasLtMatmulDescSetAttribute.invokeExact(matmulDesc, attr, buf, sizeInBytes), "cublasLtMatmulDescSetAttribute(" + attr + ")"); } catch (Throwable t) { throw Native.rethrow(t); }
    }

    /**
     * Copies the attribute into {@code buf} and returns the bytes written; with
     * {@code sizeInBytes == 0} it writes nothing and returns the size the value needs.
     * {@code sizeWritten} goes through this thread's scratch.
     */
    public static long cublasLtMatmulDescGetAttribute(long matmulDesc, int attr, long buf, long sizeInBytes) {
        long written = OutParams.raw().address() + 512;  // the caller may pass the scratch's start as buf
        try { check((int) cublasLtMatmulDescGetAttribute.invokeExact(matmulDesc, attr, buf, sizeInBytes, written), "cublasLtMatmulDescGetAttribute(" + attr + ")"); } catch (Throwable t) { throw Native.rethrow(t); }
        return OutParams.raw().get(JAVA_LONG, 512);
    }

    // ---- matrix layout ----------------------------------------------------------------------

    /** A column-major layout of {@code rows x cols} elements of {@code type}, columns {@code ld} elements apart. */
    public static long cublasLtMatrixLayoutCreate(int type, long rows, long cols, long ld) {
        try { check((int) cublasLtMatrixLayoutCreate.invokeExact(out(), type, rows, cols, ld), "cublasLtMatrixLayoutCreate"); } catch (Throwable t) { throw Native.rethrow(t); }
        return readLong();
    }

    public static void cublasLtMatrixLayoutDestroy(long matLayout) {
        try { check((int) cublasLtMatrixLayoutDestroy.invokeExact(matLayout), "cublasLtMatrixLayoutDestroy"); } catch (Throwable t) { throw Native.rethrow(t); }
    }

    public static void cublasLtMatrixLayoutSetAttribute(long matLayout, int attr, long buf, long sizeInBytes) {
        try { check((int) cublasLtMatrixLayoutSetAttribute.invokeExact(matLayout, attr, buf, sizeInBytes), "cublasLtMatrixLayoutSetAttribute(" + attr + ")"); } catch (Throwable t) { throw Native.rethrow(t); }
    }

    // ---- heuristic preference ---------------------------------------------------------------

    public static long cublasLtMatmulPreferenceCreate() {
        try { check((int) cublasLtMatmulPreferenceCreate.invokeExact(out()), "cublasLtMatmulPreferenceCreate"); } catch (Throwable t) { throw Native.rethrow(t); }
        return readLong();
    }

    public static void cublasLtMatmulPreferenceDestroy(long pref) {
        try { check((int) cublasLtMatmulPreferenceDestroy.invokeExact(pref), "cublasLtMatmulPreferenceDestroy"); } catch (Throwable t) { throw Native.rethrow(t); }
    }

    public static void cublasLtMatmulPreferenceSetAttribute(long pref, int attr, long buf, long sizeInBytes) {
        try { check((int) cublasLtMatmulPreferenceSetAttribute.invokeExact(pref, attr, buf, sizeInBytes), "cublasLtMatmulPreferenceSetAttribute(" + attr + ")"); } catch (Throwable t) { throw Native.rethrow(t); }
    }

    // ---- algorithm choice and matmul --------------------------------------------------------

    /**
     * Writes up to {@code requestedAlgoCount} {@link LtHeuristicResult#LAYOUT} structs, best
     * first, to {@code heuristicResultsArray} (which must hold that many) and returns how many
     * it wrote. Check each result's state before using it.
     */
    public static int cublasLtMatmulAlgoGetHeuristic(long lightHandle, long operationDesc, long Adesc, long Bdesc, long Cdesc,
                                                     long Ddesc, long preference, int requestedAlgoCount, long heuristicResultsArray) {
        try {
            check((int) cublasLtMatmulAlgoGetHeuristic.invokeExact(lightHandle, operationDesc, Adesc, Bdesc, Cdesc, Ddesc, preference,
                    requestedAlgoCount, heuristicResultsArray, out()), "cublasLtMatmulAlgoGetHeuristic");
        } catch (Throwable t) { throw Native.rethrow(t); }
        return OutParams.raw().get(JAVA_INT, 0);
    }

    /**
     * D = epilogue(alpha op(A) op(B) + beta C). {@code alpha} and {@code beta} are addresses of
     * values of the descriptor's scale type (host memory in host pointer mode); {@code algo} is
     * the address of a {@code cublasLtMatmulAlgo_t} (64 bytes), or 0 to let cuBLASLt choose.
     */
    public static void cublasLtMatmul(long lightHandle, long computeDesc, long alpha, long A, long Adesc, long B, long Bdesc,
                                      long beta, long C, long Cdesc, long D, long Ddesc, long algo,
                                      long workspace, long workspaceSizeInBytes, long stream) {
        try {
            check((int) cublasLtMatmul.invokeExact(lightHandle, computeDesc, alpha, A, Adesc, B, Bdesc, beta, C, Cdesc, D, Ddesc,
                    algo, workspace, workspaceSizeInBytes, stream), "cublasLtMatmul");
        } catch (Throwable t) { throw Native.rethrow(t); }
    }
}
