package io.ddp4j.ddp.reducer;

import io.ddp4j.ddp.pg.Work;

import java.time.Duration;
import java.util.Optional;

/**
 * A host collective over a device bucket's staged copy (a GPU model on a tcp or mpi group): done
 * once the collective is done and its result is on the way back to the device. The copy back is
 * enqueued on the bucket's compute stream by the first wait, so compute work enqueued after that
 * wait sees the reduced gradients; a failed collective copies nothing back.
 */
final class HostStagedWork implements Work {
    private final Work inner;
    private final Runnable copyBack;
    private boolean copied;

    HostStagedWork(Work inner, Runnable copyBack) {
        this.inner = inner;
        this.copyBack = copyBack;
    }

    private synchronized void finish() {
        if (copied || !inner.isSuccess()) return;
        copyBack.run();
        copied = true;
    }

    @Override
    public void await() {
        inner.await();
        finish();
    }

    @Override
    public void await(Duration timeout) {
        inner.await(timeout);
        finish();
    }

    @Override
    public synchronized boolean isCompleted() {
        return inner.isCompleted() && (copied || !inner.isSuccess());
    }

    @Override
    public synchronized boolean isSuccess() {
        return copied;
    }

    @Override
    public Optional<Throwable> exception() {
        return inner.exception();
    }

    @Override
    public String description() {
        return inner.description() + " (staged through host memory)";
    }
}
