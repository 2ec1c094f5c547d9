package io.ddp4j.bindings.cublas;

/** Owns a {@code cublasLtMatrixLayout_t}: element type, shape and leading dimension of one matrix. */
public final class LtMatrixLayout extends OwnedHandle {
    private LtMatrixLayout(long handle) {
        super(handle, "cuBLASLt matrix layout");
    }

    /**
     * A column-major {@code rows x cols} matrix of {@code type} (cudaDataType_t) whose columns
     * are {@code ld} elements apart. Checked here, because the library would only say
     * "invalid value" without naming which.
     */
    public static LtMatrixLayout create(int type, long rows, long cols, long ld) {
        if (rows <= 0 || cols <= 0) {
            throw new IllegalArgumentException("cublasLtMatrixLayoutCreate: rows " + rows + " and cols " + cols + " must be positive");
        }
        if (ld < rows) {
            throw new IllegalArgumentException("cublasLtMatrixLayoutCreate: ld " + ld + " is smaller than rows " + rows
                    + " (column-major: ld is the distance between columns)");
        }
        if (!CudaDataType.isKnown(type)) throw new IllegalArgumentException("cublasLtMatrixLayoutCreate: unknown cudaDataType_t " + type);
        return new LtMatrixLayout(CublasLt.cublasLtMatrixLayoutCreate(type, rows, cols, ld));
    }

    public LtMatrixLayout setInt(int attr, int value) {
        CublasLt.cublasLtMatrixLayoutSetAttribute(handle(), attr, AttributeValues.int32(value), AttributeValues.INT_SIZE);
        return this;
    }

    public LtMatrixLayout setLong(int attr, long value) {
        CublasLt.cublasLtMatrixLayoutSetAttribute(handle(), attr, AttributeValues.int64(value), AttributeValues.LONG_SIZE);
        return this;
    }

    /** Makes this a batch of {@code count} matrices, {@code strideElements} apart. */
    public LtMatrixLayout setBatch(int count, long strideElements) {
        setInt(CublasLt.CUBLASLT_MATRIX_LAYOUT_BATCH_COUNT, count);
        return setLong(CublasLt.CUBLASLT_MATRIX_LAYOUT_STRIDED_BATCH_OFFSET, strideElements);
    }

    @Override
    void destroy(long handle) {
        CublasLt.cublasLtMatrixLayoutDestroy(handle);
    }
}
