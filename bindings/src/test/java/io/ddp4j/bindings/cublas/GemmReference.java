package io.ddp4j.bindings.cublas;

import java.util.Random;

/**
 * Plain-Java matrix arithmetic the GPU results are compared with: column-major GEMM exactly as
 * cuBLAS defines it, the epilogues the tests use, and bf16 rounding. Sums in double so the
 * reference is closer to exact than anything it checks.
 */
final class GemmReference {
    private GemmReference() {}

    /** Element (row, col) of op(X), X stored column-major with leading dimension ld. */
    static float op(float[] x, int trans, long ld, long row, long col) {
        return trans == Cublas.CUBLAS_OP_N ? x[(int) (row + col * ld)] : x[(int) (col + row * ld)];
    }

    /** D = alpha op(A) op(B) + beta C, column-major, m x n with inner dimension k. */
    static float[] gemm(int transa, int transb, int m, int n, int k, float alpha, float[] a, int lda, float[] b, int ldb,
                        float beta, float[] c, int ldc) {
        float[] d = c.clone();
        for (int j = 0; j < n; j++) {
            for (int i = 0; i < m; i++) {
                double s = 0;
                for (int p = 0; p < k; p++) s += (double) op(a, transa, lda, i, p) * op(b, transb, ldb, p, j);
                d[i + j * ldc] = (float) (alpha * s + beta * c[i + j * ldc]);
            }
        }
        return d;
    }

    /**
     * D as a plan for {@code spec} computes it with alpha 1 and beta 0, for DEFAULT, RELU, BIAS,
     * RELU_BIAS, GELU, GELU_BIAS, and BGRADA/BGRADB (whose D is the plain product; see
     * {@link #columnSumsOfOpB}).
     */
    static float[] forward(LtMatmulSpec spec, float[] a, float[] b, float[] bias) {
        int m = (int) spec.m(), n = (int) spec.n(), ldc = (int) spec.ldc();
        float[] d = gemm(spec.transa(), spec.transb(), m, n, (int) spec.k(), 1f, a, (int) spec.lda(), b, (int) spec.ldb(),
                0f, new float[ldc * n], ldc);
        LtEpilogue e = spec.epilogue();
        boolean relu = e == LtEpilogue.RELU || e == LtEpilogue.RELU_BIAS;
        boolean gelu = e == LtEpilogue.GELU || e == LtEpilogue.GELU_BIAS;
        boolean addBias = e.bias() == LtEpilogue.Bias.READ;
        boolean plain = e == LtEpilogue.DEFAULT || e == LtEpilogue.BGRADA || e == LtEpilogue.BGRADB;
        if (e.aux().present() || !plain && !relu && !gelu && !addBias) throw new IllegalArgumentException("no reference for " + e);
        for (int j = 0; j < n; j++) {
            for (int i = 0; i < m; i++) {
                float v = d[i + j * ldc] + (addBias ? bias[i] : 0f);
                d[i + j * ldc] = relu ? Math.max(v, 0f) : gelu ? geluTanh(v) : v;
            }
        }
        return d;
    }

    /**
     * GELU as cuBLASLt's epilogue computes it, the tanh approximation (PyTorch's
     * {@code gelu(approximate="tanh")}, the form PyTorch hands to this epilogue):
     * 0.5 x (1 + tanh(sqrt(2 / pi) (x + 0.044715 x^3))).
     */
    static float geluTanh(float x) {
        double u = Math.sqrt(2 / Math.PI) * (x + 0.044715 * x * x * x);
        return (float) (0.5 * x * (1 + Math.tanh(u)));
    }

    /** BGRADB's bias gradient: op(B) (k x n) summed over k, one value per column. */
    static float[] columnSumsOfOpB(LtMatmulSpec spec, float[] b) {
        float[] g = new float[(int) spec.n()];
        for (int j = 0; j < spec.n(); j++) {
            double s = 0;
            for (int p = 0; p < spec.k(); p++) s += op(b, spec.transb(), spec.ldb(), p, j);
            g[j] = (float) s;
        }
        return g;
    }

    static float[] random(Random rnd, int count) {
        float[] x = new float[count];
        for (int i = 0; i < count; i++) x[i] = rnd.nextFloat() * 2f - 1f;
        return x;
    }

    /** The bf16 bit pattern nearest to {@code x} (round to nearest even; inputs here are finite). */
    static short toBf16(float x) {
        int bits = Float.floatToRawIntBits(x);
        int rounding = 0x7FFF + ((bits >>> 16) & 1);
        return (short) ((bits + rounding) >>> 16);
    }

    static float fromBf16(short h) {
        return Float.intBitsToFloat((h & 0xFFFF) << 16);
    }

    /** {@code x} rounded to bf16 and back: what the GPU actually multiplies. */
    static float[] roundedToBf16(float[] x) {
        float[] r = new float[x.length];
        for (int i = 0; i < x.length; i++) r[i] = fromBf16(toBf16(x[i]));
        return r;
    }

    static float[] roundedToFp16(float[] x) {
        float[] r = new float[x.length];
        for (int i = 0; i < x.length; i++) r[i] = Float.float16ToFloat(Float.floatToFloat16(x[i]));
        return r;
    }

    /** Largest |expected - actual| over the first {@code count} elements. */
    static double maxAbsDiff(float[] expected, float[] actual) {
        if (expected.length != actual.length) throw new IllegalArgumentException(expected.length + " != " + actual.length);
        double max = 0;
        for (int i = 0; i < expected.length; i++) max = Math.max(max, Math.abs((double) expected[i] - actual[i]));
        return max;
    }
}
