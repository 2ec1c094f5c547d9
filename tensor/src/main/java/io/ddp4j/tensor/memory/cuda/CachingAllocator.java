package io.ddp4j.tensor.memory.cuda;

import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.Iterator;
import java.util.Map;

/**
 * A caching allocator for one device, after PyTorch's: freed blocks stay reserved and are handed
 * out again, so a steady training loop makes no cudaMalloc and no cudaFree.
 * <ul>
 *   <li>Requests are rounded to {@link SizeClasses}; a freed block waits in the free list of its
 *       size and stream.</li>
 *   <li>Reuse on the block's own stream is immediate: work on one stream runs in order, so the next
 *       user cannot start before the last one finished.</li>
 *   <li>Reuse on another stream happens only after an event: the allocator records an event on the
 *       block's stream and makes the new stream wait for it, on the device, with no host
 *       synchronisation. The block then belongs to the new stream.</li>
 *   <li>When the driver is out of memory, the allocator synchronises the device, gives its whole
 *       cache back and tries once more; then it throws {@link CudaOutOfMemoryException} with the
 *       numbers a person needs.</li>
 * </ul>
 * Thread-safe (one lock; allocation is a map lookup).
 */
public final class CachingAllocator implements AutoCloseable {
    private final String device;
    private final DeviceMemoryApi api;
    /** stream -> size -> free blocks of that size on that stream */
    private final Map<Long, Map<Long, ArrayDeque<Block>>> free = new HashMap<>();
    private final Map<Block, Boolean> live = new IdentityHashMap<>();
    /** The pool of the graph being captured, which every allocation serves meanwhile; or null. */
    private GraphPool capturing;
    private long event;
    private long allocated, reserved, peak, mallocs, frees, hits, crossStream;
    private boolean closed;

    public CachingAllocator(String device, DeviceMemoryApi api) {
        this.device = device;
        this.api = api;
    }

    /** A block of at least {@code bytes} for work on {@code stream}. */
    public synchronized Block allocate(long bytes, long stream) {
        if (closed) throw new IllegalStateException("allocate(" + bytes + ") on " + device + " after its allocator was closed");
        long size = SizeClasses.roundUp(bytes);
        if (capturing != null) return allocateForGraph(capturing, bytes, size, stream);
        Block b = take(stream, size);
        if (b != null) {
            hits++;
        } else if ((b = takeFromAnotherStream(stream, size)) != null) {
            crossStream++;
        } else {
            b = new Block(malloc(size, bytes), size, stream);
        }
        return handOut(b, bytes);
    }

    private Block handOut(Block b, long requested) {
        b.requested = requested;
        b.inUse = true;
        live.put(b, Boolean.TRUE);
        allocated += b.size;
        peak = Math.max(peak, allocated);
        return b;
    }

    /**
     * During a capture: a block of the graph's own pool, freed earlier in the capture, or a new one.
     * Never a block of the ordinary cache (work outside the graph may still use it, and the graph
     * would write into it on every replay), and never emptyCache's device synchronisation, which a
     * capture forbids.
     */
    private Block allocateForGraph(GraphPool pool, long bytes, long size, long stream) {
        ArrayDeque<Block> blocks = pool.free.get(size);
        Block b = blocks == null ? null : blocks.poll();
        if (b != null) {
            hits++;
        } else {
            b = new Block(malloc(size, bytes), size, stream);
            b.pool = pool;
            pool.blocks++;
            pool.bytes += size;
        }
        return handOut(b, bytes);
    }

    /** Gives {@code block} back; it can be handed out again at once for work on its stream (or its graph's). */
    public synchronized void free(Block block) {
        if (!block.inUse || live.remove(block) == null) {
            throw new IllegalStateException("free of " + block + " on " + device + ", which is not in use (freed twice?)");
        }
        block.inUse = false;
        allocated -= block.size;
        if (closed) { // freed after close (a cleaner that ran late): the cache is gone
            giveBack(block);
            return;
        }
        if (capturing != null && block.pool != capturing) {
            // made outside this capture (before it, or by another graph) and dropped inside it: the
            // graph may use it (a gradient accumulated in place, an earlier graph's output read),
            // so it waits until this graph is gone
            capturing.deferred.add(block);
            return;
        }
        if (block.pool != null && !block.pool.released) {
            block.pool.keep(block);
            return;
        }
        block.pool = null;
        cache(block);
    }

    /** cudaFree of a free block, counted. */
    private void giveBack(Block b) {
        api.free(b.address);
        frees++;
        reserved -= b.size;
    }

    /**
     * The block's last use is now on {@code stream}: work enqueued there (a copy the data loader
     * made on the copy stream) that the block's own stream has not waited for. Freed before it is
     * moved back, it is cached under {@code stream}, so reuse on another stream first waits for
     * that stream's work (an event and a device-side wait) instead of writing under the copy.
     */
    public synchronized void moveToStream(Block block, long stream) {
        if (!block.inUse || !live.containsKey(block)) return; // freed: it stays cached where it was
        block.stream = stream;
    }

    /** Puts a free block in the ordinary cache, under its stream and size. */
    private void cache(Block b) {
        free.computeIfAbsent(b.stream, s -> new HashMap<>()).computeIfAbsent(b.size, s -> new ArrayDeque<>()).push(b);
    }

    /** From now until {@link #endCapture}, every allocation is served from a new graph pool. */
    public synchronized GraphPool beginCapture() {
        if (closed) throw new IllegalStateException("capture on " + device + " after its allocator was closed");
        if (capturing != null) throw new IllegalStateException("a CUDA graph is already being captured on " + device + " (" + capturing + ")");
        capturing = new GraphPool();
        return capturing;
    }

    /** Allocations are served from the ordinary cache again; the pool keeps its blocks for its graph. */
    public synchronized void endCapture(GraphPool pool) {
        if (capturing != pool) throw new IllegalStateException(pool + " is not being captured on " + device);
        capturing = null;
    }

    /**
     * The graph is gone (destroyed, and the device done with its last replay): its free blocks join
     * the ordinary cache, and its blocks still in use join it when they are freed.
     */
    public synchronized void releasePool(GraphPool pool) {
        if (capturing == pool) throw new IllegalStateException(pool + " is still being captured on " + device);
        if (pool.released) return;
        pool.released = true;
        for (Block b : pool.deferred) {
            // a block of a graph that still lives goes back to that graph's pool
            if (b.pool != null && !b.pool.released) {
                b.pool.keep(b);
            } else {
                b.pool = null;
                cache(b);
            }
        }
        pool.deferred.clear();
        for (ArrayDeque<Block> blocks : pool.free.values()) {
            for (Block b : blocks) {
                b.pool = null;
                cache(b);
            }
        }
        pool.free.clear();
    }

    private Block take(long stream, long size) {
        Map<Long, ArrayDeque<Block>> bySize = free.get(stream);
        if (bySize == null) return null;
        ArrayDeque<Block> blocks = bySize.get(size);
        return blocks == null ? null : blocks.poll();
    }

    /** A free block of this size on another stream, handed over after an event (device-side wait). */
    private Block takeFromAnotherStream(long stream, long size) {
        for (var e : free.entrySet()) {
            if (e.getKey() == stream) continue;
            ArrayDeque<Block> blocks = e.getValue().get(size);
            if (blocks == null || blocks.isEmpty()) continue;
            Block b = blocks.poll();
            if (event == 0) event = api.createEvent();
            // the event marks the end of everything enqueued on the old stream, its last use included;
            // the new stream waits for it, and the wait keeps that record even if the event is recorded again
            api.recordEvent(event, b.stream);
            api.streamWaitEvent(stream, event);
            b.stream = stream;
            return b;
        }
        return null;
    }

    /**
     * cudaMalloc, and when the driver is out of memory, the cache given back and one more try;
     * not during a capture, which forbids emptyCache's device synchronisation.
     */
    private long malloc(long size, long requested) {
        long p = api.tryMalloc(size);
        if (p == 0 && capturing == null) {
            emptyCache();
            p = api.tryMalloc(size);
        }
        if (p == 0) throw outOfMemory(size, requested, capturing == null ? ""
                : " while capturing a CUDA graph (the cache cannot be emptied during a capture)");
        mallocs++;
        reserved += size;
        return p;
    }

    private CudaOutOfMemoryException outOfMemory(long size, long requested, String when) {
        long[] info = api.memInfo();
        return new CudaOutOfMemoryException(String.format(
                "CUDA out of memory on %s%s: tried to allocate %s (%d bytes requested); ddp4j has %s allocated and %s reserved"
                        + " (%s cached%s); the driver reports %s free of %s total."
                        + " Use a smaller batch, free tensors sooner (Scope), or check what else uses this GPU.",
                device, when, Bytes.format(size), requested, Bytes.format(allocated), Bytes.format(reserved),
                Bytes.format(reserved - allocated), when.isEmpty() ? ", already given back and retried" : "",
                Bytes.format(info[0]), Bytes.format(info[1])), requested);
    }

    /** Gives every cached (free) block back to the driver, after the device finished its work. */
    public synchronized void emptyCache() {
        if (capturing != null)
            throw new IllegalStateException("emptyCache on " + device + " while a CUDA graph is being captured: it would synchronise the device, which a capture forbids");
        if (free.values().stream().allMatch(m -> m.values().stream().allMatch(ArrayDeque::isEmpty))) return;
        api.synchronize();
        for (Map<Long, ArrayDeque<Block>> bySize : free.values()) {
            for (Iterator<ArrayDeque<Block>> it = bySize.values().iterator(); it.hasNext(); ) {
                for (Block b : it.next()) giveBack(b);
                it.remove();
            }
        }
        free.clear();
    }

    public synchronized AllocatorStats stats() {
        return new AllocatorStats(allocated, reserved, peak, mallocs, frees, hits, crossStream);
    }

    /** Starts a new peak measurement from what is allocated now. */
    public synchronized void resetPeak() {
        peak = allocated;
    }

    /** Frees the cache; blocks still in use are the caller's leak and are left alone. */
    @Override
    public synchronized void close() {
        if (closed) return;
        emptyCache();
        if (event != 0) api.destroyEvent(event);
        event = 0;
        closed = true;
    }
}
