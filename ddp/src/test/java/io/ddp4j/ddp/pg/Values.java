package io.ddp4j.ddp.pg;

import io.ddp4j.tensor.DType;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * Test data and the serial reference. Inputs are small integers chosen so every partial result
 * is exact in every dtype (sums stay below 256, products are powers of two), which makes the
 * ring's reduction order irrelevant and lets the tests compare exactly.
 */
final class Values {
    private Values() {}

    static long input(int rank, long i, DType t, ReduceOp op) {
        if (t == DType.BOOL) return ((rank + i) % 3 == 0) ? 1 : (op == ReduceOp.MIN || op == ReduceOp.PRODUCT ? ((rank * 5 + i) % 4 == 0 ? 0 : 1) : 0);
        return switch (op) {
            case SUM, AVG -> (rank * 3 + i) % 5;
            case PRODUCT -> (rank + i) % 3 == 0 ? 2 : 1;
            case MIN, MAX -> t == DType.U8 ? (rank * 7 + i * 3) % 11 : (rank * 7 + i * 3) % 11 - 5;
        };
    }

    /** The expected element of reducing rank inputs 0..w-1, computed serially in long/float arithmetic. */
    static double expected(int w, long i, DType t, ReduceOp op) {
        long acc = input(0, i, t, op);
        for (int r = 1; r < w; r++) {
            long v = input(r, i, t, op);
            acc = switch (op) {
                case SUM, AVG -> t == DType.BOOL ? (acc | v) : acc + v;
                case PRODUCT -> t == DType.BOOL ? (acc & v) : acc * v;
                case MIN -> t == DType.BOOL ? (acc & v) : Math.min(acc, v);
                case MAX -> t == DType.BOOL ? (acc | v) : Math.max(acc, v);
            };
        }
        if (t == DType.U8) acc &= 0xff;
        if (op != ReduceOp.AVG) return acc;
        if (t == DType.F64) return (double) acc / w;
        if (t.isFloatingPoint()) return read(write(t, (float) acc / w), t);
        return acc / w;
    }

    /** Rounds a float through the dtype, as the collective does for its final division. */
    private static MemorySegment write(DType t, float v) {
        MemorySegment s = Arena.ofAuto().allocate(8);
        put(s, 0, t, v);
        return s;
    }

    private static double read(MemorySegment s, DType t) {
        return get(s, 0, t);
    }

    static HostBuffer buffer(Arena arena, DType t, long count) {
        return HostBuffer.allocate(arena, t, count);
    }

    static void fill(HostBuffer b, int rank, ReduceOp op) {
        for (long i = 0; i < b.count(); i++) put(b.segment(), i, b.dtype(), input(rank, i, b.dtype(), op));
    }

    static void put(MemorySegment s, long i, DType t, double v) {
        switch (t) {
            case F32 -> s.set(ValueLayout.JAVA_FLOAT_UNALIGNED, i * 4, (float) v);
            case F64 -> s.set(ValueLayout.JAVA_DOUBLE_UNALIGNED, i * 8, v);
            case F16 -> s.set(ValueLayout.JAVA_SHORT_UNALIGNED, i * 2, Float.floatToFloat16((float) v));
            case BF16 -> s.set(ValueLayout.JAVA_SHORT_UNALIGNED, i * 2, Reductions.floatToBf16((float) v));
            case I32 -> s.set(ValueLayout.JAVA_INT_UNALIGNED, i * 4, (int) v);
            case I64 -> s.set(ValueLayout.JAVA_LONG_UNALIGNED, i * 8, (long) v);
            case U8, BOOL -> s.set(ValueLayout.JAVA_BYTE, i, (byte) (long) v);
        }
    }

    static double get(MemorySegment s, long i, DType t) {
        return switch (t) {
            case F32 -> s.get(ValueLayout.JAVA_FLOAT_UNALIGNED, i * 4);
            case F64 -> s.get(ValueLayout.JAVA_DOUBLE_UNALIGNED, i * 8);
            case F16 -> Float.float16ToFloat(s.get(ValueLayout.JAVA_SHORT_UNALIGNED, i * 2));
            case BF16 -> Reductions.bf16ToFloat(s.get(ValueLayout.JAVA_SHORT_UNALIGNED, i * 2));
            case I32 -> s.get(ValueLayout.JAVA_INT_UNALIGNED, i * 4);
            case I64 -> s.get(ValueLayout.JAVA_LONG_UNALIGNED, i * 8);
            case U8 -> s.get(ValueLayout.JAVA_BYTE, i) & 0xff;
            case BOOL -> s.get(ValueLayout.JAVA_BYTE, i);
        };
    }
}
