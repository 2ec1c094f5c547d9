package io.ddp4j.ddp.pg;

import io.ddp4j.tensor.DType;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * Element-wise combination of host buffers for every dtype. Layouts are unaligned because
 * received payloads live in byte arrays; values are in native order. 16-bit floats are widened
 * to float, combined, and rounded back per element (round to nearest even), so a sum of
 * float16s is a sequence of float16 additions, as on a GPU.
 */
public final class Reductions {
    private Reductions() {}

    private static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT_UNALIGNED;
    private static final ValueLayout.OfDouble F64 = ValueLayout.JAVA_DOUBLE_UNALIGNED;
    private static final ValueLayout.OfInt I32 = ValueLayout.JAVA_INT_UNALIGNED;
    private static final ValueLayout.OfLong I64 = ValueLayout.JAVA_LONG_UNALIGNED;
    private static final ValueLayout.OfShort I16 = ValueLayout.JAVA_SHORT_UNALIGNED;
    private static final ValueLayout.OfByte U8 = ValueLayout.JAVA_BYTE;

    /** Rejects combinations that have no meaning, before any rank starts the op. */
    public static void check(DType dtype, ReduceOp op) {
        if (dtype == DType.BOOL && op == ReduceOp.AVG) {
            throw new IllegalArgumentException("AVG is not defined for bool; use SUM or MAX (logical or) or MIN or PRODUCT (logical and)");
        }
    }

    /** {@code dst[i] = dst[i] op src[i]} for i in [0, count); AVG combines as SUM (divide afterwards). */
    public static void reduceInto(MemorySegment dst, MemorySegment src, DType dtype, ReduceOp op, long count) {
        switch (dtype) {
            case F32 -> f32(dst, src, op, count);
            case F64 -> f64(dst, src, op, count);
            case F16 -> {
                for (long i = 0, o = 0; i < count; i++, o += 2) {
                    float r = f(Float.float16ToFloat(dst.get(I16, o)), Float.float16ToFloat(src.get(I16, o)), op);
                    dst.set(I16, o, Float.floatToFloat16(r));
                }
            }
            case BF16 -> {
                for (long i = 0, o = 0; i < count; i++, o += 2) {
                    float r = f(bf16ToFloat(dst.get(I16, o)), bf16ToFloat(src.get(I16, o)), op);
                    dst.set(I16, o, floatToBf16(r));
                }
            }
            case I32 -> i32(dst, src, op, count);
            case I64 -> i64(dst, src, op, count);
            case U8 -> {
                for (long i = 0; i < count; i++) dst.set(U8, i, (byte) l(dst.get(U8, i) & 0xff, src.get(U8, i) & 0xff, op));
            }
            case BOOL -> {
                boolean or = op == ReduceOp.SUM || op == ReduceOp.MAX;
                for (long i = 0; i < count; i++) {
                    boolean a = dst.get(U8, i) != 0;
                    boolean b = src.get(U8, i) != 0;
                    dst.set(U8, i, (byte) ((or ? a || b : a && b) ? 1 : 0));
                }
            }
        }
    }

    // One simple indexed loop per dtype and op, the op chosen outside the loop, so the JIT
    // compiles each to a tight (vectorised where it can) loop instead of a switch per element.

    private static void f32(MemorySegment dst, MemorySegment src, ReduceOp op, long n) {
        switch (op) {
            case SUM, AVG -> { for (long i = 0; i < n; i++) dst.setAtIndex(F32, i, dst.getAtIndex(F32, i) + src.getAtIndex(F32, i)); }
            case MIN -> { for (long i = 0; i < n; i++) dst.setAtIndex(F32, i, Math.min(dst.getAtIndex(F32, i), src.getAtIndex(F32, i))); }
            case MAX -> { for (long i = 0; i < n; i++) dst.setAtIndex(F32, i, Math.max(dst.getAtIndex(F32, i), src.getAtIndex(F32, i))); }
            case PRODUCT -> { for (long i = 0; i < n; i++) dst.setAtIndex(F32, i, dst.getAtIndex(F32, i) * src.getAtIndex(F32, i)); }
        }
    }

    private static void f64(MemorySegment dst, MemorySegment src, ReduceOp op, long n) {
        switch (op) {
            case SUM, AVG -> { for (long i = 0; i < n; i++) dst.setAtIndex(F64, i, dst.getAtIndex(F64, i) + src.getAtIndex(F64, i)); }
            case MIN -> { for (long i = 0; i < n; i++) dst.setAtIndex(F64, i, Math.min(dst.getAtIndex(F64, i), src.getAtIndex(F64, i))); }
            case MAX -> { for (long i = 0; i < n; i++) dst.setAtIndex(F64, i, Math.max(dst.getAtIndex(F64, i), src.getAtIndex(F64, i))); }
            case PRODUCT -> { for (long i = 0; i < n; i++) dst.setAtIndex(F64, i, dst.getAtIndex(F64, i) * src.getAtIndex(F64, i)); }
        }
    }

    /** Integer ops wrap on overflow, like PyTorch's integer tensors. */
    private static void i32(MemorySegment dst, MemorySegment src, ReduceOp op, long n) {
        switch (op) {
            case SUM, AVG -> { for (long i = 0; i < n; i++) dst.setAtIndex(I32, i, dst.getAtIndex(I32, i) + src.getAtIndex(I32, i)); }
            case MIN -> { for (long i = 0; i < n; i++) dst.setAtIndex(I32, i, Math.min(dst.getAtIndex(I32, i), src.getAtIndex(I32, i))); }
            case MAX -> { for (long i = 0; i < n; i++) dst.setAtIndex(I32, i, Math.max(dst.getAtIndex(I32, i), src.getAtIndex(I32, i))); }
            case PRODUCT -> { for (long i = 0; i < n; i++) dst.setAtIndex(I32, i, dst.getAtIndex(I32, i) * src.getAtIndex(I32, i)); }
        }
    }

    private static void i64(MemorySegment dst, MemorySegment src, ReduceOp op, long n) {
        switch (op) {
            case SUM, AVG -> { for (long i = 0; i < n; i++) dst.setAtIndex(I64, i, dst.getAtIndex(I64, i) + src.getAtIndex(I64, i)); }
            case MIN -> { for (long i = 0; i < n; i++) dst.setAtIndex(I64, i, Math.min(dst.getAtIndex(I64, i), src.getAtIndex(I64, i))); }
            case MAX -> { for (long i = 0; i < n; i++) dst.setAtIndex(I64, i, Math.max(dst.getAtIndex(I64, i), src.getAtIndex(I64, i))); }
            case PRODUCT -> { for (long i = 0; i < n; i++) dst.setAtIndex(I64, i, dst.getAtIndex(I64, i) * src.getAtIndex(I64, i)); }
        }
    }

    /** Divides every element by {@code n}: the second half of AVG. Integers round toward zero. */
    public static void divide(MemorySegment seg, DType dtype, long count, int n) {
        if (n == 1) return;
        // x / n and x * (1 / n) are the same real number when 1 / n is exact (n a power of two), so
        // they round to the same bits; a multiply costs a fraction of a divide (the DDP average
        // of every gradient, each step)
        boolean exactReciprocal = Integer.bitCount(n) == 1;
        switch (dtype) {
            case F32 -> {
                if (exactReciprocal) {
                    float r = 1f / n;
                    for (long i = 0; i < count; i++) seg.setAtIndex(F32, i, seg.getAtIndex(F32, i) * r);
                } else {
                    for (long i = 0; i < count; i++) seg.setAtIndex(F32, i, seg.getAtIndex(F32, i) / n);
                }
            }
            case F64 -> {
                if (exactReciprocal) {
                    double r = 1.0 / n;
                    for (long i = 0; i < count; i++) seg.setAtIndex(F64, i, seg.getAtIndex(F64, i) * r);
                } else {
                    for (long i = 0; i < count; i++) seg.setAtIndex(F64, i, seg.getAtIndex(F64, i) / n);
                }
            }
            case F16 -> {
                for (long o = 0; o < count * 2; o += 2) seg.set(I16, o, Float.floatToFloat16(Float.float16ToFloat(seg.get(I16, o)) / n));
            }
            case BF16 -> {
                for (long o = 0; o < count * 2; o += 2) seg.set(I16, o, floatToBf16(bf16ToFloat(seg.get(I16, o)) / n));
            }
            case I32 -> {
                for (long o = 0; o < count * 4; o += 4) seg.set(I32, o, seg.get(I32, o) / n);
            }
            case I64 -> {
                for (long o = 0; o < count * 8; o += 8) seg.set(I64, o, seg.get(I64, o) / n);
            }
            case U8 -> {
                for (long o = 0; o < count; o++) seg.set(U8, o, (byte) ((seg.get(U8, o) & 0xff) / n));
            }
            case BOOL -> throw new IllegalArgumentException("AVG is not defined for bool");
        }
    }

    private static float f(float a, float b, ReduceOp op) {
        return switch (op) {
            case SUM, AVG -> a + b;
            case MIN -> Math.min(a, b);
            case MAX -> Math.max(a, b);
            case PRODUCT -> a * b;
        };
    }

    private static double d(double a, double b, ReduceOp op) {
        return switch (op) {
            case SUM, AVG -> a + b;
            case MIN -> Math.min(a, b);
            case MAX -> Math.max(a, b);
            case PRODUCT -> a * b;
        };
    }

    /** Integer ops wrap on overflow, like PyTorch's integer tensors. */
    private static long l(long a, long b, ReduceOp op) {
        return switch (op) {
            case SUM, AVG -> a + b;
            case MIN -> Math.min(a, b);
            case MAX -> Math.max(a, b);
            case PRODUCT -> a * b;
        };
    }

    public static float bf16ToFloat(short bits) {
        return Float.intBitsToFloat((bits & 0xffff) << 16);
    }

    /** Round to nearest even; NaN stays a (quiet) NaN instead of rounding into infinity. */
    public static short floatToBf16(float f) {
        if (Float.isNaN(f)) return (short) 0x7fc0;
        int bits = Float.floatToRawIntBits(f);
        int rounded = bits + 0x7fff + ((bits >>> 16) & 1);
        return (short) (rounded >>> 16);
    }
}
