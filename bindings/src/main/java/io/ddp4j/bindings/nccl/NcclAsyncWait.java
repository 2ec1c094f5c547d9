package io.ddp4j.bindings.nccl;

import io.ddp4j.bindings.NcclException;
import java.time.Duration;
import java.util.concurrent.locks.LockSupport;
import java.util.function.IntSupplier;
import java.util.function.LongSupplier;

/**
 * Waits for a non-blocking communicator to leave {@code ncclInProgress} by polling
 * {@code ncclCommGetAsyncError}, as NCCL's documentation prescribes after init or finalize. A
 * communicator that reports an error, or is still in progress at the deadline, is aborted (it is
 * unusable, and NCCL frees it only then) before the exception is thrown, so nothing is left hanging.
 */
public final class NcclAsyncWait {
    /** Polls start this far apart and double up to {@link #MAX_PAUSE_NANOS}: a fast answer, then little CPU. */
    static final long FIRST_PAUSE_NANOS = 10_000, MAX_PAUSE_NANOS = 1_000_000;

    private final LongSupplier nanoTime;
    private final PauseNanos pause;

    /** How a wait passes time between polls (replaced in tests to run without real waiting). */
    @FunctionalInterface
    interface PauseNanos {
        void pause(long nanos);
    }

    NcclAsyncWait(LongSupplier nanoTime, PauseNanos pause) {
        this.nanoTime = nanoTime;
        this.pause = pause;
    }

    static final NcclAsyncWait REAL = new NcclAsyncWait(System::nanoTime, LockSupport::parkNanos);

    /** Polls {@link Nccl#ncclCommGetAsyncError} on {@code comm}; aborts it with ncclCommAbort on failure. */
    public static void untilReady(long comm, String operation, int rank, int nranks, Duration timeout) {
        REAL.await(() -> Nccl.ncclCommGetAsyncError(comm), () -> Nccl.ncclCommAbort(comm), operation, rank, nranks, timeout);
    }

    /**
     * Returns once {@code asyncError} gives ncclSuccess. Any other code but ncclInProgress: runs
     * {@code abort}, throws {@link NcclException}. Still ncclInProgress after {@code timeout}: runs
     * {@code abort}, throws {@link NcclTimeoutException}. A failure of {@code abort} itself is added
     * to the thrown exception as suppressed.
     */
    void await(IntSupplier asyncError, Runnable abort, String operation, int rank, int nranks, Duration timeout) {
        if (timeout.isNegative()) throw new IllegalArgumentException("a timeout cannot be negative: " + timeout);
        long start = nanoTime.getAsLong();
        long limit = saturatedNanos(timeout);
        long nextPause = FIRST_PAUSE_NANOS;
        while (true) {
            int state;
            try {
                state = asyncError.getAsInt();
            } catch (RuntimeException e) {
                throw abortedWith(abort, e); // the query itself failed: the communicator is no more usable than a failed one
            }
            if (state == Nccl.ncclSuccess) return;
            if (state != Nccl.ncclInProgress) {
                throw abortedWith(abort, NcclErrors.exception(
                        "ncclCommGetAsyncError after " + operation + " (rank " + rank + " of " + nranks + ")", state, 0L));
            }
            long elapsed = nanoTime.getAsLong() - start;
            if (elapsed >= limit) throw abortedWith(abort, new NcclTimeoutException(operation, rank, nranks, timeout));
            pause.pause(Math.min(nextPause, limit - elapsed));
            nextPause = Math.min(nextPause * 2, MAX_PAUSE_NANOS);
        }
    }

    private static RuntimeException abortedWith(Runnable abort, RuntimeException failure) {
        try {
            abort.run();
        } catch (RuntimeException e) {
            failure.addSuppressed(e);
        }
        return failure;
    }

    private static long saturatedNanos(Duration d) {
        try {
            return d.toNanos();
        } catch (ArithmeticException e) {
            return Long.MAX_VALUE;
        }
    }
}
