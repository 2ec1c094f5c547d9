package io.ddp4j.ddp.pg;

/**
 * How all-reduce, reduce and reduce-scatter combine values. For BOOL, SUM and MAX are "or",
 * MIN and PRODUCT are "and"; AVG is refused for BOOL. For integer types AVG is the sum divided
 * by the group size, rounded toward zero (like NCCL); 16-bit floats are widened to float for
 * each step and rounded back.
 */
public enum ReduceOp {
    SUM, AVG, MIN, MAX, PRODUCT;

    /** Stable byte for the wire, independent of declaration order. */
    public byte code() {
        return switch (this) {
            case SUM -> 1;
            case AVG -> 2;
            case MIN -> 3;
            case MAX -> 4;
            case PRODUCT -> 5;
        };
    }

    public static ReduceOp fromCode(byte code) {
        for (ReduceOp op : values()) if (op.code() == code) return op;
        throw new IllegalArgumentException("unknown reduce op code " + code);
    }
}
