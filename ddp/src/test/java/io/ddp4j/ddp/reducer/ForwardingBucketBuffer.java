package io.ddp4j.ddp.reducer;

import io.ddp4j.ddp.pg.ProcessGroup;
import io.ddp4j.ddp.pg.ReduceOp;
import io.ddp4j.ddp.pg.Work;
import io.ddp4j.tensor.DType;
import io.ddp4j.tensor.Device;
import io.ddp4j.tensor.Tensor;

/** A bucket that passes everything to a CPU bucket; tests override what they observe or fake. */
class ForwardingBucketBuffer implements BucketBuffer {
    protected final CpuBucketBuffer cpu;

    ForwardingBucketBuffer(CpuBucketBuffer cpu) {
        this.cpu = cpu;
    }

    @Override public DType dtype() { return cpu.dtype(); }
    @Override public Device device() { return cpu.device(); }
    @Override public long numel() { return cpu.numel(); }
    @Override public Tensor flat() { return cpu.flat(); }
    @Override public Tensor view(long offset, int[] shape) { return cpu.view(offset, shape); }
    @Override public Work allReduce(ProcessGroup group, ReduceOp op) { return cpu.allReduce(group, op); }
    @Override public Work broadcast(ProcessGroup group, int root) { return cpu.broadcast(group, root); }
    @Override public void close() { cpu.close(); }
}
