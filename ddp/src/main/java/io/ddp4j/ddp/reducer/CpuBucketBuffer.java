package io.ddp4j.ddp.reducer;

import io.ddp4j.ddp.pg.HostBuffer;
import io.ddp4j.ddp.pg.ProcessGroup;
import io.ddp4j.ddp.pg.ReduceOp;
import io.ddp4j.ddp.pg.Work;
import io.ddp4j.tensor.DType;
import io.ddp4j.tensor.Device;
import io.ddp4j.tensor.Tensor;
import io.ddp4j.tensor.backend.TensorData;
import io.ddp4j.tensor.memory.CpuStorage;

/** A bucket in host memory: one CPU tensor whose segment the host process groups read and write in place. */
public final class CpuBucketBuffer implements BucketBuffer {
    private final Tensor flat;
    private final HostBuffer host;
    private boolean closed;

    CpuBucketBuffer(DType dtype, long numel) {
        if (numel > Integer.MAX_VALUE) throw new IllegalArgumentException("a bucket of " + numel + " elements is too large; lower the bucket cap");
        this.flat = Tensor.zeros(dtype, Device.CPU, (int) numel).keep();
        this.host = new HostBuffer(((CpuStorage) flat.storage()).segment().asSlice(0, numel * dtype.byteSize()), dtype, numel);
    }

    @Override
    public DType dtype() {
        return flat.dtype();
    }

    @Override
    public Device device() {
        return Device.CPU;
    }

    @Override
    public long numel() {
        return host.count();
    }

    @Override
    public Tensor flat() {
        return flat;
    }

    /** The memory as a host buffer, for host collectives. */
    public HostBuffer host() {
        return host;
    }

    @Override
    public Tensor view(long offset, int[] shape) {
        return flat.asStrided(shape, TensorData.contiguousStrides(shape), offset).keep();
    }

    @Override
    public Work allReduce(ProcessGroup group, ReduceOp op) {
        return group.allReduce(host, op);
    }

    @Override
    public Work broadcast(ProcessGroup group, int root) {
        return group.broadcast(host, root);
    }

    @Override
    public synchronized void close() {
        if (closed) return;
        closed = true;
        flat.close();
    }

    @Override
    public String toString() {
        return "CpuBucketBuffer(" + dtype() + ", " + numel() + " elements)";
    }
}
