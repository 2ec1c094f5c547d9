package io.ddp4j.examples.train;

import io.ddp4j.tensor.data.Sampler;

/**
 * Indices rank, rank + world, rank + 2 world, ... below n: every sample exactly once across the
 * ranks, with no padding, so sums over the shards equal the sum over the whole set (evaluation).
 */
record StridedSampler(int n, int rank, int world) implements Sampler {
    StridedSampler {
        if (world < 1 || rank < 0 || rank >= world) throw new IllegalArgumentException("rank " + rank + " of " + world);
    }

    @Override
    public int size() {
        return n <= rank ? 0 : (n - rank + world - 1) / world;
    }

    @Override
    public int[] indices() {
        int[] idx = new int[size()];
        for (int i = 0; i < idx.length; i++) idx[i] = rank + i * world;
        return idx;
    }
}
