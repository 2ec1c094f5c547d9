package io.ddp4j.tensor.backend.cpu;

import io.ddp4j.tensor.DType;
import io.ddp4j.tensor.backend.BinaryOp;
import io.ddp4j.tensor.backend.UnaryOp;

/**
 * The integer lane: integer and bool tensors computed in long, so int64 is exact over its whole
 * range (a double holds integers only up to 2^53) and overflow wraps as it does in PyTorch's C++.
 * Narrower dtypes compute in long too and keep their low bits when written, which is the same
 * wrap: addition, subtraction and multiplication modulo 2^32 (or 2^8) do not depend on the bits
 * above. The same arithmetic as the integer paths of native/kernels/tensor_binary.cu and
 * tensor_unary.cu, which the GPU tests hold it to.
 */
final class CpuIntegers {
    private CpuIntegers() {}

    /** Whether every dtype is an integer or bool type, so an op on them can run in this lane. */
    static boolean all(DType... types) {
        for (DType t : types) if (t.isFloatingPoint()) return false;
        return true;
    }

    /** Whether this lane computes op; true division of integers is a float op (PyTorch promotes first). */
    static boolean computes(BinaryOp op) {
        return op != BinaryOp.DIV;
    }

    /** Whether this lane computes op; the rest (exp, log, ...) need floats, and Elementwise promotes first. */
    static boolean computes(UnaryOp op) {
        return switch (op) {
            case NEG, ABS, RELU, STEP, SIGN -> true;
            default -> false;
        };
    }

    static void binary(BinaryOp op, long[] x, long[] y, long[] r, int count) {
        switch (op) {
            case ADD -> { for (int i = 0; i < count; i++) r[i] = x[i] + y[i]; }
            case SUB -> { for (int i = 0; i < count; i++) r[i] = x[i] - y[i]; }
            case MUL -> { for (int i = 0; i < count; i++) r[i] = x[i] * y[i]; }
            case POW -> { for (int i = 0; i < count; i++) r[i] = pow(x[i], y[i]); }
            case MAXIMUM -> { for (int i = 0; i < count; i++) r[i] = Math.max(x[i], y[i]); }
            case MINIMUM -> { for (int i = 0; i < count; i++) r[i] = Math.min(x[i], y[i]); }
            case EQ -> { for (int i = 0; i < count; i++) r[i] = x[i] == y[i] ? 1 : 0; }
            case NE -> { for (int i = 0; i < count; i++) r[i] = x[i] != y[i] ? 1 : 0; }
            case LT -> { for (int i = 0; i < count; i++) r[i] = x[i] < y[i] ? 1 : 0; }
            case GT -> { for (int i = 0; i < count; i++) r[i] = x[i] > y[i] ? 1 : 0; }
            case LE -> { for (int i = 0; i < count; i++) r[i] = x[i] <= y[i] ? 1 : 0; }
            case GE -> { for (int i = 0; i < count; i++) r[i] = x[i] >= y[i] ? 1 : 0; }
            case DIV_TRUNC, DIV_FLOOR, REMAINDER, FMOD -> { for (int i = 0; i < count; i++) r[i] = CpuDivision.integer(op, x[i], y[i]); }
            case DIV -> throw new IllegalArgumentException("div of integers is computed in floats, not in the integer lane");
        }
    }

    static void unary(UnaryOp op, long[] x, long[] r, int count) {
        switch (op) {
            case NEG -> { for (int i = 0; i < count; i++) r[i] = -x[i]; } // -Long.MIN_VALUE wraps to itself, as in C++
            case ABS -> { for (int i = 0; i < count; i++) r[i] = Math.abs(x[i]); }
            case RELU -> { for (int i = 0; i < count; i++) r[i] = Math.max(x[i], 0); }
            case STEP -> { for (int i = 0; i < count; i++) r[i] = x[i] > 0 ? 1 : 0; }
            case SIGN -> { for (int i = 0; i < count; i++) r[i] = Long.signum(x[i]); }
            default -> throw new IllegalArgumentException(op + " of integers is computed in floats, not in the integer lane");
        }
    }

    /**
     * PyTorch's integer power: by repeated squaring, wrapping on overflow; a negative exponent
     * gives 1 for a base of 1, +-1 for -1 and 0 for any other base (the integer part of the
     * true power). PyTorch refuses a negative scalar exponent earlier; tensors of exponents reach here.
     */
    static long pow(long base, long exponent) {
        if (exponent < 0) {
            if (base == 1) return 1;
            if (base == -1) return (exponent & 1) == 0 ? 1 : -1;
            return 0;
        }
        long result = 1;
        for (long e = exponent, b = base; e != 0; e >>>= 1, b *= b) if ((e & 1) != 0) result *= b;
        return result;
    }
}
