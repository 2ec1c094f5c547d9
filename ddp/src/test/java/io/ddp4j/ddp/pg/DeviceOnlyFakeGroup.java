package io.ddp4j.ddp.pg;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Stands in for nccl on a machine without a GPU: refuses host buffers, as nccl does, and runs
 * "device" buffers, which here are plain native addresses handed out by its {@link HostScratch},
 * through a host group. Counts the device ops so tests can see what went through staging.
 * {@link #acceptingHostBuffers} makes one that also takes host buffers (a CPU model's gradient
 * buckets) while still asking for staging, to see which collectives a caller staged.
 */
public final class DeviceOnlyFakeGroup implements ProcessGroup {
    final ProcessGroup host;
    private final boolean acceptsHost;
    public final AtomicInteger deviceOps = new AtomicInteger();

    DeviceOnlyFakeGroup(ProcessGroup host) {
        this(host, false);
    }

    private DeviceOnlyFakeGroup(ProcessGroup host, boolean acceptsHost) {
        this.host = host;
        this.acceptsHost = acceptsHost;
    }

    public static DeviceOnlyFakeGroup acceptingHostBuffers(ProcessGroup host) {
        return new DeviceOnlyFakeGroup(host, true);
    }

    /** Native memory posing as one device's scratch. */
    static final class HostScratch implements StagingMemory {
        private final Arena arena = Arena.ofShared();
        private MemorySegment current = MemorySegment.NULL;
        boolean closed;

        @Override public int device() { return 0; }

        @Override
        public synchronized long scratch(long bytes) {
            if (bytes > current.byteSize()) current = arena.allocate(bytes, 256);
            return current.address();
        }

        @Override
        public void toDevice(long dst, MemorySegment src) {
            MemorySegment.ofAddress(dst).reinterpret(src.byteSize()).copyFrom(src);
        }

        @Override
        public void toHost(MemorySegment dst, long src) {
            dst.copyFrom(MemorySegment.ofAddress(src).reinterpret(dst.byteSize()));
        }

        @Override
        public void close() {
            if (closed) return;
            closed = true;
            arena.close();
        }
    }

    private static final MemorySegment EMPTY = Arena.global().allocate(8);

    private HostBuffer asHost(DeviceBuffer d) {
        deviceOps.incrementAndGet();
        MemorySegment s = d.count() == 0 ? EMPTY : MemorySegment.ofAddress(d.pointer()).reinterpret(d.byteSize());
        return new HostBuffer(s, d.dtype(), d.count());
    }

    private UnsupportedOperationException refused(String op) {
        return new UnsupportedOperationException("fake device-only group: " + op + " of a HostBuffer refused, as nccl refuses it");
    }

    private void hostAllowed(String op) {
        if (!acceptsHost) throw refused(op);
    }

    @Override public int rank() { return host.rank(); }
    @Override public int size() { return host.size(); }
    @Override public List<Integer> globalRanks() { return host.globalRanks(); }
    @Override public String backend() { return "fake-device"; }
    @Override public Optional<StagingMemory> stagingForHostBuffers() { return Optional.of(new HostScratch()); }

    @Override public Work allReduce(HostBuffer b, ReduceOp op) { hostAllowed("allReduce"); return host.allReduce(b, op); }
    @Override public Work broadcast(HostBuffer b, int root) { hostAllowed("broadcast"); return host.broadcast(b, root); }
    @Override public Work reduce(HostBuffer b, int root, ReduceOp op) { hostAllowed("reduce"); return host.reduce(b, root, op); }
    @Override public Work allGather(HostBuffer o, HostBuffer i) { hostAllowed("allGather"); return host.allGather(o, i); }
    @Override public Work reduceScatter(HostBuffer o, HostBuffer i, ReduceOp op) { hostAllowed("reduceScatter"); return host.reduceScatter(o, i, op); }
    @Override public Work send(HostBuffer b, int peer, int tag) { hostAllowed("send"); return host.send(b, peer, tag); }
    @Override public Work recv(HostBuffer b, int peer, int tag) { hostAllowed("recv"); return host.recv(b, peer, tag); }
    @Override public Work barrier() { return host.barrier(); }

    @Override public Work allReduce(DeviceBuffer b, ReduceOp op) { return host.allReduce(asHost(b), op); }
    @Override public Work broadcast(DeviceBuffer b, int root) { return host.broadcast(asHost(b), root); }
    @Override public Work reduce(DeviceBuffer b, int root, ReduceOp op) { return host.reduce(asHost(b), root, op); }
    @Override public Work allGather(DeviceBuffer o, DeviceBuffer i) { return host.allGather(asHost(o), asHost(i)); }
    @Override public Work reduceScatter(DeviceBuffer o, DeviceBuffer i, ReduceOp op) { return host.reduceScatter(asHost(o), asHost(i), op); }
    @Override public Work send(DeviceBuffer b, int peer, int tag) { return host.send(asHost(b), peer, tag); }
    @Override public Work recv(DeviceBuffer b, int peer, int tag) { return host.recv(asHost(b), peer, tag); }

    @Override public void close() { }
}
