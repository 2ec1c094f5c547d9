package io.ddp4j.tensor.memory;

import io.ddp4j.tensor.Device;

/**
 * A block of memory on one device that one or more tensors look into. Views share a storage, so it
 * is reference counted: each tensor that looks into it holds one reference, and the memory goes
 * back to its allocator when the last one is released.
 *
 * <p>Sealed so that code which needs the memory itself (the CPU backend) can switch over the kinds;
 * device memory comes in through {@link DeviceStorage}, which the CUDA backend implements.
 */
public sealed interface Storage permits CpuStorage, DeviceStorage {

    Device device();

    long byteSize();

    /** Takes one more reference; throws IllegalStateException if the storage was already freed. */
    void retain();

    /** Drops one reference and frees the memory when it was the last; extra calls are ignored. */
    void release();

    /** True once the last reference was released and the memory was given back. */
    boolean isFreed();
}
