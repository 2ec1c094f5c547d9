package io.ddp4j.ddp.pg;

import io.ddp4j.ddp.DistributedException;
import io.ddp4j.ddp.DistributedTimeoutException;
import io.ddp4j.ddp.Durations;

import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/** A {@link Work} backed by a future that the group's worker thread completes. */
public final class CompletableWork implements Work {
    /** How long {@link #await} polls before it parks; {@code -Dddp4j.awaitSpinMicros=N}, 0 turns it off. */
    private static final long SPIN_NANOS = Long.getLong("ddp4j.awaitSpinMicros", 200) * 1000;

    private final CompletableFuture<Void> future = new CompletableFuture<>();
    private final String description;
    private final Duration defaultTimeout;
    private volatile Runnable helper;

    public CompletableWork(String description, Duration defaultTimeout) {
        this.description = description;
        this.defaultTimeout = defaultTimeout;
    }

    /**
     * Something a thread calling {@link #await()} may do itself before it waits: typically run the
     * op now if the group's thread has not started it yet, which spares two thread handoffs when
     * the op is awaited as soon as it is issued. {@code helper} must be safe to call from any
     * thread, more than once, and must leave the op either done or in other hands.
     */
    public void helpWhenAwaited(Runnable helper) {
        this.helper = helper;
    }

    public void complete() {
        future.complete(null);
    }

    public void fail(Throwable t) {
        future.completeExceptionally(t);
    }

    /** Runs the op here if the helper can (its own timeout bounds it), else waits for it. */
    @Override
    public void await() {
        Runnable h = helper;
        if (h != null && !future.isDone()) h.run();
        await(defaultTimeout.multipliedBy(2).plusSeconds(5));
    }

    /**
     * Waits at most {@code timeout}, so it never runs the op itself: an op cannot be left half-way
     * when the caller's time is up.
     */
    @Override
    public void await(Duration timeout) {
        Durations.requirePositive(timeout, "await timeout");
        try {
            spinBriefly();
            future.get(timeout.toNanos(), TimeUnit.NANOSECONDS);
        } catch (TimeoutException e) {
            throw new DistributedTimeoutException(description + " did not complete within " + Durations.format(timeout));
        } catch (ExecutionException e) {
            Throwable c = e.getCause();
            if (c instanceof RuntimeException r) throw r;
            if (c instanceof Error err) throw err;
            throw new DistributedException(description + " failed: " + c, c);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new DistributedException("interrupted while waiting for " + description, e);
        }
    }

    /**
     * Small collectives finish within tens of microseconds of being issued; polling (yielding the
     * core) for that long spares the waiting thread a park and the group's thread an unpark, each
     * a trip through the scheduler that costs as much again.
     */
    private void spinBriefly() {
        if (SPIN_NANOS <= 0 || future.isDone()) return;
        long end = System.nanoTime() + SPIN_NANOS;
        while (!future.isDone() && System.nanoTime() - end < 0) Thread.yield();
    }

    @Override
    public boolean isCompleted() {
        return future.isDone();
    }

    @Override
    public boolean isSuccess() {
        return future.isDone() && !future.isCompletedExceptionally();
    }

    @Override
    public Optional<Throwable> exception() {
        if (!future.isCompletedExceptionally()) return Optional.empty();
        try {
            future.join();
            return Optional.empty();
        } catch (java.util.concurrent.CompletionException e) {
            return Optional.of(e.getCause());
        } catch (java.util.concurrent.CancellationException e) {
            return Optional.of(e);
        }
    }

    @Override
    public String description() {
        return description;
    }

    @Override
    public String toString() {
        return description + (isCompleted() ? (isSuccess() ? " [done]" : " [failed]") : " [pending]");
    }
}
