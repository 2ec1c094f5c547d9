package io.ddp4j.tensor.memory;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedDeque;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Freed host blocks of CPU tensors, kept by size class and handed out again instead of being
 * closed. Each block lives in its own shared arena (so every thread may use it), and closing a
 * shared arena costs a handshake with every thread of the JVM: measured at 110-230 us per close on
 * a 2-vCPU VM, against under 2 us for the allocation itself. A training step frees a hundred or so
 * temporaries, so closing each one cost milliseconds a step and stopped every thread each time.
 *
 * <p>Size classes are powers of two up to 1 MiB, then whole MiB, so a block is at most twice (small)
 * or 1 MiB more (large) than asked for. Idle blocks are capped at {@code -Dddp4j.cpu.poolBytes}
 * (default 256 MiB); past that, freed blocks are closed as before. 0 turns pooling off, which
 * brings back "a freed block is unmapped at once": useful when hunting a stale segment, since
 * memory reused from the pool is still mapped, so a raw segment kept past its tensor's release
 * reads whatever tensor holds the block now instead of throwing.
 */
final class HostBlockPool {
    static final long MAX_POOLED_BYTES = Long.getLong("ddp4j.cpu.poolBytes", 256L << 20);
    private static final long MIB = 1 << 20;

    /** A block: its arena (closed when the pool lets it go) and its whole segment. */
    record Block(Arena arena, MemorySegment segment) {}

    private static final ConcurrentHashMap<Long, ConcurrentLinkedDeque<Block>> FREE = new ConcurrentHashMap<>();
    private static final AtomicLong POOLED = new AtomicLong();

    private HostBlockPool() {}

    static long sizeClass(long bytes) {
        long b = Math.max(bytes, CpuStorage.ALIGNMENT);
        if (b <= MIB) return Long.highestOneBit(b - 1) << 1;
        return (b + MIB - 1) / MIB * MIB;
    }

    /** A block of at least {@code bytes}, its first {@code bytes} zeroed. */
    static Block take(long bytes) {
        long size = sizeClass(bytes);
        ConcurrentLinkedDeque<Block> q = FREE.get(size);
        Block b = q == null ? null : q.pollFirst();
        if (b == null) {
            Arena arena = Arena.ofShared();
            return new Block(arena, arena.allocate(size, CpuStorage.ALIGNMENT)); // zeroed by the allocation
        }
        POOLED.addAndGet(-size);
        b.segment().asSlice(0, bytes).fill((byte) 0);
        return b;
    }

    /** Hands a block back: kept for reuse while the pool has room, else closed. */
    static void give(Block b) {
        long size = b.segment().byteSize();
        if (POOLED.addAndGet(size) <= MAX_POOLED_BYTES) {
            FREE.computeIfAbsent(size, k -> new ConcurrentLinkedDeque<>()).addFirst(b);
        } else {
            POOLED.addAndGet(-size);
            b.arena().close();
        }
    }

    /** Bytes held by idle blocks now. */
    static long pooledBytes() {
        return POOLED.get();
    }
}
