package io.ddp4j.tensor.backend.cpu;

/**
 * Philox4x32-10 (Salmon et al., "Parallel random numbers: as easy as 1, 2, 3"), the counter-based
 * generator cuRAND and PyTorch's CUDA generator use: the numbers at a counter depend only on the
 * key and that counter, so any device can produce the same stream in any order.
 */
public final class Philox {
    private static final int M0 = 0xD2511F53, M1 = 0xCD9E8D57;
    private static final int W0 = 0x9E3779B9, W1 = 0xBB67AE85;

    private Philox() {}

    /** Four 32-bit outputs for counter (c0, c1, c2, c3) and key (k0, k1), into {@code out}. */
    public static void block(int c0, int c1, int c2, int c3, int k0, int k1, int[] out) {
        for (int round = 0; round < 10; round++) {
            long p0 = (M0 & 0xFFFFFFFFL) * (c0 & 0xFFFFFFFFL);
            long p1 = (M1 & 0xFFFFFFFFL) * (c2 & 0xFFFFFFFFL);
            int hi0 = (int) (p0 >>> 32), lo0 = (int) p0;
            int hi1 = (int) (p1 >>> 32), lo1 = (int) p1;
            int n0 = hi1 ^ c1 ^ k0;
            int n2 = hi0 ^ c3 ^ k1;
            c0 = n0;
            c1 = lo1;
            c2 = n2;
            c3 = lo0;
            k0 += W0;
            k1 += W1;
        }
        out[0] = c0;
        out[1] = c1;
        out[2] = c2;
        out[3] = c3;
    }

    /** The block for 64-bit counter {@code counter} (low words; subsequence 0) and 64-bit seed. */
    public static void block(long counter, long seed, int[] out) {
        block((int) counter, (int) (counter >>> 32), 0, 0, (int) seed, (int) (seed >>> 32), out);
    }

    /**
     * Maps a 32-bit output to [0, 1) with {@code bits} bits of it (the dtype's significand width,
     * at most 32), so the value can never round up to 1 when stored in that dtype.
     */
    public static double toUnit(int u, int bits) {
        return ((u & 0xFFFFFFFFL) >>> (32 - bits)) * Math.scalb(1.0, -bits);
    }
}
