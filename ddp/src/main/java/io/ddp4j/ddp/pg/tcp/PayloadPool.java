package io.ddp4j.ddp.pg.tcp;

import java.lang.foreign.Arena;
import java.nio.ByteBuffer;
import java.util.ArrayDeque;

/**
 * Reusable off-heap buffers for the payloads of received frames, in power-of-two size classes.
 *
 * <p>Why: a fresh heap array per frame cost a zeroing pass, an extra copy (the JDK reads a socket
 * into a heap buffer through a temporary direct one) and, at a few hundred megabytes a second of
 * frames, frequent young collections whose pauses stall every rank. A pooled direct buffer is
 * filled by the kernel in one copy and handed back once the op has consumed it.
 *
 * <p>Only the holder of the group's driver lock uses a pool, so nothing here is locked. A buffer
 * that is never handed back (a frame left unread at close, an op that failed) is simply garbage:
 * its memory comes from an automatic arena and the collector frees it.
 */
final class PayloadPool {
    private static final int MIN_CLASS = 10;                 // 1 KiB
    private static final long MAX_POOLED_BYTES = 64L << 20;  // what idle buffers may hold in all
    private static final ByteBuffer EMPTY = ByteBuffer.allocateDirect(0);

    @SuppressWarnings("unchecked")
    private final ArrayDeque<ByteBuffer>[] free = new ArrayDeque[32];
    private long pooledBytes;

    /** A buffer with {@code bytes} remaining (position 0, limit {@code bytes}). */
    ByteBuffer take(int bytes) {
        if (bytes == 0) return EMPTY.duplicate();
        int c = sizeClass(bytes);
        ArrayDeque<ByteBuffer> q = free[c];
        ByteBuffer b = q == null ? null : q.poll();
        if (b == null) {
            b = Arena.ofAuto().allocate(1L << c, 64).asByteBuffer();
        } else {
            pooledBytes -= b.capacity();
        }
        return b.clear().limit(bytes);
    }

    /** Hands a buffer from {@link #take} back; the caller must not touch it afterwards. */
    void give(ByteBuffer b) {
        int cap = b.capacity();
        if (cap == 0 || pooledBytes + cap > MAX_POOLED_BYTES) return;
        int c = Integer.numberOfTrailingZeros(cap);
        if (free[c] == null) free[c] = new ArrayDeque<>();
        free[c].push(b);
        pooledBytes += cap;
    }

    private static int sizeClass(int bytes) {
        return Math.max(MIN_CLASS, 32 - Integer.numberOfLeadingZeros(bytes - 1));
    }
}
