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
    private final CompletableFuture<Void> future = new CompletableFuture<>();
    private final String description;
    private final Duration defaultTimeout;

    public CompletableWork(String description, Duration defaultTimeout) {
        this.description = description;
        this.defaultTimeout = defaultTimeout;
    }

    public void complete() {
        future.complete(null);
    }

    public void fail(Throwable t) {
        future.completeExceptionally(t);
    }

    @Override
    public void await() {
        await(defaultTimeout.multipliedBy(2).plusSeconds(5));
    }

    @Override
    public void await(Duration timeout) {
        Durations.requirePositive(timeout, "await timeout");
        try {
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
