package io.ddp4j.ddp.reducer;

import io.ddp4j.ddp.pg.ProcessGroup;
import io.ddp4j.ddp.pg.ReduceOp;
import io.ddp4j.ddp.pg.Work;
import io.ddp4j.tensor.DType;
import io.ddp4j.tensor.Device;
import io.ddp4j.tensor.Tensor;

/**
 * One bucket's flat memory: the parameters' gradients live in it as views, and a collective
 * reduces it in one call. The reducer never touches the memory itself; it asks the buffer for
 * views, for zeroing and for its collective, so a device buffer (CUDA memory, reduced by NCCL on
 * the communication stream after an event on the compute stream) slots in beside the CPU one
 * ({@link CpuBucketBuffer}, reduced by a host process group).
 */
public interface BucketBuffer extends AutoCloseable {
    DType dtype();

    Device device();

    /** Elements in the buffer. */
    long numel();

    /** The whole buffer as a 1-d tensor; owned by the buffer (do not close it). */
    Tensor flat();

    /**
     * A new contiguous view of {@code shape} starting at element {@code offset}, outside every
     * scope; the caller owns (and eventually closes) the view, the memory stays the buffer's.
     */
    Tensor view(long offset, int[] shape);

    /** Combines the buffer in place across {@code group}; returns at once. */
    Work allReduce(ProcessGroup group, ReduceOp op);

    /**
     * Whether what reads the reduced buffer (the optimizer, the next backward) runs on a device
     * stream that can be made to wait for a reduction, so that the host need not (CUDA).
     */
    default boolean streamOrdered() {
        return false;
    }

    /**
     * Makes the device's compute stream wait for {@code work} without blocking the host
     * ({@link Work#awaitOnStream}); a buffer that is not {@link #streamOrdered()} waits on the host.
     */
    default void awaitOnComputeStream(Work work) {
        work.await();
    }

    /** Copies {@code root}'s buffer to every rank of {@code group}; returns at once. */
    Work broadcast(ProcessGroup group, int root);

    /** Frees the memory; views made earlier must not be used afterwards. Idempotent. */
    @Override
    void close();

    /** Where a reducer gets its buckets' memory: {@link #allocate} outside tests. */
    @FunctionalInterface
    interface Allocator {
        BucketBuffer allocate(DType dtype, Device device, long numel);
    }

    /** A zero-filled buffer of {@code numel} elements on {@code device}. */
    static BucketBuffer allocate(DType dtype, Device device, long numel) {
        if (device.isCpu()) return new CpuBucketBuffer(dtype, numel);
        return new CudaBucketBuffer(dtype, device, numel);
    }
}
