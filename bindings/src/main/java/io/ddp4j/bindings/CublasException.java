package io.ddp4j.bindings;

/** A cuBLAS or cuBLASLt call returned a {@code cublasStatus_t} other than success. */
public final class CublasException extends NativeCallException {
    public CublasException(String call, int code, String codeName, String libraryMessage) {
        super("cuBLAS", call, code, codeName, libraryMessage);
    }
}
