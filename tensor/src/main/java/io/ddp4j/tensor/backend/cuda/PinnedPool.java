package io.ddp4j.tensor.backend.cuda;

import io.ddp4j.bindings.cuda.Cudart;

import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;

/**
 * Page-locked host buffers for copies between host and device, kept and reused. A buffer carries
 * an event recorded after the last copy that used it; it is free again once that event has
 * completed (asked without blocking). Sizes are powers of two from 1 MiB, so a few buffers serve
 * a steady loop. Used under the backend's lock.
 */
final class PinnedPool implements AutoCloseable {
    private static final long MIN = 1 << 20;

    static final class Buffer {
        final long address;
        final long size;
        final MemorySegment segment;
        final long event;
        boolean pending; // an event was recorded since the buffer was last known free
        boolean held;    // a captured CUDA graph copies from it on every replay

        Buffer(long address, long size, long event) {
            this.address = address;
            this.size = size;
            this.segment = MemorySegment.ofAddress(address).reinterpret(size);
            this.event = event;
        }
    }

    private final List<Buffer> buffers = new ArrayList<>();
    private long allocations;

    /** A buffer of at least {@code bytes} that no enqueued copy still uses. */
    Buffer acquire(long bytes) {
        return acquire(bytes, true);
    }

    /** Like {@link #acquire}, but without asking the device: buffers with a copy pending are passed over. */
    Buffer acquireWithoutQuery(long bytes) {
        return acquire(bytes, false);
    }

    private Buffer acquire(long bytes, boolean mayQuery) {
        for (Buffer b : buffers) {
            if (b.size < bytes || b.held) continue;
            if (b.pending && (!mayQuery || !Cudart.cudaEventQuery(b.event))) continue;
            b.pending = false;
            return b;
        }
        long size = Math.max(MIN, Long.highestOneBit(Math.max(1, bytes - 1)) << 1);
        long address = Cudart.cudaHostAlloc(size, Cudart.cudaHostAllocDefault);
        long event = Cudart.cudaEventCreateWithFlags(Cudart.cudaEventDisableTiming);
        Buffer b = new Buffer(address, size, event);
        buffers.add(b);
        allocations++;
        return b;
    }

    /** Marks the buffer busy until the work enqueued on {@code stream} so far is done. */
    void release(Buffer b, long stream) {
        Cudart.cudaEventRecord(b.event, stream);
        b.pending = true;
    }

    /**
     * Keeps the buffer for a CUDA graph being captured: the graph's copy node reads this host
     * memory on every replay, so nothing else may take it until {@link #unhold} (after the graph
     * is destroyed). No event: one recorded inside a capture cannot be asked about outside it.
     */
    void hold(Buffer b) {
        b.held = true;
    }

    /** The graph that copied from {@code b} is gone and the device has finished its replays. */
    void unhold(Buffer b) {
        b.held = false;
        b.pending = false;
    }

    /** How many pinned buffers were ever allocated (a steady loop stops adding). */
    long allocations() {
        return allocations;
    }

    @Override
    public void close() {
        for (Buffer b : buffers) {
            if (b.pending) Cudart.cudaEventSynchronize(b.event);
            Cudart.cudaEventDestroy(b.event);
            Cudart.cudaFreeHost(b.address);
        }
        buffers.clear();
    }
}
