package io.ddp4j.bindings.cublas;

import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import io.ddp4j.bindings.OutParams;

/**
 * Owns a {@code cublasLtMatmulDesc_t}: the operation (compute and scale types, transposes,
 * epilogue and its pointers) of a cuBLASLt matmul.
 */
public final class LtMatmulDesc extends OwnedHandle {
    private LtMatmulDesc(long handle) {
        super(handle, "cuBLASLt matmul descriptor");
    }

    /** A descriptor with {@code computeType} (cublasComputeType_t) and {@code scaleType} (cudaDataType_t of alpha and beta). */
    public static LtMatmulDesc create(int computeType, int scaleType) {
        return new LtMatmulDesc(CublasLt.cublasLtMatmulDescCreate(computeType, scaleType));
    }

    /** Sets a 32-bit attribute (types, transposes, the epilogue). */
    public LtMatmulDesc setInt(int attr, int value) {
        CublasLt.cublasLtMatmulDescSetAttribute(handle(), attr, AttributeValues.int32(value), AttributeValues.INT_SIZE);
        return this;
    }

    /** Sets a 64-bit attribute (device pointers, leading dimensions, strides). */
    public LtMatmulDesc setLong(int attr, long value) {
        CublasLt.cublasLtMatmulDescSetAttribute(handle(), attr, AttributeValues.int64(value), AttributeValues.LONG_SIZE);
        return this;
    }

    public int getInt(int attr) {
        CublasLt.cublasLtMatmulDescGetAttribute(handle(), attr, OutParams.raw().address(), AttributeValues.INT_SIZE);
        return OutParams.raw().get(JAVA_INT, 0);
    }

    public long getLong(int attr) {
        CublasLt.cublasLtMatmulDescGetAttribute(handle(), attr, OutParams.raw().address(), AttributeValues.LONG_SIZE);
        return OutParams.raw().get(JAVA_LONG, 0);
    }

    @Override
    void destroy(long handle) {
        CublasLt.cublasLtMatmulDescDestroy(handle);
    }
}
