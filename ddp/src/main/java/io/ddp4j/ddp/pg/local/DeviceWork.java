package io.ddp4j.ddp.pg.local;

import io.ddp4j.ddp.DistributedException;
import io.ddp4j.ddp.DistributedTimeoutException;
import io.ddp4j.ddp.Durations;
import io.ddp4j.ddp.pg.CompletableWork;
import io.ddp4j.ddp.pg.Work;

import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * A rank's part in a local collective over device memory. It completes on the host once the GPU
 * has run the collective; {@link #awaitOnStream} waits on the host only until every rank has
 * arrived and the kernels are enqueued, then orders the stream after them on the device.
 */
final class DeviceWork implements Work {
    private final CompletableWork done;
    private final CompletableFuture<DeviceCompletion> enqueued = new CompletableFuture<>();
    private final Duration timeout;

    DeviceWork(String description, Duration timeout) {
        this.done = new CompletableWork(description, timeout);
        this.timeout = timeout;
    }

    void enqueued(DeviceCompletion c) {
        enqueued.complete(c);
    }

    void complete() {
        done.complete();
    }

    void fail(Throwable t) {
        enqueued.completeExceptionally(t);
        done.fail(t);
    }

    @Override
    public void awaitOnStream(long stream) {
        DeviceCompletion c;
        try {
            c = enqueued.get(timeout.multipliedBy(2).plusSeconds(5).toNanos(), TimeUnit.NANOSECONDS);
        } catch (ExecutionException e) {
            done.await(); // throws the failure as await() would
            throw new DistributedException(description() + " failed: " + e.getCause(), e.getCause());
        } catch (TimeoutException e) {
            throw new DistributedTimeoutException(description() + " was not enqueued within " + Durations.format(timeout.multipliedBy(2)));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new DistributedException("interrupted while waiting for " + description(), e);
        }
        c.orderBefore(stream);
    }

    @Override public void await() { done.await(); }
    @Override public void await(Duration t) { done.await(t); }
    @Override public boolean isCompleted() { return done.isCompleted(); }
    @Override public boolean isSuccess() { return done.isSuccess(); }
    @Override public Optional<Throwable> exception() { return done.exception(); }
    @Override public String description() { return done.description(); }
    @Override public String toString() { return done.toString(); }
}
