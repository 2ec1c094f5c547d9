package io.ddp4j.ddp.pg.nccl;

import io.ddp4j.bindings.NcclException;
import io.ddp4j.bindings.cuda.Cudart;
import io.ddp4j.bindings.nccl.Nccl;
import io.ddp4j.bindings.nccl.NcclComm;
import io.ddp4j.bindings.nccl.NcclConfig;
import io.ddp4j.bindings.nccl.NcclErrors;
import io.ddp4j.bindings.nccl.NcclUniqueId;
import java.time.Duration;

/** {@link NcclDriver} over the real bindings: one non-blocking {@link NcclComm} on one device. */
final class CudaNcclDriver implements NcclDriver {
    private final NcclComm comm;
    private final int device;

    private CudaNcclDriver(NcclComm comm, int device) {
        this.comm = comm;
        this.device = device;
    }

    /**
     * ncclCommInitRankConfig with {@code blocking = 0} on {@code device}, then polls
     * ncclCommGetAsyncError until the communicator is ready; at the timeout (a rank that never
     * joined) or on an error it is aborted and the binding's exception names the rank.
     */
    static CudaNcclDriver init(int device, int size, int rank, NcclUniqueId id, String commName, Duration timeout) {
        Cudart.cudaSetDevice(device);
        NcclConfig config = NcclConfig.DEFAULTS.nonBlocking().withCommName(commName);
        NcclComm comm = NcclComm.initRankAndWait(size, id, rank, config, timeout);
        return new CudaNcclDriver(comm, device);
    }

    @Override public int rank() { return comm.rank(); }
    @Override public int size() { return comm.nranks(); }
    @Override public int device() { return device; }

    @Override
    public void makeCurrent() {
        if (Cudart.cudaGetDevice() != device) Cudart.cudaSetDevice(device);
    }

    @Override
    public long createCommStream() {
        int greatest = Cudart.cudaDeviceGetStreamPriorityRange()[1];
        return Cudart.cudaStreamCreateWithPriority(Cudart.cudaStreamNonBlocking, greatest);
    }

    @Override public void destroyStream(long stream) { Cudart.cudaStreamDestroy(stream); }
    @Override public long createEvent() { return Cudart.cudaEventCreateWithFlags(Cudart.cudaEventDisableTiming); }
    @Override public void destroyEvent(long event) { Cudart.cudaEventDestroy(event); }
    @Override public void recordEvent(long event, long stream) { Cudart.cudaEventRecord(event, stream); }
    @Override public boolean eventDone(long event) { return Cudart.cudaEventQuery(event); }
    @Override public void streamWaitEvent(long stream, long event) { Cudart.cudaStreamWaitEvent(stream, event, 0); }
    @Override public long deviceAlloc(long bytes) { return Cudart.cudaMalloc(bytes); }
    @Override public void deviceFree(long pointer) { Cudart.cudaFree(pointer); }
    @Override public long hostAlloc(long bytes) { return Cudart.cudaMallocHost(bytes); }
    @Override public void hostFree(long pointer) { Cudart.cudaFreeHost(pointer); }

    @Override
    public void copyHostToDeviceAsync(long dst, long src, long bytes, long stream) {
        Cudart.cudaMemcpyAsync(dst, src, bytes, Cudart.cudaMemcpyHostToDevice, stream);
    }

    @Override
    public void copyDeviceToHostAsync(long dst, long src, long bytes, long stream) {
        Cudart.cudaMemcpyAsync(dst, src, bytes, Cudart.cudaMemcpyDeviceToHost, stream);
    }

    @Override
    public int asyncError() {
        try {
            return comm.asyncError();
        } catch (IllegalStateException closed) {
            return Nccl.ncclInvalidUsage; // aborted or closed meanwhile
        } catch (NcclException e) {
            return e.code();
        }
    }

    @Override
    public String describe(int ncclResult) {
        return NcclErrors.name(ncclResult) + ": " + NcclErrors.description(ncclResult, 0L);
    }

    @Override
    public void abort() {
        comm.abort();
    }

    @Override
    public void destroy(Duration timeout) {
        if (comm.isClosed()) return;
        if (asyncError() == Nccl.ncclSuccess) {
            comm.finalizeAndWait(timeout); // aborts the communicator itself when it does not finish
        }
        comm.close(); // destroy when healthy, abort otherwise; a no-op after an abort
    }

    @Override
    public int allReduce(long send, long recv, long count, int type, int op, long stream) {
        return Nccl.ncclAllReduce(send, recv, count, type, op, comm.handle(), stream);
    }

    @Override
    public int broadcast(long send, long recv, long count, int type, int root, long stream) {
        return Nccl.ncclBroadcast(send, recv, count, type, root, comm.handle(), stream);
    }

    @Override
    public int reduce(long send, long recv, long count, int type, int op, int root, long stream) {
        return Nccl.ncclReduce(send, recv, count, type, op, root, comm.handle(), stream);
    }

    @Override
    public int allGather(long send, long recv, long sendCount, int type, long stream) {
        return Nccl.ncclAllGather(send, recv, sendCount, type, comm.handle(), stream);
    }

    @Override
    public int reduceScatter(long send, long recv, long recvCount, int type, int op, long stream) {
        return Nccl.ncclReduceScatter(send, recv, recvCount, type, op, comm.handle(), stream);
    }

    @Override
    public int send(long buffer, long count, int type, int peer, long stream) {
        return Nccl.ncclSend(buffer, count, type, peer, comm.handle(), stream);
    }

    @Override
    public int recv(long buffer, long count, int type, int peer, long stream) {
        return Nccl.ncclRecv(buffer, count, type, peer, comm.handle(), stream);
    }
}
