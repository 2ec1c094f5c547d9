package io.ddp4j.tensor.memory.cuda;

/** The device has no room for a request, even after the allocator gave its whole cache back. */
public final class CudaOutOfMemoryException extends RuntimeException {
    private final long requestedBytes;

    public CudaOutOfMemoryException(String message, long requestedBytes) {
        super(message);
        this.requestedBytes = requestedBytes;
    }

    public long requestedBytes() {
        return requestedBytes;
    }
}
