package io.ddp4j.tensor.backend;

/**
 * Elementwise functions of two tensors of one dtype; comparisons write BOOL outputs. The kernels
 * switch on the ordinals (native/kernels/tensor_binary.cu), so new ops go at the end.
 */
public enum BinaryOp {
    ADD, SUB, MUL, DIV, POW, MAXIMUM, MINIMUM,
    EQ, LT, GT, LE, GE,
    /** The quotient rounded toward zero: PyTorch's div(rounding_mode="trunc"). */
    DIV_TRUNC,
    /** The quotient rounded down: PyTorch's div(rounding_mode="floor") and floor_divide, Python's //. */
    DIV_FLOOR,
    /** x - y * floor(x / y), which takes the divisor's sign: PyTorch's remainder, Python's %. */
    REMAINDER,
    /** x - y * trunc(x / y), which takes the dividend's sign: PyTorch's fmod, C's fmod. */
    FMOD,
    /** x != y, written as BOOL (NaN differs from everything, itself included). */
    NE;

    public boolean isComparison() {
        return switch (this) {
            case EQ, NE, LT, GT, LE, GE -> true;
            default -> false;
        };
    }

    /** The ops that round a quotient: on integer dtypes they divide exactly, and a zero divisor is an error. */
    public boolean isRoundingDivision() {
        return switch (this) {
            case DIV_TRUNC, DIV_FLOOR, REMAINDER, FMOD -> true;
            default -> false;
        };
    }
}
