package io.ddp4j.tensor.data;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Groups a sampler's indices into batches of {@code batchSize}, PyTorch's {@code BatchSampler}: the
 * last batch is smaller, or dropped with {@code dropLast}.
 */
public final class BatchSampler {
    private final Sampler sampler;
    private final int batchSize;
    private final boolean dropLast;

    public BatchSampler(Sampler sampler, int batchSize, boolean dropLast) {
        if (batchSize < 1) throw new IllegalArgumentException("BatchSampler: batch_size must be >= 1, got " + batchSize);
        this.sampler = sampler;
        this.batchSize = batchSize;
        this.dropLast = dropLast;
    }

    /** Number of batches per epoch. */
    public int size() {
        int n = sampler.size();
        return dropLast ? n / batchSize : (n + batchSize - 1) / batchSize;
    }

    /** This epoch's batches of indices, in order. */
    public List<int[]> batches() {
        int[] all = sampler.indices();
        List<int[]> out = new ArrayList<>(size());
        for (int from = 0; from < all.length; from += batchSize) {
            int to = Math.min(all.length, from + batchSize);
            if (to - from < batchSize && dropLast) break;
            out.add(Arrays.copyOfRange(all, from, to));
        }
        return out;
    }

    public Sampler sampler() {
        return sampler;
    }
}
