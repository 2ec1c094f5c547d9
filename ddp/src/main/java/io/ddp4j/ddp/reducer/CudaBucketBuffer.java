package io.ddp4j.ddp.reducer;

import io.ddp4j.ddp.pg.DeviceBuffer;
import io.ddp4j.ddp.pg.ProcessGroup;
import io.ddp4j.ddp.pg.ReduceOp;
import io.ddp4j.ddp.pg.Work;
import io.ddp4j.ddp.pg.nccl.NcclProcessGroup;
import io.ddp4j.tensor.DType;
import io.ddp4j.tensor.Device;
import io.ddp4j.tensor.Tensor;
import io.ddp4j.tensor.backend.Backends;
import io.ddp4j.tensor.backend.TensorData;
import io.ddp4j.tensor.backend.cuda.CudaBackend;
import io.ddp4j.tensor.memory.DeviceStorage;

/**
 * A bucket in CUDA memory: one device tensor whose gradients views accumulate into on the compute
 * stream, reduced in place by NCCL. The group enqueues the collective on its communication stream
 * after an event recorded on this device's compute stream, so it starts only when the backward
 * kernels that wrote the gradients are done, without the host waiting for them.
 */
final class CudaBucketBuffer implements BucketBuffer {
    private final Tensor flat;
    private final DeviceBuffer buffer;
    private final long computeStream;
    private boolean closed;

    CudaBucketBuffer(DType dtype, Device device, long numel) {
        if (numel > Integer.MAX_VALUE) throw new IllegalArgumentException("a bucket of " + numel + " elements is too large; lower the bucket cap");
        this.flat = Tensor.zeros(dtype, device, (int) numel).keep();
        long address = ((DeviceStorage) flat.storage()).address() + flat.offset() * dtype.byteSize();
        this.buffer = new DeviceBuffer(address, dtype, numel, device.index());
        this.computeStream = ((CudaBackend) Backends.forDevice(device)).computeStream();
    }

    @Override
    public DType dtype() {
        return flat.dtype();
    }

    @Override
    public Device device() {
        return flat.device();
    }

    @Override
    public long numel() {
        return buffer.count();
    }

    @Override
    public Tensor flat() {
        return flat;
    }

    @Override
    public Tensor view(long offset, int[] shape) {
        return flat.asStrided(shape, TensorData.contiguousStrides(shape), offset).keep();
    }

    @Override
    public Work allReduce(ProcessGroup group, ReduceOp op) {
        return group instanceof NcclProcessGroup nccl ? nccl.allReduce(buffer, op, computeStream) : group.allReduce(buffer, op);
    }

    @Override
    public Work broadcast(ProcessGroup group, int root) {
        return group instanceof NcclProcessGroup nccl ? nccl.broadcast(buffer, root, computeStream) : group.broadcast(buffer, root);
    }

    @Override
    public synchronized void close() {
        if (closed) return;
        closed = true;
        flat.close();
    }

    @Override
    public String toString() {
        return "CudaBucketBuffer(" + dtype() + ", " + numel() + " elements on " + device() + ")";
    }
}
