package io.ddp4j.ddp.pg;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.time.Duration;
import java.util.List;
import java.util.function.Function;

/**
 * A group that takes device buffers only (nccl), made to take host buffers as well: each host op
 * copies its input into device scratch, runs the device op, waits for it and copies the result
 * back. What DDP needs for its small control collectives (model check, rank check, bucket order,
 * join), which PyTorch likewise moves to the GPU for NCCL. Slow by design (synchronous, two
 * copies), so meant for small buffers; device-buffer ops pass straight through.
 *
 * <p>Host ops complete before they return (the returned {@link Work} is done). The wrapper owns
 * only its scratch: {@link #close()} frees that and leaves the wrapped group open.
 */
public final class HostStagedGroup implements ProcessGroup {
    private static final long ALIGN = 256;

    /** Only for the description of the (already completed) Work a host op returns. */
    private static final Duration DONE_WORK_TIMEOUT = Duration.ofMinutes(1);

    private final ProcessGroup inner;
    private final StagingMemory staging;

    private HostStagedGroup(ProcessGroup inner, StagingMemory staging) {
        this.inner = inner;
        this.staging = staging;
    }

    /**
     * {@code group} itself when it takes host buffers, else a wrapper that stages them through
     * the group's {@link ProcessGroup#stagingForHostBuffers() staging memory}; the caller closes
     * what it gets when it is not {@code group}.
     */
    public static ProcessGroup forHostBuffers(ProcessGroup group) {
        return group.stagingForHostBuffers().<ProcessGroup>map(s -> new HostStagedGroup(group, s)).orElse(group);
    }

    /** The group whose device ops this wrapper uses. */
    public ProcessGroup inner() {
        return inner;
    }

    @Override public int rank() { return inner.rank(); }
    @Override public int size() { return inner.size(); }
    @Override public List<Integer> globalRanks() { return inner.globalRanks(); }
    @Override public String backend() { return inner.backend(); }
    @Override public boolean takesDeviceBuffers() { return inner.takesDeviceBuffers(); }

    private static long aligned(long bytes) {
        return (bytes + ALIGN - 1) / ALIGN * ALIGN;
    }

    private Work done(String what) {
        CompletableWork w = new CompletableWork(what + " on rank " + rank() + " (staged through cuda:" + staging.device() + ")", DONE_WORK_TIMEOUT);
        w.complete();
        return w;
    }

    private void copyIn(long dst, HostBuffer b, Arena arena) {
        if (b.byteSize() == 0) return;
        MemorySegment src = b.bytes();
        if (!src.isNative()) src = arena.allocate(src.byteSize(), 8).copyFrom(src);
        staging.toDevice(dst, src);
    }

    private void copyOut(HostBuffer b, long src, Arena arena) {
        if (b.byteSize() == 0) return;
        MemorySegment dst = b.bytes();
        if (dst.isNative()) {
            staging.toHost(dst, src);
        } else {
            MemorySegment tmp = arena.allocate(dst.byteSize(), 8);
            staging.toHost(tmp, src);
            dst.copyFrom(tmp);
        }
    }

    private DeviceBuffer device(long pointer, HostBuffer like) {
        return new DeviceBuffer(like.count() == 0 ? 0 : pointer, like.dtype(), like.count(), staging.device());
    }

    /** One host buffer in place: in, run, out. */
    private synchronized Work inPlace(String what, HostBuffer b, Function<DeviceBuffer, Work> op, boolean copyBack) {
        try (Arena arena = Arena.ofConfined()) {
            long base = staging.scratch(Math.max(ALIGN, b.byteSize()));
            copyIn(base, b, arena);
            op.apply(device(base, b)).await();
            if (copyBack) copyOut(b, base, arena);
        }
        return done(what);
    }

    /** Separate input and output: input at the scratch's start, output after it. */
    private synchronized Work inOut(String what, HostBuffer out, HostBuffer in, java.util.function.BiFunction<DeviceBuffer, DeviceBuffer, Work> op) {
        try (Arena arena = Arena.ofConfined()) {
            long inBytes = aligned(Math.max(1, in.byteSize()));
            long base = staging.scratch(inBytes + Math.max(ALIGN, out.byteSize()));
            copyIn(base, in, arena);
            op.apply(device(base + inBytes, out), device(base, in)).await();
            copyOut(out, base + inBytes, arena);
        }
        return done(what);
    }

    @Override
    public Work allReduce(HostBuffer buffer, ReduceOp op) {
        return inPlace("allReduce", buffer, d -> inner.allReduce(d, op), true);
    }

    @Override
    public Work broadcast(HostBuffer buffer, int root) {
        return inPlace("broadcast", buffer, d -> inner.broadcast(d, root), true);
    }

    @Override
    public Work reduce(HostBuffer buffer, int root, ReduceOp op) {
        return inPlace("reduce", buffer, d -> inner.reduce(d, root, op), rank() == root);
    }

    @Override
    public Work allGather(HostBuffer output, HostBuffer input) {
        if (output.dtype() != input.dtype()) throw new IllegalArgumentException("allGather: output is " + output.dtype() + " but input is " + input.dtype());
        return inOut("allGather", output, input, inner::allGather);
    }

    @Override
    public Work reduceScatter(HostBuffer output, HostBuffer input, ReduceOp op) {
        if (output.dtype() != input.dtype()) throw new IllegalArgumentException("reduceScatter: output is " + output.dtype() + " but input is " + input.dtype());
        return inOut("reduceScatter", output, input, (o, i) -> inner.reduceScatter(o, i, op));
    }

    @Override
    public Work barrier() {
        return inner.barrier();
    }

    @Override
    public Work send(HostBuffer buffer, int peer, int tag) {
        return inPlace("send", buffer, d -> inner.send(d, peer, tag), false);
    }

    @Override
    public Work recv(HostBuffer buffer, int peer, int tag) {
        return inPlace("recv", buffer, d -> inner.recv(d, peer, tag), true);
    }

    @Override public Work allReduce(DeviceBuffer buffer, ReduceOp op) { return inner.allReduce(buffer, op); }
    @Override public Work broadcast(DeviceBuffer buffer, int root) { return inner.broadcast(buffer, root); }
    @Override public Work reduce(DeviceBuffer buffer, int root, ReduceOp op) { return inner.reduce(buffer, root, op); }
    @Override public Work allGather(DeviceBuffer output, DeviceBuffer input) { return inner.allGather(output, input); }
    @Override public Work reduceScatter(DeviceBuffer output, DeviceBuffer input, ReduceOp op) { return inner.reduceScatter(output, input, op); }
    @Override public Work send(DeviceBuffer buffer, int peer, int tag) { return inner.send(buffer, peer, tag); }
    @Override public Work recv(DeviceBuffer buffer, int peer, int tag) { return inner.recv(buffer, peer, tag); }

    /** Frees the scratch; the wrapped group stays open (it is not this wrapper's). */
    @Override
    public void close() {
        staging.close();
    }

    @Override
    public String toString() {
        return "HostStagedGroup[" + inner + ", cuda:" + staging.device() + "]";
    }
}
