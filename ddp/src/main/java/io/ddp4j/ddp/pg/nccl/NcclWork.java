package io.ddp4j.ddp.pg.nccl;

import io.ddp4j.ddp.DistributedException;
import io.ddp4j.ddp.DistributedTimeoutException;
import io.ddp4j.ddp.Durations;
import io.ddp4j.ddp.pg.Work;
import java.lang.ref.Cleaner;
import java.lang.ref.Reference;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;

/**
 * One op of an {@link NcclProcessGroup}, enqueued on the group's communication stream and ended
 * by a CUDA event. Completion is learnt by querying that event (never by blocking in CUDA), so a
 * waiting thread also sees at once when the watchdog fails the op. The event belongs to this
 * object and goes back to the group's pool when it becomes unreachable, so
 * {@link #awaitOnStream(long)} stays valid for as long as the caller holds the work.
 */
final class NcclWork implements Work {
    private static final Cleaner CLEANER = Cleaner.create(r -> Thread.ofPlatform().daemon().name("ddp4j-nccl-event-cleaner").unstarted(r));
    private static final Object PENDING = new Object(), DONE = new Object();
    private static final long FIRST_PAUSE_NANOS = 2_000, MAX_PAUSE_NANOS = 500_000;

    private final NcclProcessGroup group;
    final String op;
    final long sequence;
    final Fingerprint fingerprint;          // null for point-to-point ops
    final NcclProcessGroup.Slot slot;       // the fingerprint's buffers; null for point-to-point ops
    final long issuedAtNanos;
    final long endEvent;
    private final String description;
    private final AtomicReference<Object> state = new AtomicReference<>(PENDING);
    /**
     * Set once the fingerprints were compared (by whichever thread saw them first), only after
     * the comparison has decided: until then the op may not complete nor give up its slot.
     */
    volatile boolean fingerprintChecked;
    /** False until every CUDA/NCCL call of the op is enqueued: before that its events say nothing. */
    volatile boolean enqueued;

    NcclWork(NcclProcessGroup group, String op, long sequence, Fingerprint fingerprint, NcclProcessGroup.Slot slot,
             String description, long issuedAtNanos, long endEvent) {
        this.group = group;
        this.op = op;
        this.sequence = sequence;
        this.fingerprint = fingerprint;
        this.slot = slot;
        this.description = description;
        this.issuedAtNanos = issuedAtNanos;
        this.endEvent = endEvent;
        this.fingerprintChecked = slot == null;
        NcclProcessGroup g = group;
        CLEANER.register(this, () -> g.releaseEvent(endEvent));
    }

    boolean complete() {
        return state.compareAndSet(PENDING, DONE);
    }

    boolean fail(Throwable t) {
        return state.compareAndSet(PENDING, t);
    }

    /** Learns whether the op is done (checking its fingerprints on the way); true once it completed or failed. */
    boolean poll() {
        if (state.get() != PENDING) return true;
        group.refresh(this);
        return state.get() != PENDING;
    }

    @Override
    public void await() {
        await(group.timeout().multipliedBy(2).plusSeconds(5));
    }

    @Override
    public void await(Duration timeout) {
        Durations.requirePositive(timeout, "await timeout");
        long start = System.nanoTime(), limit = saturatedNanos(timeout), pause = FIRST_PAUSE_NANOS;
        while (!poll()) {
            long elapsed = System.nanoTime() - start;
            if (elapsed >= limit) {
                throw new DistributedTimeoutException(description + " did not complete within " + Durations.format(timeout)
                        + " (the group's watchdog aborts it once it is older than the collective timeout of "
                        + Durations.format(group.timeout()) + ")");
            }
            LockSupport.parkNanos(Math.min(pause, limit - elapsed));
            pause = Math.min(pause * 2, MAX_PAUSE_NANOS);
            if (Thread.interrupted()) {
                Thread.currentThread().interrupt();
                throw new DistributedException("interrupted while waiting for " + description);
            }
        }
        rethrowFailure();
    }

    /**
     * Enqueues on {@code stream} a wait for this op's completion event: GPU work enqueued there
     * afterwards sees the op's result, and the calling thread does not block. Throws at once if
     * the op already failed; a failure that comes later is reported by {@link #await()} and by
     * the group's next op (the aborted communicator has killed the op, so the stream goes on).
     */
    @Override
    public void awaitOnStream(long stream) {
        if (poll()) {
            rethrowFailure();
            return; // done: nothing to wait for
        }
        group.streamWaitEvent(stream, endEvent);
        Reference.reachabilityFence(this); // until the wait is enqueued, the cleaner must not recycle endEvent
    }

    private void rethrowFailure() {
        if (state.get() instanceof Throwable t) {
            if (t instanceof RuntimeException r) throw r;
            if (t instanceof Error e) throw e;
            throw new DistributedException(description + " failed: " + t, t);
        }
    }

    @Override
    public boolean isCompleted() {
        return poll();
    }

    @Override
    public boolean isSuccess() {
        return poll() && state.get() == DONE;
    }

    @Override
    public Optional<Throwable> exception() {
        poll();
        return state.get() instanceof Throwable t ? Optional.of(t) : Optional.empty();
    }

    @Override
    public String description() {
        return description;
    }

    boolean isPending() {
        return state.get() == PENDING;
    }

    @Override
    public String toString() {
        Object s = state.get();
        return description + (s == PENDING ? " [pending]" : s == DONE ? " [done]" : " [failed]");
    }

    private static long saturatedNanos(Duration d) {
        try {
            return d.toNanos();
        } catch (ArithmeticException e) {
            return Long.MAX_VALUE;
        }
    }
}
