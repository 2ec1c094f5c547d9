package io.ddp4j.ddp.reducer;

import io.ddp4j.ddp.pg.DeviceBuffer;
import io.ddp4j.ddp.pg.ProcessGroup;
import io.ddp4j.ddp.pg.ReduceOp;
import io.ddp4j.ddp.pg.Work;
import io.ddp4j.ddp.pg.nccl.CurrentStream;
import io.ddp4j.tensor.DType;
import io.ddp4j.tensor.Device;
import io.ddp4j.tensor.Tensor;
import io.ddp4j.tensor.backend.Backends;
import io.ddp4j.tensor.backend.cuda.CudaBackend;
import io.ddp4j.tensor.memory.DeviceStorage;

import java.util.function.Function;

/**
 * A bucket in CUDA memory: one device tensor whose gradients views accumulate into on the compute
 * stream, reduced in place by NCCL. The group enqueues the collective on its communication stream
 * after an event recorded on this device's compute stream, so it starts only when the backward
 * kernels that wrote the gradients are done, without the host waiting for them.
 *
 * <p>A group of host memory (tcp, mpi: a GPU model trained over them, as PyTorch's gloo takes CUDA
 * tensors) gets a host copy instead: the bucket is read back when its collective is issued (the
 * host waits for the compute stream there), reduced in host memory, and copied back on the compute
 * stream when the work is awaited ({@link HostStagedWork}).
 */
final class CudaBucketBuffer extends FlatBucketBuffer {
    private final DeviceBuffer buffer;
    private final long computeStream;

    CudaBucketBuffer(DType dtype, Device device, long numel) {
        super(dtype, device, numel);
        long address = ((DeviceStorage) flat.storage()).address() + flat.offset() * dtype.byteSize();
        this.buffer = new DeviceBuffer(address, dtype, numel, device.index());
        this.computeStream = ((CudaBackend) Backends.forDevice(device)).computeStream();
    }

    // A group that takes device buffers (nccl, or one wrapping it) orders its op after
    // CurrentStream, the legacy default stream unless set; the compute stream is non-blocking and
    // does not order with that, so it is made current around the call.
    @Override
    public Work allReduce(ProcessGroup group, ReduceOp op) {
        if (!group.takesDeviceBuffers()) return staged(host -> host.allReduce(group, op));
        try (var s = CurrentStream.use(computeStream)) {
            return group.allReduce(buffer, op);
        }
    }

    /** The host copy of this bucket, made when first needed and kept (a bucket is reduced every step). */
    private CpuBucketBuffer hostCopy;

    private synchronized Work staged(Function<CpuBucketBuffer, Work> collective) {
        if (hostCopy == null) hostCopy = new CpuBucketBuffer(flat.dtype(), flat.numel());
        Tensor host = hostCopy.flat();
        host.copyFrom(flat); // a read: waits for the backward kernels that wrote the gradients
        return new HostStagedWork(collective.apply(hostCopy), () -> flat.copyFrom(host));
    }

    @Override
    public synchronized void close() {
        super.close();
        if (hostCopy != null) hostCopy.close();
    }

    @Override
    public boolean streamOrdered() {
        return true;
    }

    /** An event wait enqueued on the compute stream (nccl); a host group's work is waited for on the host. */
    @Override
    public void awaitOnComputeStream(Work work) {
        work.awaitOnStream(computeStream);
    }

    @Override
    public Work broadcast(ProcessGroup group, int root) {
        if (!group.takesDeviceBuffers()) return staged(host -> host.broadcast(group, root));
        try (var s = CurrentStream.use(computeStream)) {
            return group.broadcast(buffer, root);
        }
    }
}
