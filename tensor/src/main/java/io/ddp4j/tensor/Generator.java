package io.ddp4j.tensor;

/**
 * A seeded source of random numbers: a Philox4x32-10 key (the seed) and a counter offset that each
 * call advances by the blocks it used, like PyTorch's CUDA generator. Two generators with one seed
 * give the same tensors in the same order, on any device and any number of threads.
 */
public final class Generator {
    private final long seed;
    private long offset;

    public Generator(long seed) {
        this.seed = seed;
    }

    /** A generator that continues where one with {@code seed} stood at {@code offset} (checkpoint resume). */
    public static Generator at(long seed, long offset) {
        if (offset < 0) throw new IllegalArgumentException("a generator offset is >= 0, got " + offset);
        Generator g = new Generator(seed);
        g.offset = offset;
        return g;
    }

    public long seed() {
        return seed;
    }

    /** The counter the next call starts at. */
    public synchronized long offset() {
        return offset;
    }

    /** Reserves {@code blocks} counters (4 numbers each) and returns the first. */
    public synchronized long reserve(long blocks) {
        long first = offset;
        offset += blocks;
        return first;
    }
}
