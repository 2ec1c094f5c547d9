package io.ddp4j.tensor;

import io.ddp4j.tensor.backend.BinaryOp;

/**
 * How {@link Tensor#div(Tensor, RoundingMode)} rounds the quotient: PyTorch's
 * {@code rounding_mode="trunc"} and {@code "floor"}. Unlike plain division, which is true
 * division (integers give float32), a rounded division of integers stays an integer tensor.
 */
public enum RoundingMode {
    /** Toward zero, as C's integer division: -7 / 2 is -3. */
    TRUNC(BinaryOp.DIV_TRUNC),
    /** Down, as Python's //: -7 // 2 is -4. */
    FLOOR(BinaryOp.DIV_FLOOR);

    private final BinaryOp op;

    RoundingMode(BinaryOp op) {
        this.op = op;
    }

    /** The elementwise op that divides with this rounding. */
    public BinaryOp op() {
        return op;
    }
}
