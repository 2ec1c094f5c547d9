package io.ddp4j.ddp.pg.nccl;

import io.ddp4j.bindings.nccl.Nccl;
import io.ddp4j.ddp.pg.ReduceOp;
import io.ddp4j.ddp.pg.Reductions;
import io.ddp4j.tensor.DType;

/**
 * ddp4j dtypes and reduce ops as NCCL's {@code ncclDataType_t} and {@code ncclRedOp_t}. Every
 * DType has an NCCL type. BOOL travels as uint8 (ddp4j bools are 0 or 1 in one byte) and its
 * reductions become max ("or", for SUM and MAX) and min ("and", for MIN and PRODUCT), so a
 * result is again 0 or 1, as in the host backends; AVG of bools is refused. AVG is NCCL's own
 * ncclAvg (NCCL 2.10+), which divides after summing (integers: rounded toward zero).
 */
public final class NcclTypes {
    private NcclTypes() {}

    public static int dataType(DType dtype) {
        return switch (dtype) {
            case F32 -> Nccl.ncclFloat32;
            case F16 -> Nccl.ncclFloat16;
            case BF16 -> Nccl.ncclBfloat16;
            case F64 -> Nccl.ncclFloat64;
            case I32 -> Nccl.ncclInt32;
            case I64 -> Nccl.ncclInt64;
            case U8, BOOL -> Nccl.ncclUint8;
        };
    }

    /** The NCCL operator for {@code op} on {@code dtype}; throws for a combination with no meaning (AVG of bool). */
    public static int redOp(ReduceOp op, DType dtype) {
        Reductions.check(dtype, op);
        if (dtype == DType.BOOL) {
            return switch (op) {
                case SUM, MAX -> Nccl.ncclMax;
                case MIN, PRODUCT -> Nccl.ncclMin;
                case AVG -> throw new AssertionError("refused by Reductions.check");
            };
        }
        return switch (op) {
            case SUM -> Nccl.ncclSum;
            case AVG -> Nccl.ncclAvg;
            case MIN -> Nccl.ncclMin;
            case MAX -> Nccl.ncclMax;
            case PRODUCT -> Nccl.ncclProd;
        };
    }
}
