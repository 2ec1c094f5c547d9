package io.ddp4j.tensor.backend.cpu;

/**
 * The one matrix-product kernel of the cpu backend, on dense double arrays: C = A B with every
 * element summed in double over k in ascending order, starting from +0, one rounding per
 * multiply and per add (Java never fuses them). That is exactly what the plain triple loop
 * computes, so blocking changes speed and never a bit of the result.
 *
 * <p>Four rows of C at a time are summed in four private arrays of up to {@value #NB} columns,
 * so each element of B read from memory serves four multiply-adds, and two rows of B (two steps of
 * k) go through each pass, so an accumulator is loaded and stored once per two products (about
 * 1.4x faster than one step per pass, measured on this project's 2-core build machine). Each sum
 * still adds its products one at a time, in ascending k: {@code (t + a0 * b0) + a1 * b1}. The rows
 * of B are first copied to scratch arrays indexed like the accumulators: a loop whose arrays are
 * all indexed by the same j is one the JIT vectorises (with B at another offset it cannot rule out
 * overlap and stays scalar, about four times slower).
 */
final class CpuGemm {
    static final int NB = 256;

    private CpuGemm() {}

    /**
     * C[cOff + i*ldc + j] = sum over p of A[aOff + i*lda + p] * B[bOff + p*ldb + j], for i in
     * [0, m), j in [0, n); the sum starts from +0 and runs over p = 0 .. k-1 in order. Runs on the
     * Vector API when {@link CpuVectorSupport#enabled()}, on {@link #plainGemm} otherwise: same bits.
     */
    static void gemm(double[] a, int aOff, int lda, double[] b, int bOff, int ldb,
                     double[] c, int cOff, int ldc, int m, int n, int k) {
        if (CpuVectorSupport.enabled()) CpuVectorGemm.gemm(a, aOff, lda, b, bOff, ldb, c, cOff, ldc, m, n, k);
        else plainGemm(a, aOff, lda, b, bOff, ldb, c, cOff, ldc, m, n, k);
    }

    /** {@link #gemm} in loops the JIT vectorises by itself, for a JVM without the Vector API. */
    static void plainGemm(double[] a, int aOff, int lda, double[] b, int bOff, int ldb,
                          double[] c, int cOff, int ldc, int m, int n, int k) {
        int width = Math.min(NB, n);
        double[] t0 = new double[width], t1 = new double[width], t2 = new double[width], t3 = new double[width];
        double[] bb = new double[width], bb1 = new double[width];
        for (int j0 = 0; j0 < n; j0 += NB) {
            int nj = Math.min(NB, n - j0);
            int i = 0;
            for (; i + 3 < m; i += 4) {
                java.util.Arrays.fill(t0, 0.0);
                java.util.Arrays.fill(t1, 0.0);
                java.util.Arrays.fill(t2, 0.0);
                java.util.Arrays.fill(t3, 0.0);
                int r0 = aOff + i * lda, r1 = r0 + lda, r2 = r1 + lda, r3 = r2 + lda;
                int p = 0;
                for (; p + 1 < k; p += 2) {
                    double a00 = a[r0 + p], a01 = a[r0 + p + 1], a10 = a[r1 + p], a11 = a[r1 + p + 1];
                    double a20 = a[r2 + p], a21 = a[r2 + p + 1], a30 = a[r3 + p], a31 = a[r3 + p + 1];
                    int bp = bOff + p * ldb + j0;
                    System.arraycopy(b, bp, bb, 0, nj);
                    System.arraycopy(b, bp + ldb, bb1, 0, nj);
                    for (int j = 0; j < nj; j++) {
                        double v0 = bb[j], v1 = bb1[j];
                        t0[j] = (t0[j] + a00 * v0) + a01 * v1;
                        t1[j] = (t1[j] + a10 * v0) + a11 * v1;
                        t2[j] = (t2[j] + a20 * v0) + a21 * v1;
                        t3[j] = (t3[j] + a30 * v0) + a31 * v1;
                    }
                }
                for (; p < k; p++) {
                    double a0 = a[r0 + p], a1 = a[r1 + p], a2 = a[r2 + p], a3 = a[r3 + p];
                    System.arraycopy(b, bOff + p * ldb + j0, bb, 0, nj);
                    for (int j = 0; j < nj; j++) {
                        double bv = bb[j];
                        t0[j] += a0 * bv;
                        t1[j] += a1 * bv;
                        t2[j] += a2 * bv;
                        t3[j] += a3 * bv;
                    }
                }
                int c0 = cOff + i * ldc + j0;
                System.arraycopy(t0, 0, c, c0, nj);
                System.arraycopy(t1, 0, c, c0 + ldc, nj);
                System.arraycopy(t2, 0, c, c0 + 2 * ldc, nj);
                System.arraycopy(t3, 0, c, c0 + 3 * ldc, nj);
            }
            for (; i < m; i++) {
                java.util.Arrays.fill(t0, 0.0);
                int r0 = aOff + i * lda;
                for (int p = 0; p < k; p++) {
                    double a0 = a[r0 + p];
                    System.arraycopy(b, bOff + p * ldb + j0, bb, 0, nj);
                    for (int j = 0; j < nj; j++) t0[j] += a0 * bb[j];
                }
                System.arraycopy(t0, 0, c, cOff + i * ldc + j0, nj);
            }
        }
    }
}
