package io.ddp4j.tensor.backend.cpu;

import io.ddp4j.tensor.DType;
import io.ddp4j.tensor.backend.BinaryOp;

/**
 * The rounding divisions (div trunc/floor, remainder, fmod) in the precision PyTorch computes
 * them: integers exactly, float64 in double, and float32, float16 and bfloat16 in float, since a
 * quotient rounded to float can reach an integer its double does not (1 / 0.1f truncates to 10).
 * The same arithmetic as native/kernels/tensor_binary.cu, which the GPU tests hold it to.
 */
final class CpuDivision {
    private CpuDivision() {}

    /**
     * The float dtype a rounding division of floats computes in: the operands' when they share
     * one; float32 when a 16-bit tensor meets a float32 scalar (PyTorch's scalar path, which rounds
     * nothing before the end). Integers divide in the integer lane ({@link CpuIntegers}).
     */
    static DType precision(DType a, DType b) {
        return a == b ? a : DType.F32;
    }

    static void apply(BinaryOp op, DType dtype, double[] x, double[] y, double[] r, int count) {
        if (dtype == DType.F64) {
            for (int i = 0; i < count; i++) r[i] = inDouble(op, x[i], y[i]);
        } else {
            for (int i = 0; i < count; i++) r[i] = inFloat(op, dtype, (float) x[i], (float) y[i]);
        }
    }

    /** A zero divisor gives 0 here as in the kernel; Elementwise refuses one on the CPU before this runs. */
    static long integer(BinaryOp op, long x, long y) {
        if (y == 0) return 0;
        return switch (op) {
            case DIV_TRUNC -> x / y; // Long.MIN_VALUE / -1 wraps, as in PyTorch
            case DIV_FLOOR -> Math.floorDiv(x, y);
            case REMAINDER -> Math.floorMod(x, y);
            case FMOD -> x % y;
            default -> throw new IllegalArgumentException(op + " is not a rounding division");
        };
    }

    static double inDouble(BinaryOp op, double a, double b) {
        return switch (op) {
            case DIV_TRUNC -> truncate(a / b);
            case DIV_FLOOR -> {
                if (b == 0) yield a / b; // +-inf or NaN
                double mod = a % b; // Java's % on doubles is C's fmod: exact
                double div = (a - mod) / b;
                if (mod != 0 && (b < 0) != (mod < 0)) div -= 1;
                if (div == 0) yield Math.copySign(0.0, a / b);
                double floored = Math.floor(div);
                yield div - floored > 0.5 ? floored + 1 : floored;
            }
            case REMAINDER -> {
                double mod = a % b;
                yield mod != 0 && (b < 0) != (mod < 0) ? mod + b : mod;
            }
            case FMOD -> a % b;
            default -> throw new IllegalArgumentException(op + " is not a rounding division");
        };
    }

    /**
     * In float, rounding each step to the 16-bit dtype for float16 and bfloat16, as PyTorch's
     * tensor kernels do (their arithmetic on Half and BFloat16 values rounds every result back):
     * a bfloat16 1 / 0.1 rounds to 10 before it is truncated.
     */
    static float inFloat(BinaryOp op, DType dtype, float a, float b) {
        return switch (op) {
            case DIV_TRUNC -> (float) truncate(round(dtype, a / b));
            case DIV_FLOOR -> {
                if (b == 0) yield a / b;
                float mod = a % b; // exact, and representable in the operands' dtype
                float div = round(dtype, round(dtype, a - mod) / b);
                if (mod != 0 && (b < 0) != (mod < 0)) div = round(dtype, div - 1);
                if (div == 0) yield Math.copySign(0.0f, a / b);
                float floored = (float) Math.floor(div);
                yield round(dtype, div - floored) > 0.5f ? round(dtype, floored + 1) : floored;
            }
            case REMAINDER -> {
                float mod = a % b;
                yield mod != 0 && (b < 0) != (mod < 0) ? mod + b : mod;
            }
            case FMOD -> a % b;
            default -> throw new IllegalArgumentException(op + " is not a rounding division");
        };
    }

    /** v rounded to the dtype's precision (nearest, ties to even); float32 unchanged. */
    static float round(DType dtype, float v) {
        return switch (dtype) {
            case F16 -> Float.float16ToFloat(Float.floatToFloat16(v));
            case BF16 -> Float.intBitsToFloat(CpuAccess.toBFloat16(v) << 16);
            default -> v;
        };
    }

    /** Rounds toward zero, keeping the sign of zero, infinities and NaN (C's trunc). */
    private static double truncate(double v) {
        return v < 0 ? Math.ceil(v) : Math.floor(v);
    }
}
