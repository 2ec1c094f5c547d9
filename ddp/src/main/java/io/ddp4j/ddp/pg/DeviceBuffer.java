package io.ddp4j.ddp.pg;

import io.ddp4j.tensor.DType;

/**
 * {@code count} elements of {@code dtype} in CUDA device memory at {@code pointer} (a
 * {@code cudaMalloc}ed address, or one inside such an allocation) on CUDA device {@code device}:
 * what the GPU collectives ({@code nccl}) read and write. The record does not own the memory; the
 * caller keeps it alive (and does not free or reuse it) until the {@link Work} of every op that
 * uses it has completed, or a stream that later frees it waited for the work with
 * {@link Work#awaitOnStream(long)}.
 *
 * <p>Checked here: a non-null pointer unless {@code count} is 0, a non-negative count whose byte
 * size fits a {@code long}, a device index of 0 or more, and a pointer aligned to the element
 * size (NCCL's kernels read whole elements; a misaligned pointer faults on the GPU, and a fault
 * loses the CUDA context for good).
 */
public record DeviceBuffer(long pointer, DType dtype, long count, int device) {
    public DeviceBuffer {
        if (dtype == null) throw new IllegalArgumentException("a DeviceBuffer needs a dtype");
        if (count < 0) throw new IllegalArgumentException("element count must be >= 0, got " + count);
        if (device < 0) throw new IllegalArgumentException("CUDA device index must be >= 0, got " + device);
        try {
            Math.multiplyExact(count, dtype.byteSize());
        } catch (ArithmeticException e) {
            throw new IllegalArgumentException(count + " " + dtype + " elements do not fit in a 64-bit byte size");
        }
        if (pointer == 0 && count > 0) {
            throw new IllegalArgumentException("a DeviceBuffer of " + count + " " + dtype + " elements has a null pointer");
        }
        if (pointer != 0 && Long.remainderUnsigned(pointer, dtype.byteSize()) != 0) {
            throw new IllegalArgumentException("device pointer 0x" + Long.toHexString(pointer) + " is not aligned to the "
                    + dtype.byteSize() + "-byte elements of " + dtype);
        }
    }

    public long byteSize() {
        return count * dtype.byteSize();
    }

    /** Elements {@code [from, from + n)} as their own buffer over the same memory. */
    public DeviceBuffer slice(long from, long n) {
        if (from < 0 || n < 0 || from > count - n) {
            throw new IndexOutOfBoundsException("slice [" + from + ", " + (from + n) + ") of " + count + " elements");
        }
        return new DeviceBuffer(n == 0 && pointer == 0 ? 0 : pointer + from * dtype.byteSize(), dtype, n, device);
    }

    @Override
    public String toString() {
        return "DeviceBuffer[cuda:" + device + " 0x" + Long.toHexString(pointer) + ", " + count + " " + dtype + "]";
    }
}
