package io.ddp4j.tensor.data;

/**
 * The share of one rank out of {@code numReplicas}, PyTorch's {@code DistributedSampler}: every rank
 * computes the same epoch order (a permutation of (seed, epoch) when shuffling, else 0..n-1), makes
 * its length a multiple of the world size (padding by repeating indices from the start, or with
 * {@code dropLast} cutting the tail), and takes every numReplicas-th index starting at its rank.
 * So all ranks get the same number of samples, disjoint apart from the padding, and together cover
 * the data set. Call {@link #setEpoch} at the start of each epoch, as in PyTorch, or every epoch
 * has the same order.
 */
public final class DistributedSampler implements Sampler {
    private final int datasetSize;
    private final int numReplicas;
    private final int rank;
    private final boolean shuffle;
    private final long seed;
    private final boolean dropLast;
    private final int numSamples;
    private volatile long epoch;

    /** Shuffled with seed 0, padded: PyTorch's defaults. */
    public DistributedSampler(int datasetSize, int numReplicas, int rank) {
        this(datasetSize, numReplicas, rank, true, 0, false);
    }

    public DistributedSampler(int datasetSize, int numReplicas, int rank, boolean shuffle, long seed, boolean dropLast) {
        if (datasetSize < 0) throw new IllegalArgumentException("DistributedSampler: dataset size must be >= 0, got " + datasetSize);
        if (numReplicas < 1) throw new IllegalArgumentException("DistributedSampler: num_replicas must be >= 1, got " + numReplicas);
        if (rank < 0 || rank >= numReplicas)
            throw new IllegalArgumentException("DistributedSampler: invalid rank " + rank + ", rank should be in the interval [0, " + (numReplicas - 1) + "]");
        this.datasetSize = datasetSize;
        this.numReplicas = numReplicas;
        this.rank = rank;
        this.shuffle = shuffle;
        this.seed = seed;
        this.dropLast = dropLast;
        // PyTorch: with drop_last, ceil((N - R) / R) = floor(N / R) samples; else ceil(N / R)
        this.numSamples = dropLast && datasetSize % numReplicas != 0 ? datasetSize / numReplicas
                : (datasetSize + numReplicas - 1) / numReplicas;
    }

    @Override
    public int size() {
        return numSamples;
    }

    /** numSamples * numReplicas: the epoch's length after padding or dropping. */
    public int totalSize() {
        return numSamples * numReplicas;
    }

    @Override
    public int[] indices() {
        int[] order = shuffle ? Shuffle.permutation(datasetSize, seed, epoch) : new SequentialSampler(datasetSize).indices();
        int[] out = new int[numSamples];
        // position k of the padded (or cut) order is order[k mod N]: padding repeats from the start
        for (int i = 0; i < numSamples; i++) out[i] = order[(rank + i * numReplicas) % datasetSize];
        return out;
    }

    @Override
    public void setEpoch(long epoch) {
        this.epoch = epoch;
    }

    public long epoch() {
        return epoch;
    }

    public int rank() {
        return rank;
    }

    public int numReplicas() {
        return numReplicas;
    }
}
