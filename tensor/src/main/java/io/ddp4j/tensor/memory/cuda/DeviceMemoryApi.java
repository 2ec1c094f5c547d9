package io.ddp4j.tensor.memory.cuda;

/**
 * The few device calls the caching allocator makes, behind an interface so its bookkeeping can be
 * tested without a GPU ({@link CudaDeviceMemory} is the real one).
 */
public interface DeviceMemoryApi {

    /** Allocates {@code bytes}; returns 0 when the device is out of memory (any other failure throws). */
    long tryMalloc(long bytes);

    void free(long pointer);

    long createEvent();

    void destroyEvent(long event);

    void recordEvent(long event, long stream);

    /** Makes {@code stream} wait, on the device, until {@code event} has completed. */
    void streamWaitEvent(long stream, long event);

    /** Blocks the host until all work on the device is done (used before releasing cached memory). */
    void synchronize();

    /** {free, total} bytes as the driver reports them. */
    long[] memInfo();
}
