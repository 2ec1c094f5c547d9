package io.ddp4j.tensor.memory;

/**
 * Memory on an accelerator, implemented by a device backend (the CUDA one keeps a device pointer
 * from its caching allocator). The tensor layer only counts references; reading the memory is the
 * backend's job.
 */
public non-sealed interface DeviceStorage extends Storage {

    /** The device address of the first byte, for kernels and library calls. */
    long address();

    /**
     * {@code byteSize} bytes at {@code address} on {@code device} that the caller owns and keeps
     * alive, as a storage tensor ops can run on ({@code Tensor.fromStorage}); releasing it frees
     * nothing.
     */
    static DeviceStorage borrow(io.ddp4j.tensor.Device device, long address, long byteSize) {
        return new BorrowedDeviceStorage(device, address, byteSize);
    }
}
