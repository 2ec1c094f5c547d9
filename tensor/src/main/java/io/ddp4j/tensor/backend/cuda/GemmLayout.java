package io.ddp4j.tensor.backend.cuda;

/**
 * How a row-major [rows, cols] matrix with element strides (rowStride, colStride) looks to cuBLAS,
 * which is column-major. ROW: the memory is X^T in column-major order with leading dim
 * {@code ld} (colStride 1); COL: it is X itself in column-major order (rowStride 1). Null from
 * {@link #of} means neither holds and the matrix must be copied dense first.
 */
record GemmLayout(Kind kind, long ld) {
    enum Kind { ROW, COL }

    static GemmLayout of(int rows, int cols, long rowStride, long colStride) {
        if (rowStride < 0 || colStride < 0) return null;
        // size-1 dims may carry any stride; read them as whatever makes the layout valid
        boolean rowOk = (cols == 1 || colStride == 1) && (rows == 1 || rowStride >= cols);
        if (rowOk) return new GemmLayout(Kind.ROW, rows == 1 ? Math.max(1, cols) : rowStride);
        boolean colOk = (rows == 1 || rowStride == 1) && (cols == 1 || colStride >= rows);
        if (colOk) return new GemmLayout(Kind.COL, cols == 1 ? Math.max(1, rows) : colStride);
        return null;
    }

    /**
     * One strided-batched GEMM computing out[b] = a[b] x b[b] (row-major) as cuBLAS's
     * C' = op(A') op(B') with C' = out^T (n x m, column-major), A' = the b operand, B' = the a operand.
     */
    record Plan(int transa, int transb, int m, int n, int k, int lda, int ldb, int ldc) {}

    static final int OP_N = 0, OP_T = 1;

    /** The plan, or null when a leading dim does not fit an int or out is not row-major. */
    static Plan plan(int m, int n, int k, GemmLayout a, GemmLayout b, GemmLayout out) {
        if (a == null || b == null || out == null || out.kind != Kind.ROW) return null;
        if (a.ld > Integer.MAX_VALUE || b.ld > Integer.MAX_VALUE || out.ld > Integer.MAX_VALUE) return null;
        // A' = b: op(A') must be b^T (n x k). ROW: memory is b^T already; COL: memory is b, transpose it.
        int transa = b.kind == Kind.ROW ? OP_N : OP_T;
        // B' = a: op(B') must be a^T (k x m).
        int transb = a.kind == Kind.ROW ? OP_N : OP_T;
        return new Plan(transa, transb, n, m, k, (int) b.ld, (int) a.ld, (int) out.ld);
    }

    /**
     * What cuBLAS computes for a plan, on the host in double, over flat arrays addressed like
     * device memory (column-major with leading dims, batch strides): the reference the layout
     * tests check plans against.
     */
    static void emulate(Plan p, int batch, double[] aMem, long aOff, long strideA, double[] bMem, long bOff, long strideB,
                        double[] cMem, long cOff, long strideC) {
        // here A' is the b operand's memory and B' the a operand's, as plan() set them up
        for (int bi = 0; bi < batch; bi++) {
            for (int i = 0; i < p.m(); i++) {
                for (int j = 0; j < p.n(); j++) {
                    double acc = 0;
                    for (int q = 0; q < p.k(); q++) {
                        double x = p.transa() == OP_N ? aMem[(int) (aOff + bi * strideA + i + (long) q * p.lda())]
                                : aMem[(int) (aOff + bi * strideA + q + (long) i * p.lda())];
                        double y = p.transb() == OP_N ? bMem[(int) (bOff + bi * strideB + q + (long) j * p.ldb())]
                                : bMem[(int) (bOff + bi * strideB + j + (long) q * p.ldb())];
                        acc += x * y;
                    }
                    cMem[(int) (cOff + bi * strideC + i + (long) j * p.ldc())] = acc;
                }
            }
        }
    }
}
