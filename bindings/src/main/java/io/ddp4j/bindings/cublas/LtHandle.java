package io.ddp4j.bindings.cublas;

/** Owns a {@code cublasLtHandle_t}. Unlike a cuBLAS handle it holds no stream: each matmul names its own. */
public final class LtHandle extends OwnedHandle {
    private LtHandle(long handle) {
        super(handle, "cuBLASLt handle");
    }

    public static LtHandle create() {
        return new LtHandle(CublasLt.cublasLtCreate());
    }

    @Override
    void destroy(long handle) {
        CublasLt.cublasLtDestroy(handle);
    }
}
