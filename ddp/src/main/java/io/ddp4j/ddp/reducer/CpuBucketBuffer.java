package io.ddp4j.ddp.reducer;

import io.ddp4j.ddp.pg.HostBuffer;
import io.ddp4j.ddp.pg.ProcessGroup;
import io.ddp4j.ddp.pg.ReduceOp;
import io.ddp4j.ddp.pg.Work;
import io.ddp4j.tensor.DType;
import io.ddp4j.tensor.Device;
import io.ddp4j.tensor.memory.CpuStorage;

/** A bucket in host memory: one CPU tensor whose segment the host process groups read and write in place. */
public final class CpuBucketBuffer extends FlatBucketBuffer {
    private final HostBuffer host;

    CpuBucketBuffer(DType dtype, long numel) {
        super(dtype, Device.CPU, numel);
        this.host = new HostBuffer(((CpuStorage) flat.storage()).segment().asSlice(0, numel * dtype.byteSize()), dtype, numel);
    }

    /** The memory as a host buffer, for host collectives. */
    public HostBuffer host() {
        return host;
    }

    @Override
    public Work allReduce(ProcessGroup group, ReduceOp op) {
        return group.allReduce(host, op);
    }

    @Override
    public Work broadcast(ProcessGroup group, int root) {
        return group.broadcast(host, root);
    }
}
