package io.ddp4j.ddp.pg;

import io.ddp4j.ddp.pg.nccl.CurrentStream;
import io.ddp4j.ddp.pg.nccl.NcclProcessGroup;
import io.ddp4j.tensor.Device;
import io.ddp4j.tensor.Tensor;
import io.ddp4j.tensor.backend.Backends;
import io.ddp4j.tensor.backend.cuda.CudaBackend;
import io.ddp4j.tensor.memory.CpuStorage;
import io.ddp4j.tensor.memory.DeviceStorage;

/**
 * PyTorch's {@code dist.all_reduce(tensor, op)}: reduces a contiguous tensor in place over every
 * rank of a group, whatever the pairing of memory and backend, and waits for it. Host memory goes
 * straight to a host group; CUDA memory goes to a group that takes device buffers (nccl, the local
 * group) ordered after the device's compute stream, which wrote it; CUDA memory over a host group
 * (tcp, mpi) goes through a host copy, as gloo takes CUDA tensors.
 */
public final class TensorAllReduce {
    private TensorAllReduce() {}

    public static void inPlace(Tensor contiguous, ProcessGroup group, ReduceOp op) {
        if (!contiguous.isContiguous()) {
            throw new IllegalArgumentException("allReduce: the tensor must be contiguous, got shape " + java.util.Arrays.toString(contiguous.shape())
                    + " with strides " + java.util.Arrays.toString(contiguous.strides()));
        }
        long offsetBytes = contiguous.offset() * contiguous.dtype().byteSize();
        long bytes = contiguous.numel() * contiguous.dtype().byteSize();
        if (contiguous.storage() instanceof CpuStorage cpu) {
            group.allReduce(new HostBuffer(cpu.segment().asSlice(offsetBytes, bytes), contiguous.dtype(), contiguous.numel()), op).await();
        } else if (contiguous.storage() instanceof DeviceStorage dev && group.takesDeviceBuffers()) {
            DeviceBuffer d = new DeviceBuffer(dev.address() + offsetBytes, contiguous.dtype(), contiguous.numel(), contiguous.device().index());
            long computeStream = ((CudaBackend) Backends.forDevice(contiguous.device())).computeStream();
            if (group instanceof NcclProcessGroup nccl) {
                nccl.allReduce(d, op, computeStream).await();
            } else {
                // a wrapped nccl group orders after the current stream: make it the compute stream
                // that wrote the tensor (the local group runs on that stream anyway)
                try (var s = CurrentStream.use(computeStream)) {
                    group.allReduce(d, op).await();
                }
            }
        } else if (contiguous.storage() instanceof DeviceStorage) {
            try (Tensor host = contiguous.to(Device.CPU).keep()) {
                inPlace(host, group, op);
                contiguous.copyFrom(host);
            }
        } else {
            throw new UnsupportedOperationException("allReduce: a tensor on " + contiguous.device() + " over a " + group.backend()
                    + " group is not supported");
        }
    }
}
