package io.ddp4j.tensor.data;

import io.ddp4j.tensor.Device;
import io.ddp4j.tensor.Tensor;

import java.lang.ref.WeakReference;
import java.util.List;
import java.util.function.Function;
import java.util.function.UnaryOperator;

/**
 * Batches of a data set in sampler order, built by worker threads in the background, PyTorch's
 * {@code torch.utils.data.DataLoader}:
 * <pre>{@code
 * try (var loader = DataLoader.builder(train).batchSize(128).shuffle(true).seed(42).numWorkers(2).build()) {
 *     for (int epoch = 0; epoch < epochs; epoch++) {
 *         loader.setEpoch(epoch);
 *         for (Batch batch : loader) {
 *             try (batch; var scope = Scope.open()) { ... batch.get(0), batch.get(1) ... }
 *         }
 *     }
 * }
 * }</pre>
 * Batch k of a pass is made from the k-th index list only, so a pass is the same for a given seed
 * and epoch whatever the number of workers or their timing. One pass runs at a time: starting a
 * new one ends the previous one, closing the loader ends it too, and a pass left by a
 * {@code break} stops its workers once it is garbage collected, so worker threads never outlive
 * their use. Close the loader (or the {@link BatchIterator}) to stop them at once.
 *
 * <p>With {@code shuffle}, pass i uses epoch i unless {@link #setEpoch} chose one; a sampler given
 * by the caller keeps the epoch the caller sets (through {@link #setEpoch} or the sampler itself).
 *
 * <p>{@code device(cuda)} makes the workers copy each batch to the device: with {@code pinMemory}
 * the copy is staged through page-locked memory and runs on the device's copy stream while the
 * previous step computes, and the compute stream waits for it (on the device, not the host) only
 * when the batch is taken; without it the worker copies synchronously. {@link #stats()} says how
 * long the consumer waited for workers and how long the compute stream waited for copies. As in
 * PyTorch, {@code pinMemory} without a GPU device is ignored with a warning.
 */
public final class DataLoader implements Iterable<Batch>, AutoCloseable {
    private final BatchSampler batchSampler;
    private final Function<int[], Batch> fetch;
    private final int numWorkers;
    private final int prefetchFactor;
    private final boolean ownsShuffle;
    private final FeedStats stats = new FeedStats();
    private long nextEpoch;
    /** Weak, so a pass abandoned by a break is collected and its Cleaner stops the workers. */
    private WeakReference<BatchIterator> current = new WeakReference<>(null);
    private boolean closed;

    private DataLoader(Builder b, Function<int[], Batch> fetch) {
        Function<int[], Batch> f = b.transfer == null ? fetch : fetch.andThen(b.transfer);
        if (b.device != null && !b.device.isCpu()) f = f.andThen(new DeviceTransfer(b.device, b.pinMemory));
        this.fetch = f;
        this.numWorkers = b.numWorkers;
        this.prefetchFactor = b.prefetchFactor;
        Sampler sampler = b.sampler;
        this.ownsShuffle = sampler == null && b.shuffle;
        if (sampler == null) sampler = b.shuffle ? new RandomSampler(b.datasetSize, b.seed) : new SequentialSampler(b.datasetSize);
        this.batchSampler = new BatchSampler(sampler, b.batchSize, b.dropLast);
    }

    /** A loader over tuples of tensors: gathers batches at once when the data set can, else stacks samples. */
    public static Builder builder(Dataset<List<Tensor>> dataset) {
        if (dataset instanceof BatchedDataset batched) return new Builder(dataset.size(), batched::getBatch);
        return builder(dataset, Collate.stack());
    }

    /** A loader over any samples, turned into batches by {@code collate}. */
    public static <T> Builder builder(Dataset<T> dataset, Collate<T> collate) {
        return new Builder(dataset.size(), indices -> {
            List<T> samples = new java.util.ArrayList<>(indices.length);
            for (int i : indices) samples.add(dataset.get(i));
            return collate.collate(samples);
        });
    }

    /** Number of batches per pass (PyTorch's len(loader)). */
    public int numBatches() {
        return batchSampler.size();
    }

    public Sampler sampler() {
        return batchSampler.sampler();
    }

    /** Chooses the epoch of the next pass (its shuffle order); forwarded to the sampler. */
    public synchronized void setEpoch(long epoch) {
        nextEpoch = epoch;
        batchSampler.sampler().setEpoch(epoch);
    }

    /** Starts a pass, ending the previous one if it is still running. */
    @Override
    public synchronized BatchIterator iterator() {
        if (closed) throw new IllegalStateException("the DataLoader is closed");
        closeCurrent();
        if (ownsShuffle) batchSampler.sampler().setEpoch(nextEpoch++);
        BatchIterator pass = new BatchIterator(batchSampler.batches(), fetch, numWorkers, prefetchFactor, stats);
        current = new WeakReference<>(pass);
        return pass;
    }

    /** Batches handed out, consumer waits for workers, and compute-stream waits for copies, so far. */
    public FeedStats.Snapshot stats() {
        return stats.snapshot();
    }

    /** Ends the running pass (stopping its workers); the loader cannot be used afterwards. Idempotent. */
    @Override
    public synchronized void close() {
        closed = true;
        closeCurrent();
        stats.release();
    }

    private void closeCurrent() {
        BatchIterator pass = current.get();
        if (pass != null) pass.close();
        current = new WeakReference<>(null);
    }

    /** Options, PyTorch's names and defaults (batch size 1, no shuffle, no workers, prefetch factor 2). */
    public static final class Builder {
        private final int datasetSize;
        private final Function<int[], Batch> fetch;
        private int batchSize = 1;
        private boolean shuffle;
        private long seed;
        private boolean dropLast;
        private Sampler sampler;
        private int numWorkers;
        private int prefetchFactor = 2;
        private boolean pinMemory;
        private UnaryOperator<Batch> transfer;
        private Device device;

        private Builder(int datasetSize, Function<int[], Batch> fetch) {
            this.datasetSize = datasetSize;
            this.fetch = fetch;
        }

        public Builder batchSize(int v) { batchSize = v; return this; }
        /** Visit samples in a random order drawn from (seed, epoch). */
        public Builder shuffle(boolean v) { shuffle = v; return this; }
        public Builder seed(long v) { seed = v; return this; }
        /** Drop the last batch when it is smaller than the batch size. */
        public Builder dropLast(boolean v) { dropLast = v; return this; }
        /** The index order (e.g. a {@link DistributedSampler}); excludes shuffle. */
        public Builder sampler(Sampler v) { sampler = v; return this; }
        /** Threads that build batches in the background; 0 builds them on the calling thread. */
        public Builder numWorkers(int v) { numWorkers = v; return this; }
        /** Batches each worker may have ready ahead of the consumer. */
        public Builder prefetchFactor(int v) { prefetchFactor = v; return this; }
        /** Stage device copies through page-locked memory, asynchronously on the copy stream (with {@link #device}). */
        public Builder pinMemory(boolean v) { pinMemory = v; return this; }
        /** Where batches should arrive: the workers copy them there (CPU: left where they are). */
        public Builder device(Device v) { device = v; return this; }
        /** A step run on each batch after collation, on the worker, before any device copy. */
        public Builder transfer(UnaryOperator<Batch> v) { transfer = v; return this; }

        public DataLoader build() {
            if (batchSize < 1) throw new IllegalArgumentException("DataLoader: batch_size must be >= 1, got " + batchSize);
            if (numWorkers < 0) throw new IllegalArgumentException("DataLoader: num_workers must be >= 0, got " + numWorkers);
            if (prefetchFactor < 1) throw new IllegalArgumentException("DataLoader: prefetch_factor must be >= 1, got " + prefetchFactor);
            if (sampler != null && shuffle)
                throw new IllegalArgumentException("DataLoader: sampler option is mutually exclusive with shuffle (shuffle with the sampler instead)");
            if (sampler != null && sampler.size() > 0 && datasetSize == 0)
                throw new IllegalArgumentException("DataLoader: the sampler yields " + sampler.size() + " indices for an empty data set");
            if (pinMemory && (device == null || device.isCpu())) {
                System.getLogger(DataLoader.class.getName()).log(System.Logger.Level.WARNING,
                        "DataLoader: pin_memory is set but batches stay on the CPU (no device(cuda:N) given), so pinned memory is not used");
                pinMemory = false;
            }
            return new DataLoader(this, fetch);
        }
    }
}
