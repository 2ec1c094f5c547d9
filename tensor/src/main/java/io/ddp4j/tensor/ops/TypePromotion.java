package io.ddp4j.tensor.ops;

import io.ddp4j.tensor.DType;
import io.ddp4j.tensor.Tensor;
import io.ddp4j.tensor.backend.BinaryOp;

/**
 * PyTorch's type promotion for elementwise ops ({@code torch.result_type} and
 * {@code torch.promote_types}), so mixed operands give the dtype a PyTorch user expects instead
 * of an error:
 * <ul>
 *   <li>Dtypes rank by category, bool below integers below floating point. Within a category the
 *       wider type wins (uint8 with int32 gives int32; float16 with bfloat16 gives float32, as
 *       neither holds the other).</li>
 *   <li>A 0-d tensor takes part only when its category is above the other operand's, so
 *       {@code f16_tensor.mul(f32_scalar_tensor)} stays float16 and an int64 tensor times a 0-d
 *       float16 tensor is float16.</li>
 *   <li>A Java scalar is a "wrapped number": a {@code long} counts as an integer, a {@code double}
 *       as a float; it changes the result only by category, and a float scalar meeting an integer
 *       or bool tensor gives float32 (PyTorch's default dtype), e.g. {@code ints.mul(0.5)}.</li>
 * </ul>
 * True division ({@code div}) of integers or bools is done in float32, as PyTorch's {@code /};
 * so are the floating unary ops (exp, log, ...) of integers, and {@code clamp} of integers by
 * float bounds ({@code double}s, Python floats; {@code long} bounds keep the integer dtype).
 */
public final class TypePromotion {
    private TypePromotion() {}

    /** The dtype a float scalar gives when it outranks a tensor (PyTorch's default dtype). */
    public static final DType DEFAULT_FLOAT = DType.F32;

    private static int category(DType t) {
        if (t == DType.BOOL) return 0;
        return t.isFloatingPoint() ? 2 : 1;
    }

    /** {@code torch.promote_types}: the smallest dtype both convert to without losing their category. */
    public static DType promoteTypes(DType a, DType b) {
        if (a == b) return a;
        if (a == DType.BOOL) return b;
        if (b == DType.BOOL) return a;
        int ca = category(a), cb = category(b);
        if (ca != cb) return ca > cb ? a : b; // integer with floating: the floating one
        if (ca == 2) return a == DType.F64 || b == DType.F64 ? DType.F64 : DType.F32; // f32 with narrower, or f16 with bf16
        return wider(a) >= wider(b) ? a : b; // uint8 < int32 < int64: the signed wider one holds the other
    }

    private static int wider(DType integral) {
        return switch (integral) {
            case U8 -> 0;
            case I32 -> 1;
            default -> 2; // I64
        };
    }

    /**
     * PyTorch's combine_categories: {@code higher} is the type of the operands that take priority
     * (tensors with dims over 0-d tensors over scalars), {@code lower} of the others. The lower one
     * counts only when its category is above the higher one's.
     */
    private static DType combine(DType higher, DType lower) {
        if (higher.isFloatingPoint()) return higher;
        if (higher == DType.BOOL || lower.isFloatingPoint()) return promoteTypes(higher, lower);
        return higher;
    }

    /** {@code torch.result_type(a, b)} for two tensors. */
    public static DType resultType(Tensor a, Tensor b) {
        boolean zeroA = a.dim() == 0, zeroB = b.dim() == 0;
        if (zeroA == zeroB) return promoteTypes(a.dtype(), b.dtype());
        return zeroA ? combine(b.dtype(), a.dtype()) : combine(a.dtype(), b.dtype());
    }

    /** {@code torch.result_type(t, scalar)}: an integer scalar ({@code long}) or a float one ({@code double}). */
    public static DType resultType(Tensor t, boolean floatScalar) {
        DType wrapped = floatScalar ? DEFAULT_FLOAT : DType.I64;
        return combine(t.dtype(), wrapped);
    }

    /** The dtype {@code op} computes in for operands of common type {@code common}: true division needs floating point. */
    static DType computeType(BinaryOp op, DType common) {
        return op == BinaryOp.DIV && !common.isFloatingPoint() ? DEFAULT_FLOAT : common;
    }
}
