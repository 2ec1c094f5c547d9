package io.ddp4j.bindings.cublas;

/**
 * {@code cublasLtEpilogue_t}: what cuBLASLt does to the product before it stores D, and which
 * extra vectors and matrices that needs. Values as in cublasLt.h.
 */
public enum LtEpilogue {
    DEFAULT(CublasLt.CUBLASLT_EPILOGUE_DEFAULT, Bias.NONE, Aux.NONE),
    RELU(CublasLt.CUBLASLT_EPILOGUE_RELU, Bias.NONE, Aux.NONE),
    RELU_AUX(CublasLt.CUBLASLT_EPILOGUE_RELU_AUX, Bias.NONE, Aux.RELU_MASK_OUT),
    BIAS(CublasLt.CUBLASLT_EPILOGUE_BIAS, Bias.READ, Aux.NONE),
    RELU_BIAS(CublasLt.CUBLASLT_EPILOGUE_RELU_BIAS, Bias.READ, Aux.NONE),
    RELU_AUX_BIAS(CublasLt.CUBLASLT_EPILOGUE_RELU_AUX_BIAS, Bias.READ, Aux.RELU_MASK_OUT),
    DRELU(CublasLt.CUBLASLT_EPILOGUE_DRELU, Bias.NONE, Aux.RELU_MASK_IN),
    DRELU_BGRAD(CublasLt.CUBLASLT_EPILOGUE_DRELU_BGRAD, Bias.GRADIENT_OF_ROWS, Aux.RELU_MASK_IN),
    GELU(CublasLt.CUBLASLT_EPILOGUE_GELU, Bias.NONE, Aux.NONE),
    GELU_AUX(CublasLt.CUBLASLT_EPILOGUE_GELU_AUX, Bias.NONE, Aux.GELU_INPUT_OUT),
    GELU_BIAS(CublasLt.CUBLASLT_EPILOGUE_GELU_BIAS, Bias.READ, Aux.NONE),
    GELU_AUX_BIAS(CublasLt.CUBLASLT_EPILOGUE_GELU_AUX_BIAS, Bias.READ, Aux.GELU_INPUT_OUT),
    DGELU(CublasLt.CUBLASLT_EPILOGUE_DGELU, Bias.NONE, Aux.GELU_INPUT_IN),
    DGELU_BGRAD(CublasLt.CUBLASLT_EPILOGUE_DGELU_BGRAD, Bias.GRADIENT_OF_ROWS, Aux.GELU_INPUT_IN),
    BGRADA(CublasLt.CUBLASLT_EPILOGUE_BGRADA, Bias.GRADIENT_OF_ROWS, Aux.NONE),
    BGRADB(CublasLt.CUBLASLT_EPILOGUE_BGRADB, Bias.GRADIENT_OF_COLUMNS, Aux.NONE);

    /** What the epilogue does with the vector at {@code CUBLASLT_MATMUL_DESC_BIAS_POINTER}. */
    public enum Bias {
        /** no bias vector */
        NONE,
        /** reads a bias of length rows(D), added to every column */
        READ,
        /** writes a bias gradient of length rows(D) */
        GRADIENT_OF_ROWS,
        /** writes a bias gradient of length cols(D) (BGRADB: op(B) summed over k) */
        GRADIENT_OF_COLUMNS
    }

    /** What the epilogue does with the matrix at {@code CUBLASLT_MATMUL_DESC_EPILOGUE_AUX_POINTER}. */
    public enum Aux {
        NONE,
        /** writes a bit mask of where ReLU passed (1 bit per element of D; ld in bits, a multiple of 128) */
        RELU_MASK_OUT,
        /** reads that bit mask in the backward pass */
        RELU_MASK_IN,
        /** writes GELU's input (D's type; ld a multiple of 8) */
        GELU_INPUT_OUT,
        /** reads GELU's input in the backward pass */
        GELU_INPUT_IN;

        public boolean present() {
            return this != NONE;
        }

        public boolean isReluMask() {
            return this == RELU_MASK_OUT || this == RELU_MASK_IN;
        }

        /** The multiple cuBLASLt requires of the aux leading dimension. */
        public int ldMultiple() {
            return switch (this) {
                case NONE -> 1;
                case RELU_MASK_OUT, RELU_MASK_IN -> 128;
                case GELU_INPUT_OUT, GELU_INPUT_IN -> 8;
            };
        }
    }

    private final int value;
    private final Bias bias;
    private final Aux aux;

    LtEpilogue(int value, Bias bias, Aux aux) {
        this.value = value;
        this.bias = bias;
        this.aux = aux;
    }

    /** The {@code cublasLtEpilogue_t} value. */
    public int value() {
        return value;
    }

    public Bias bias() {
        return bias;
    }

    public Aux aux() {
        return aux;
    }

    public boolean usesBiasPointer() {
        return bias != Bias.NONE;
    }

    /** The epilogue whose C value is {@code value}. */
    public static LtEpilogue of(int value) {
        for (LtEpilogue e : values()) if (e.value == value) return e;
        throw new IllegalArgumentException("unknown cublasLtEpilogue_t " + value);
    }
}
