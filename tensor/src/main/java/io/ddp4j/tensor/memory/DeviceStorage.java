package io.ddp4j.tensor.memory;

/**
 * Memory on an accelerator, implemented by a device backend (the CUDA one keeps a device pointer
 * from its caching allocator). The tensor layer only counts references; reading the memory is the
 * backend's job.
 */
public non-sealed interface DeviceStorage extends Storage {

    /** The device address of the first byte, for kernels and library calls. */
    long address();
}
