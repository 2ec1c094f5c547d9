package io.ddp4j.bindings.cublas;

import static io.ddp4j.bindings.cublas.Cublas.CUBLAS_OP_N;
import static io.ddp4j.bindings.cublas.Cublas.CUBLAS_OP_T;

/**
 * One cuBLASLt matmul, described the way cuBLAS sees it: column-major,
 * {@code D (m x n) = epilogue(alpha op(A) op(B) + beta C)} with {@code op(A)} m x k and
 * {@code op(B)} k x n, C and D of the same type and layout. Alpha and beta are {@code float}
 * (scale type {@code CUDA_R_32F}), so the compute type must be one of the 32-bit float ones.
 *
 * <h2>Row-major tensors</h2>
 * ddp4j's tensors are row-major. A row-major {@code r x c} matrix is, byte for byte, the
 * column-major {@code c x r} matrix of its transpose, so a row-major product {@code Y = X W^T}
 * is computed as the column-major {@code Y^T = W X^T}: operands swap places and each
 * transpose flag says whether the stored matrix must be transposed again. The {@code linear*}
 * factories do this once, for {@code nn.Linear}'s three GEMMs, with
 * {@code x [batch, in]}, {@code W [out, in]}, {@code b [out]} and {@code y [batch, out]}, all row-major.
 *
 * @param alignmentBytes the alignment every pointer given to the plan is promised to have; the
 *                       heuristic picks only algorithms that work with it, and the plan checks it
 * @param auxLd          leading dimension of the epilogue's aux matrix (in bits for the ReLU
 *                       mask, elements for GELU's input); 0 when the epilogue has none
 */
public record LtMatmulSpec(int transa, int transb, long m, long n, long k,
                           int aType, int bType, int cType, int computeType,
                           long lda, long ldb, long ldc,
                           LtEpilogue epilogue, long auxLd, int alignmentBytes) {

    /** What pointers from ddp4j's allocators are always aligned to: one fp32 element can be the start of a view. */
    public static final int DEFAULT_ALIGNMENT = 4;

    public LtMatmulSpec {
        if (epilogue == null) throw new IllegalArgumentException("epilogue must not be null (use LtEpilogue.DEFAULT)");
        requireOp("transa", transa);
        requireOp("transb", transb);
        requireDim("m", m);
        requireDim("n", n);
        requireDim("k", k);
        requireType("aType", aType);
        requireType("bType", bType);
        requireType("cType", cType);
        if (!Cublas.hasFloatScalars(computeType)) {
            throw new IllegalArgumentException("computeType " + computeType
                    + " is not a 32-bit float compute type; LtMatmulPlan passes alpha and beta as float");
        }
        requireLd("lda", lda, transa == CUBLAS_OP_N ? m : k, transa == CUBLAS_OP_N ? "m" : "k");
        requireLd("ldb", ldb, transb == CUBLAS_OP_N ? k : n, transb == CUBLAS_OP_N ? "k" : "n");
        requireLd("ldc", ldc, m, "m");
        if (epilogue.aux().present()) {
            int multiple = epilogue.aux().ldMultiple();
            if (auxLd < m || auxLd % multiple != 0) {
                throw new IllegalArgumentException("auxLd " + auxLd + " for epilogue " + epilogue
                        + " must be at least m = " + m + " and a multiple of " + multiple);
            }
        } else if (auxLd != 0) {
            throw new IllegalArgumentException("auxLd " + auxLd + " given, but epilogue " + epilogue + " has no aux matrix");
        }
        if (alignmentBytes <= 0 || alignmentBytes > 256 || Integer.bitCount(alignmentBytes) != 1) {
            throw new IllegalArgumentException("alignmentBytes " + alignmentBytes + " must be a power of two from 1 to 256");
        }
    }

    // ---- nn.Linear: y = x W^T + b, row-major --------------------------------------------------

    /**
     * Forward: {@code y = act(x W^T + b)}. Column-major it is {@code y^T (out x batch) = W x^T}:
     * A is W's buffer (column-major {@code in x out}, so transposed: {@code transa = T}),
     * B is x's buffer (column-major {@code in x batch} = x^T, as is), D is y's buffer with
     * {@code ldc = out}. The bias, one value per row of D, is one per output feature, which is
     * exactly how BIAS broadcasts it. With a *_AUX_* epilogue the aux matrix is {@code out x batch}
     * column-major (the mask or GELU input the backward pass reads back).
     */
    public static LtMatmulSpec linearForward(long batch, long in, long out, int dtype, int computeType, LtEpilogue epilogue) {
        long auxLd = epilogue.aux().present() ? roundUp(out, epilogue.aux().ldMultiple()) : 0;
        return new LtMatmulSpec(CUBLAS_OP_T, CUBLAS_OP_N, out, batch, in, dtype, dtype, dtype, computeType,
                in, in, out, epilogue, auxLd, DEFAULT_ALIGNMENT);
    }

    /**
     * Weight gradient, and with {@code withBiasGradient} the bias gradient in the same GEMM:
     * {@code dW = dy^T x} and {@code db = sum over the batch of dy}. Column-major,
     * {@code dW^T (in x out) = x^T dy}: A is x's buffer (column-major {@code in x batch}, as is),
     * B is dy's buffer (column-major {@code out x batch} = dy^T, so {@code transb = T} gives
     * dy, {@code batch x out}), D is dW's buffer ({@code ldc = in}). BGRADB sums op(B) over k,
     * the batch, giving one value per column of D: per output feature, which is {@code db}.
     * cuBLASLt documents {@code db} as stored, not as scaled by beta: a layer that accumulates
     * dW with beta = 1 should give a scratch {@code db} and add it itself.
     */
    public static LtMatmulSpec linearWeightGrad(long batch, long in, long out, int dtype, int computeType, boolean withBiasGradient) {
        return new LtMatmulSpec(CUBLAS_OP_N, CUBLAS_OP_T, in, out, batch, dtype, dtype, dtype, computeType,
                in, out, in, withBiasGradient ? LtEpilogue.BGRADB : LtEpilogue.DEFAULT, 0, DEFAULT_ALIGNMENT);
    }

    /**
     * Input gradient {@code dx = dy W}. Column-major, {@code dx^T (in x batch) = W^T dy^T}: A is
     * W's buffer (column-major {@code in x out} = W^T, as is), B is dy's buffer
     * ({@code out x batch} = dy^T, as is), D is dx's buffer ({@code ldc = in}).
     * When the layer before this one was {@code relu(x_prev W_prev^T + b_prev)} computed with
     * RELU_AUX_BIAS (or GELU_AUX_BIAS), {@code epilogue} DRELU_BGRAD (DGELU_BGRAD) turns dx into
     * that layer's pre-activation gradient and writes its {@code db_prev} (one per row of D, per
     * feature of x) in the same GEMM, reading the mask the forward pass stored; the aux leading
     * dimension then equals the previous layer's forward one, since its {@code out} is our {@code in}.
     */
    public static LtMatmulSpec linearInputGrad(long batch, long in, long out, int dtype, int computeType, LtEpilogue epilogue) {
        if (epilogue.bias() == LtEpilogue.Bias.READ || epilogue.bias() == LtEpilogue.Bias.GRADIENT_OF_COLUMNS
                || epilogue.aux() == LtEpilogue.Aux.RELU_MASK_OUT || epilogue.aux() == LtEpilogue.Aux.GELU_INPUT_OUT) {
            throw new IllegalArgumentException("linearInputGrad takes DEFAULT, DRELU, DRELU_BGRAD, DGELU or DGELU_BGRAD, not " + epilogue);
        }
        long auxLd = epilogue.aux().present() ? roundUp(in, epilogue.aux().ldMultiple()) : 0;
        return new LtMatmulSpec(CUBLAS_OP_N, CUBLAS_OP_N, in, batch, out, dtype, dtype, dtype, computeType,
                in, out, in, epilogue, auxLd, DEFAULT_ALIGNMENT);
    }

    /** The same matmul with pointers promised to be aligned to {@code bytes}. */
    public LtMatmulSpec withAlignment(int bytes) {
        return new LtMatmulSpec(transa, transb, m, n, k, aType, bType, cType, computeType, lda, ldb, ldc, epilogue, auxLd, bytes);
    }

    // ---- shapes of the stored matrices ----------------------------------------------------------

    /** Rows of A as stored (before op). */
    public long aRows() {
        return transa == CUBLAS_OP_N ? m : k;
    }

    public long aCols() {
        return transa == CUBLAS_OP_N ? k : m;
    }

    public long bRows() {
        return transb == CUBLAS_OP_N ? k : n;
    }

    public long bCols() {
        return transb == CUBLAS_OP_N ? n : k;
    }

    /** Length of the bias or bias-gradient vector; 0 when the epilogue has none. */
    public long biasLength() {
        return switch (epilogue.bias()) {
            case NONE -> 0;
            case READ, GRADIENT_OF_ROWS -> m;
            case GRADIENT_OF_COLUMNS -> n;
        };
    }

    /** Bytes of the aux matrix ({@code auxLd x n}: bits for the ReLU mask, elements of C's type for GELU). */
    public long auxBytes() {
        if (!epilogue.aux().present()) return 0;
        return epilogue.aux().isReluMask() ? auxLd * n / 8 : auxLd * n * CudaDataType.byteSize(cType);
    }

    // ---- checks -----------------------------------------------------------------------------

    private static void requireOp(String what, int op) {
        if (op != CUBLAS_OP_N && op != CUBLAS_OP_T) {
            throw new IllegalArgumentException(what + " " + op + " must be CUBLAS_OP_N (0) or CUBLAS_OP_T (1)");
        }
    }

    private static void requireDim(String what, long v) {
        if (v <= 0 || v > Integer.MAX_VALUE) throw new IllegalArgumentException(what + " " + v + " must be between 1 and 2^31-1");
    }

    private static void requireType(String what, int type) {
        if (!CudaDataType.isKnown(type)) throw new IllegalArgumentException(what + " " + type + " is not a known cudaDataType_t");
    }

    private static void requireLd(String what, long ld, long rows, String rowsName) {
        if (ld < rows) {
            throw new IllegalArgumentException(what + " " + ld + " is smaller than the " + rows + " rows (" + rowsName
                    + ") of the stored column-major matrix");
        }
    }

    private static long roundUp(long v, int multiple) {
        return (v + multiple - 1) / multiple * multiple;
    }
}
