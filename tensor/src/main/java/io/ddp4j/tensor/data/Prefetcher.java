package io.ddp4j.tensor.data;

import io.ddp4j.tensor.Scope;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.Semaphore;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Function;

/**
 * Worker threads that build one epoch's batches ahead of the consumer. Batch k is made only from
 * the k-th index list and handed out only as the k-th batch, so the order and contents never
 * depend on which worker was faster. Workers claim batch numbers in increasing order and hold a
 * permit per batch not yet taken, so at most {@code workers * prefetchFactor} batches exist ahead of
 * the consumer and the next one it needs is always claimed. It must not refer to the iterator that
 * owns it, so a Cleaner can stop it when that iterator is dropped.
 */
final class Prefetcher implements Runnable {
    private static final AtomicInteger IDS = new AtomicInteger();
    private static final long JOIN_MILLIS = 10_000;

    /** A worker's exception, delivered in the place of its batch. */
    private record Failure(Throwable error) {}

    private final List<int[]> plan;
    private final Function<int[], Batch> fetch;
    private final Object[] results;
    private final Semaphore permits;
    private final AtomicInteger nextClaim = new AtomicInteger();
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition ready = lock.newCondition();
    private final List<Thread> threads = new ArrayList<>();
    private volatile boolean closed;

    Prefetcher(List<int[]> plan, Function<int[], Batch> fetch, int workers, int prefetchFactor) {
        this.plan = plan;
        this.fetch = fetch;
        this.results = new Object[plan.size()];
        this.permits = new Semaphore(workers * prefetchFactor);
        int id = IDS.incrementAndGet();
        for (int w = 0; w < Math.min(workers, Math.max(1, plan.size())); w++) {
            Thread t = new Thread(this::work, "ddp4j-DataLoader-" + id + "-worker-" + w);
            t.setDaemon(true);
            threads.add(t);
        }
        threads.forEach(Thread::start);
    }

    private void work() {
        while (!closed) {
            try {
                permits.acquire();
            } catch (InterruptedException e) {
                return;
            }
            int k = nextClaim.getAndIncrement();
            if (k >= plan.size() || closed) {
                permits.release();
                return;
            }
            Object result;
            try (Scope scope = Scope.open()) {
                // temporaries of get/collate die with the scope; the batch itself is kept
                result = fetch.apply(plan.get(k)).keep();
            } catch (Throwable t) {
                result = new Failure(t);
            }
            lock.lock();
            try {
                if (closed) {
                    if (result instanceof Batch b) b.close();
                } else {
                    results[k] = result;
                    ready.signalAll();
                }
            } finally {
                lock.unlock();
            }
        }
    }

    /** Waits for batch k (taken in order 0, 1, ...) and hands it over. */
    Batch take(int k) {
        Object result;
        lock.lock();
        try {
            while (results[k] == null) {
                if (closed) throw new IllegalStateException("the DataLoader iteration was closed");
                ready.awaitUninterruptibly();
            }
            result = results[k];
            results[k] = null;
        } finally {
            lock.unlock();
        }
        permits.release();
        if (result instanceof Failure f) {
            close();
            throw new DataLoaderException("DataLoader worker failed on batch " + k + " (indices " + preview(plan.get(k)) + "): " + f.error(), f.error());
        }
        return (Batch) result;
    }

    private static String preview(int[] indices) {
        return indices.length <= 8 ? Arrays.toString(indices) : Arrays.toString(Arrays.copyOf(indices, 8)).replace("]", ", ...]");
    }

    /** Stops the workers, waits for them to end and frees batches nobody took. Idempotent. */
    void close() {
        lock.lock();
        try {
            if (closed) return;
            closed = true;
            ready.signalAll();
        } finally {
            lock.unlock();
        }
        threads.forEach(Thread::interrupt);
        for (Thread t : threads) {
            if (t == Thread.currentThread()) continue;
            try {
                t.join(JOIN_MILLIS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
        }
        lock.lock();
        try {
            for (int k = 0; k < results.length; k++) {
                if (results[k] instanceof Batch b) b.close();
                results[k] = null;
            }
        } finally {
            lock.unlock();
        }
    }

    /** The Cleaner's action when the iterator was dropped without being closed. */
    @Override
    public void run() {
        close();
    }
}
