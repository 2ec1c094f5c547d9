package io.ddp4j.ddp.pg.mpi;

import io.ddp4j.bindings.mpi.MpiHandles;
import io.ddp4j.ddp.pg.ReduceOp;
import io.ddp4j.tensor.DType;

/**
 * How ddp4j's dtypes and reduce ops map onto Open MPI's predefined handles. MPI has no 16-bit
 * float types, so F16 and BF16 travel as float32 (widened before, rounded back after); BOOL is C's
 * {@code _Bool}, whose SUM/MAX are logical or and MIN/PRODUCT logical and, as in the tcp backend.
 */
final class MpiTypes {
    private MpiTypes() {}

    /** The dtype that actually goes over MPI. */
    static DType wire(DType t) {
        return t == DType.F16 || t == DType.BF16 ? DType.F32 : t;
    }

    static long datatype(DType t) {
        return switch (wire(t)) {
            case F32 -> MpiHandles.typeFloat();
            case F64 -> MpiHandles.typeDouble();
            case I32 -> MpiHandles.typeInt32();
            case I64 -> MpiHandles.typeInt64();
            case U8 -> MpiHandles.typeUint8();
            case BOOL -> MpiHandles.typeCBool();
            case F16, BF16 -> throw new AssertionError("16-bit floats are widened first");
        };
    }

    /** AVG is a SUM here; the group divides afterwards, as the tcp backend does. */
    static long op(ReduceOp op, DType t) {
        boolean bool = t == DType.BOOL;
        return switch (op) {
            case SUM, AVG -> bool ? MpiHandles.opLor() : MpiHandles.opSum();
            case MAX -> bool ? MpiHandles.opLor() : MpiHandles.opMax();
            case MIN -> bool ? MpiHandles.opLand() : MpiHandles.opMin();
            case PRODUCT -> bool ? MpiHandles.opLand() : MpiHandles.opProd();
        };
    }
}
