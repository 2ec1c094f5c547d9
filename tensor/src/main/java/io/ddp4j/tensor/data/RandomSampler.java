package io.ddp4j.tensor.data;

/**
 * A permutation of 0..n-1 drawn from (seed, epoch), PyTorch's {@code RandomSampler} without
 * replacement: the same for a given seed and epoch, different from epoch to epoch.
 */
public final class RandomSampler implements Sampler {
    private final int n;
    private final long seed;
    private volatile long epoch;

    public RandomSampler(int n, long seed) {
        if (n < 0) throw new IllegalArgumentException("RandomSampler: size must be >= 0, got " + n);
        this.n = n;
        this.seed = seed;
    }

    @Override
    public int size() {
        return n;
    }

    @Override
    public int[] indices() {
        return Shuffle.permutation(n, seed, epoch);
    }

    @Override
    public void setEpoch(long epoch) {
        this.epoch = epoch;
    }

    public long epoch() {
        return epoch;
    }
}
