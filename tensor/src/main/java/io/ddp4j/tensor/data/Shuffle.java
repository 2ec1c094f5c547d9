package io.ddp4j.tensor.data;

/**
 * Permutations drawn from (seed, epoch) with SplitMix64 and Fisher-Yates, written out here so the
 * order never depends on the JDK's Random implementation: every process, JVM version and run
 * agrees, which a distributed sampler needs.
 */
final class Shuffle {
    private long state;

    private Shuffle(long seed, long epoch) {
        // two distinct (seed, epoch) pairs should not collide the way seed + epoch would
        this.state = mix(seed) ^ mix(epoch + 0x632BE59BD9B4E019L);
    }

    static int[] permutation(int n, long seed, long epoch) {
        int[] p = new int[n];
        for (int i = 0; i < n; i++) p[i] = i;
        Shuffle rng = new Shuffle(seed, epoch);
        for (int i = n - 1; i > 0; i--) {
            int j = rng.nextInt(i + 1);
            int t = p[i];
            p[i] = p[j];
            p[j] = t;
        }
        return p;
    }

    private static long mix(long z) {
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }

    private long nextLong() {
        state += 0x9E3779B97F4A7C15L;
        return mix(state);
    }

    /** Uniform in [0, bound), without modulo bias (rejects the top sliver of the range). */
    private int nextInt(int bound) {
        long limit = Long.MAX_VALUE - Long.MAX_VALUE % bound;
        while (true) {
            long r = nextLong() >>> 1;
            if (r < limit) return (int) (r % bound);
        }
    }
}
