package io.ddp4j.bindings.cublas;

/** Owns a {@code cublasLtMatmulPreference_t}: the limits the algorithm heuristic must respect. */
public final class LtMatmulPreference extends OwnedHandle {
    private LtMatmulPreference(long handle) {
        super(handle, "cuBLASLt matmul preference");
    }

    public static LtMatmulPreference create() {
        return new LtMatmulPreference(CublasLt.cublasLtMatmulPreferenceCreate());
    }

    public LtMatmulPreference setInt(int attr, int value) {
        CublasLt.cublasLtMatmulPreferenceSetAttribute(handle(), attr, AttributeValues.int32(value), AttributeValues.INT_SIZE);
        return this;
    }

    public LtMatmulPreference setLong(int attr, long value) {
        CublasLt.cublasLtMatmulPreferenceSetAttribute(handle(), attr, AttributeValues.int64(value), AttributeValues.LONG_SIZE);
        return this;
    }

    /** Only algorithms that need at most {@code bytes} of workspace. */
    public LtMatmulPreference setMaxWorkspaceBytes(long bytes) {
        if (bytes < 0) throw new IllegalArgumentException("max workspace bytes must not be negative: " + bytes);
        return setLong(CublasLt.CUBLASLT_MATMUL_PREF_MAX_WORKSPACE_BYTES, bytes);
    }

    /** Only algorithms that work when A, B, C and D are aligned to {@code bytes} (no more). */
    public LtMatmulPreference setMinAlignmentBytes(int bytes) {
        setInt(CublasLt.CUBLASLT_MATMUL_PREF_MIN_ALIGNMENT_A_BYTES, bytes);
        setInt(CublasLt.CUBLASLT_MATMUL_PREF_MIN_ALIGNMENT_B_BYTES, bytes);
        setInt(CublasLt.CUBLASLT_MATMUL_PREF_MIN_ALIGNMENT_C_BYTES, bytes);
        return setInt(CublasLt.CUBLASLT_MATMUL_PREF_MIN_ALIGNMENT_D_BYTES, bytes);
    }

    @Override
    void destroy(long handle) {
        CublasLt.cublasLtMatmulPreferenceDestroy(handle);
    }
}
