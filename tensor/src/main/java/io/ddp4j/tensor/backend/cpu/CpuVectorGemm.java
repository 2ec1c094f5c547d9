package io.ddp4j.tensor.backend.cpu;

import java.util.Arrays;
import jdk.incubator.vector.DoubleVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * {@link CpuGemm}'s product written with the Vector API, for the same bits in about half the time:
 * a tile of 4 rows by 3 vectors of C is summed in 12 vector registers, so each product costs one
 * multiply and one add and no load or store of its accumulator. The auto-vectorised loop it
 * replaces keeps its accumulators in arrays and loads and stores them on every pass.
 *
 * <p>The lanes run over the columns j, and each lane adds its products in ascending k starting
 * from +0, with a separate multiply and add (never a fused one), exactly as the plain triple loop
 * does. C is computed one panel of {@link #NR} columns at a time, in one of two ways:
 * <ul>
 *   <li>directly from B, for a whole panel and a short k: the accumulators start at zero and are
 *       stored into C once;</li>
 *   <li>packed, for the last, partial panel and for a long k: {@link #KC} rows of the panel are
 *       copied into a contiguous scratch block, zero-padded to the full width, so the inner loop
 *       needs no masks and reads B in order; the sums wait in a scratch block between blocks of k
 *       (stored and reloaded as doubles, so the order of the additions is unchanged). Read
 *       directly, a long k walks the panel's rows of B from level-2 cache at B's row stride, at a
 *       third of the speed (measured: a 64x128 by 3136 product, 12 against 32 GFLOP/s).</li>
 * </ul>
 *
 * <p>Only {@link CpuVectorSupport} may load this class: it refers to {@code jdk.incubator.vector},
 * which a JVM resolves only when started with {@code --add-modules jdk.incubator.vector}.
 */
final class CpuVectorGemm {
    private static final VectorSpecies<Double> S = DoubleVector.SPECIES_PREFERRED;
    private static final int L = S.length();
    /** Rows and columns of C per register tile. */
    private static final int MR = 4, NR = 3 * L;
    /** Rows of B per packed block (24 KiB at 8 lanes), and the longest k read directly. */
    private static final int KC = 128, DIRECT_MAX_K = 256;
    /** Rows of C per packed pass, which bounds the scratch sums. */
    private static final int MC = 256;
    /** This thread's packed block of B and scratch sums; a leaf task of the cpu backend runs one product at a time. */
    private static final ThreadLocal<double[][]> SCRATCH = ThreadLocal.withInitial(() -> new double[][] {new double[KC * NR], new double[MC * NR]});

    private CpuVectorGemm() {}

    /** The lanes of one vector, for {@link CpuVectorSupport}'s description. */
    static int lanes() {
        return L;
    }

    /** Same contract as {@link CpuGemm#gemm}. */
    static void gemm(double[] a, int aOff, int lda, double[] b, int bOff, int ldb,
                     double[] c, int cOff, int ldc, int m, int n, int k) {
        for (int j = 0; j < n; j += NR) {
            int nj = Math.min(NR, n - j);
            if (nj == NR && k <= DIRECT_MAX_K) {
                int i = 0;
                for (; i + MR <= m; i += MR) tile(a, aOff + i * lda, lda, b, bOff + j, ldb, c, cOff + i * ldc + j, ldc, k);
                for (; i < m; i++) row(a, aOff + i * lda, b, bOff + j, ldb, c, cOff + i * ldc + j, k);
            } else {
                for (int i0 = 0; i0 < m; i0 += MC) {
                    packedPanel(a, aOff + i0 * lda, lda, b, bOff + j, ldb, c, cOff + i0 * ldc + j, ldc, Math.min(MC, m - i0), nj, k);
                }
            }
        }
    }

    /** C[0..m, 0..nj) for one panel of at most {@link #NR} columns, from packed blocks of B. */
    private static void packedPanel(double[] a, int aOff, int lda, double[] b, int bOff, int ldb,
                                    double[] c, int cOff, int ldc, int m, int nj, int k) {
        double[][] scratch = SCRATCH.get();
        double[] block = scratch[0], sums = scratch[1];
        Arrays.fill(sums, 0, m * NR, 0.0);
        for (int p0 = 0; p0 < k; p0 += KC) {
            int pk = Math.min(KC, k - p0);
            for (int p = 0; p < pk; p++) {
                System.arraycopy(b, bOff + (p0 + p) * ldb, block, p * NR, nj);
                // the lanes past nj are computed and never stored; zeros keep stale values (a subnormal
                // is slow to multiply) out of them
                if (nj < NR) Arrays.fill(block, p * NR + nj, (p + 1) * NR, 0.0);
            }
            int i = 0;
            for (; i + MR <= m; i += MR) accumulateTile(a, aOff + i * lda + p0, lda, block, sums, i * NR, pk);
            for (; i < m; i++) accumulateRow(a, aOff + i * lda + p0, block, sums, i * NR, pk);
        }
        for (int i = 0; i < m; i++) System.arraycopy(sums, i * NR, c, cOff + i * ldc, nj);
    }

    /** One register tile read directly from B: C[4 rows, NR columns] = A[4 rows, 0..k) B[0..k, NR columns], from +0. */
    private static void tile(double[] a, int r0, int lda, double[] b, int bj, int ldb, double[] c, int cp, int ldc, int k) {
        DoubleVector z = DoubleVector.zero(S);
        DoubleVector c00 = z, c01 = z, c02 = z, c10 = z, c11 = z, c12 = z;
        DoubleVector c20 = z, c21 = z, c22 = z, c30 = z, c31 = z, c32 = z;
        int r1 = r0 + lda, r2 = r1 + lda, r3 = r2 + lda;
        for (int p = 0; p < k; p++) {
            int bp = bj + p * ldb;
            DoubleVector b0 = DoubleVector.fromArray(S, b, bp);
            DoubleVector b1 = DoubleVector.fromArray(S, b, bp + L);
            DoubleVector b2 = DoubleVector.fromArray(S, b, bp + 2 * L);
            double x = a[r0 + p];
            c00 = c00.add(b0.mul(x)); c01 = c01.add(b1.mul(x)); c02 = c02.add(b2.mul(x));
            x = a[r1 + p];
            c10 = c10.add(b0.mul(x)); c11 = c11.add(b1.mul(x)); c12 = c12.add(b2.mul(x));
            x = a[r2 + p];
            c20 = c20.add(b0.mul(x)); c21 = c21.add(b1.mul(x)); c22 = c22.add(b2.mul(x));
            x = a[r3 + p];
            c30 = c30.add(b0.mul(x)); c31 = c31.add(b1.mul(x)); c32 = c32.add(b2.mul(x));
        }
        c00.intoArray(c, cp); c01.intoArray(c, cp + L); c02.intoArray(c, cp + 2 * L);
        cp += ldc;
        c10.intoArray(c, cp); c11.intoArray(c, cp + L); c12.intoArray(c, cp + 2 * L);
        cp += ldc;
        c20.intoArray(c, cp); c21.intoArray(c, cp + L); c22.intoArray(c, cp + 2 * L);
        cp += ldc;
        c30.intoArray(c, cp); c31.intoArray(c, cp + L); c32.intoArray(c, cp + 2 * L);
    }

    /** {@link #tile} for one row (the rows past the last group of {@link #MR}). */
    private static void row(double[] a, int r0, double[] b, int bj, int ldb, double[] c, int cp, int k) {
        DoubleVector c0 = DoubleVector.zero(S), c1 = c0, c2 = c0;
        for (int p = 0; p < k; p++) {
            int bp = bj + p * ldb;
            double x = a[r0 + p];
            c0 = c0.add(DoubleVector.fromArray(S, b, bp).mul(x));
            c1 = c1.add(DoubleVector.fromArray(S, b, bp + L).mul(x));
            c2 = c2.add(DoubleVector.fromArray(S, b, bp + 2 * L).mul(x));
        }
        c0.intoArray(c, cp); c1.intoArray(c, cp + L); c2.intoArray(c, cp + 2 * L);
    }

    /**
     * One register tile over a packed block: sums[4 rows, NR] += A[4 rows, 0..k) block[0..k, NR],
     * continuing the sums where the previous block left them. The same loop as {@link #tile}: one
     * kernel for both, loading its starting sums from a zeroed C on the direct path, measured 35%
     * slower at k = 9 (the first convolution's product) and 10-15% slower at k near 200.
     */
    private static void accumulateTile(double[] a, int r0, int lda, double[] block, double[] sums, int q0, int k) {
        int q1 = q0 + NR, q2 = q1 + NR, q3 = q2 + NR;
        DoubleVector c00 = DoubleVector.fromArray(S, sums, q0), c01 = DoubleVector.fromArray(S, sums, q0 + L), c02 = DoubleVector.fromArray(S, sums, q0 + 2 * L);
        DoubleVector c10 = DoubleVector.fromArray(S, sums, q1), c11 = DoubleVector.fromArray(S, sums, q1 + L), c12 = DoubleVector.fromArray(S, sums, q1 + 2 * L);
        DoubleVector c20 = DoubleVector.fromArray(S, sums, q2), c21 = DoubleVector.fromArray(S, sums, q2 + L), c22 = DoubleVector.fromArray(S, sums, q2 + 2 * L);
        DoubleVector c30 = DoubleVector.fromArray(S, sums, q3), c31 = DoubleVector.fromArray(S, sums, q3 + L), c32 = DoubleVector.fromArray(S, sums, q3 + 2 * L);
        int r1 = r0 + lda, r2 = r1 + lda, r3 = r2 + lda;
        for (int p = 0; p < k; p++) {
            int bp = p * NR;
            DoubleVector b0 = DoubleVector.fromArray(S, block, bp);
            DoubleVector b1 = DoubleVector.fromArray(S, block, bp + L);
            DoubleVector b2 = DoubleVector.fromArray(S, block, bp + 2 * L);
            double x = a[r0 + p];
            c00 = c00.add(b0.mul(x)); c01 = c01.add(b1.mul(x)); c02 = c02.add(b2.mul(x));
            x = a[r1 + p];
            c10 = c10.add(b0.mul(x)); c11 = c11.add(b1.mul(x)); c12 = c12.add(b2.mul(x));
            x = a[r2 + p];
            c20 = c20.add(b0.mul(x)); c21 = c21.add(b1.mul(x)); c22 = c22.add(b2.mul(x));
            x = a[r3 + p];
            c30 = c30.add(b0.mul(x)); c31 = c31.add(b1.mul(x)); c32 = c32.add(b2.mul(x));
        }
        c00.intoArray(sums, q0); c01.intoArray(sums, q0 + L); c02.intoArray(sums, q0 + 2 * L);
        c10.intoArray(sums, q1); c11.intoArray(sums, q1 + L); c12.intoArray(sums, q1 + 2 * L);
        c20.intoArray(sums, q2); c21.intoArray(sums, q2 + L); c22.intoArray(sums, q2 + 2 * L);
        c30.intoArray(sums, q3); c31.intoArray(sums, q3 + L); c32.intoArray(sums, q3 + 2 * L);
    }

    /** {@link #accumulateTile} for one row. */
    private static void accumulateRow(double[] a, int r0, double[] block, double[] sums, int q0, int k) {
        DoubleVector c0 = DoubleVector.fromArray(S, sums, q0), c1 = DoubleVector.fromArray(S, sums, q0 + L), c2 = DoubleVector.fromArray(S, sums, q0 + 2 * L);
        for (int p = 0; p < k; p++) {
            int bp = p * NR;
            double x = a[r0 + p];
            c0 = c0.add(DoubleVector.fromArray(S, block, bp).mul(x));
            c1 = c1.add(DoubleVector.fromArray(S, block, bp + L).mul(x));
            c2 = c2.add(DoubleVector.fromArray(S, block, bp + 2 * L).mul(x));
        }
        c0.intoArray(sums, q0); c1.intoArray(sums, q0 + L); c2.intoArray(sums, q0 + 2 * L);
    }
}
