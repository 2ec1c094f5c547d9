package io.ddp4j.ddp.pg.nccl;

/**
 * The CUDA stream whose work an NCCL op issued by this thread must come after: the
 * "current stream" of PyTorch. Each op of {@link NcclProcessGroup} records an event on it and
 * makes the group's communication stream wait for that event, so the op sees everything enqueued
 * there before it was issued, and the caller's thread never blocks.
 *
 * <p>Default: the legacy default stream (handle 0), which every blocking stream implicitly
 * orders with; code that computes on its own non-blocking stream must say so:
 * <pre>{@code
 * try (var s = CurrentStream.use(computeStream)) {
 *     pg.allReduce(grads, ReduceOp.AVG).awaitOnStream(computeStream);
 * }
 * }</pre>
 * The explicit-stream overloads of {@link NcclProcessGroup} take the stream as an argument instead.
 */
public final class CurrentStream {
    private CurrentStream() {}

    /** The legacy default stream. */
    public static final long LEGACY_DEFAULT = 0L;

    private static final ThreadLocal<long[]> CURRENT = ThreadLocal.withInitial(() -> new long[] {LEGACY_DEFAULT});

    public static long get() {
        return CURRENT.get()[0];
    }

    /** Makes {@code stream} current on this thread until the scope closes (scopes nest). */
    public static Scope use(long stream) {
        long[] cell = CURRENT.get();
        long previous = cell[0];
        cell[0] = stream;
        return new Scope(cell, previous);
    }

    /** Restores the stream that was current before {@link #use}. */
    public static final class Scope implements AutoCloseable {
        private final long[] cell;
        private final long previous;
        private boolean closed;

        private Scope(long[] cell, long previous) {
            this.cell = cell;
            this.previous = previous;
        }

        @Override
        public void close() {
            if (closed) return;
            closed = true;
            cell[0] = previous;
        }
    }
}
