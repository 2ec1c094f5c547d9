package io.ddp4j.bindings;

/** A CUDA runtime call returned a {@code cudaError_t} other than {@code cudaSuccess}. */
public final class CudaException extends NativeCallException {
    public CudaException(String call, int code, String codeName, String libraryMessage) {
        super("CUDA runtime", call, code, codeName, libraryMessage);
    }

    /** True for {@code cudaErrorMemoryAllocation}: an allocator may free its cache and retry. */
    public boolean isOutOfMemory() {
        return code() == 2;
    }
}
