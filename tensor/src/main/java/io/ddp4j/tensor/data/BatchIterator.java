package io.ddp4j.tensor.data;

import io.ddp4j.tensor.Scope;

import java.lang.ref.Cleaner;
import java.util.Iterator;
import java.util.List;
import java.util.NoSuchElementException;
import java.util.function.Function;

/**
 * One pass over a {@link DataLoader}: its batches in sampler order. With workers, closing it (or
 * reaching the end, or starting the loader's next pass, or closing the loader) stops them and frees
 * batches made ahead; if it is dropped unclosed, a Cleaner does the same once it is collected.
 */
public final class BatchIterator implements Iterator<Batch>, AutoCloseable {
    private static final Cleaner CLEANER = Cleaner.create();

    private final List<int[]> plan;
    private final Function<int[], Batch> fetch;
    private final Prefetcher prefetcher;
    private final Cleaner.Cleanable cleanable;
    private final FeedStats stats;
    private int next;
    private boolean closed;

    BatchIterator(List<int[]> plan, Function<int[], Batch> fetch, int workers, int prefetchFactor, FeedStats stats) {
        this.plan = plan;
        this.stats = stats;
        this.fetch = fetch;
        if (workers > 0 && !plan.isEmpty()) {
            prefetcher = new Prefetcher(plan, fetch, workers, prefetchFactor);
            cleanable = CLEANER.register(this, prefetcher);
        } else {
            prefetcher = null;
            cleanable = null;
        }
    }

    /** Number of batches in this pass. */
    public int size() {
        return plan.size();
    }

    @Override
    public boolean hasNext() {
        if (closed) return false;
        if (next < plan.size()) return true;
        close();
        return false;
    }

    @Override
    public Batch next() {
        if (!hasNext()) throw new NoSuchElementException("the DataLoader pass has ended (" + plan.size() + " batches)");
        int k = next++;
        long t0 = System.nanoTime();
        Batch b;
        if (prefetcher != null) {
            b = prefetcher.take(k);
            stats.batchTaken(System.nanoTime() - t0);
        } else {
            try (Scope scope = Scope.open()) {
                b = fetch.apply(plan.get(k)).keep();
            } catch (RuntimeException e) {
                throw new DataLoaderException("DataLoader failed on batch " + k + ": " + e, e);
            }
            stats.batchTaken(0); // built on this thread: no waiting for a worker
        }
        return handOut(b);
    }

    /** Orders the batch's device copies before the consumer's compute work (a device-side wait, no host wait). */
    private Batch handOut(Batch b) {
        for (var upload : b.takeUploads()) {
            upload.orderBeforeCompute();
            stats.track(upload);
        }
        return b;
    }

    /** Stops the workers (waiting for them) and frees batches not yet taken; idempotent. */
    @Override
    public void close() {
        if (closed) return;
        closed = true;
        if (cleanable != null) cleanable.clean();
    }
}
