package io.ddp4j.tensor.backend;

/** Elementwise functions of two tensors of one dtype; comparisons write BOOL outputs. */
public enum BinaryOp {
    ADD, SUB, MUL, DIV, POW, MAXIMUM, MINIMUM,
    EQ, LT, GT, LE, GE;

    public boolean isComparison() {
        return ordinal() >= EQ.ordinal();
    }
}
