package io.ddp4j.bindings.cublas;

/**
 * Owns a {@code cublasHandle_t}. A handle belongs to the device that was current when it was
 * made, and is meant for one thread at a time (cuBLAS keeps per-handle state such as the stream).
 */
public final class CublasHandle extends OwnedHandle {
    private CublasHandle(long handle) {
        super(handle, "cuBLAS handle");
    }

    /** cublasCreate on the current device. */
    public static CublasHandle create() {
        return new CublasHandle(Cublas.cublasCreate());
    }

    /** Work issued through this handle goes to {@code stream} (0 is the legacy default stream). */
    public void setStream(long stream) {
        Cublas.cublasSetStream(handle(), stream);
    }

    public long stream() {
        return Cublas.cublasGetStream(handle());
    }

    /**
     * Gives cuBLAS a workspace so it never allocates behind the caching allocator's back; the
     * memory must outlive its use by this handle.
     */
    public void setWorkspace(long workspace, long bytes) {
        if (bytes < 0) throw new IllegalArgumentException("cublasSetWorkspace: negative size " + bytes);
        Cublas.cublasSetWorkspace(handle(), workspace, bytes);
    }

    /** e.g. {@link Cublas#CUBLAS_TF32_TENSOR_OP_MATH} to let fp32 GEMMs use TF32 tensor cores. */
    public void setMathMode(int mode) {
        Cublas.cublasSetMathMode(handle(), mode);
    }

    public int mathMode() {
        return Cublas.cublasGetMathMode(handle());
    }

    @Override
    void destroy(long handle) {
        Cublas.cublasDestroy(handle);
    }
}
