package io.ddp4j.tensor.backend.cpu;

import io.ddp4j.tensor.DType;
import io.ddp4j.tensor.backend.TensorData;
import io.ddp4j.tensor.memory.CpuStorage;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * Reads and writes elements of CPU tensors as doubles, in the tensor's logical row-major order
 * whatever its strides. Doubles hold every float dtype exactly and integers up to 2^53, which is
 * what a reference implementation needs; same-dtype copies go through raw bits instead.
 */
final class CpuAccess {
    private CpuAccess() {}

    static MemorySegment segment(TensorData t) {
        if (!(t.storage() instanceof CpuStorage cpu))
            throw new IllegalArgumentException("the cpu backend got a tensor on " + t.storage().device());
        return cpu.segment();
    }

    static double get(MemorySegment s, DType type, long i) {
        return switch (type) {
            case F32 -> s.getAtIndex(ValueLayout.JAVA_FLOAT, i);
            case F64 -> s.getAtIndex(ValueLayout.JAVA_DOUBLE, i);
            case F16 -> Float.float16ToFloat(s.getAtIndex(ValueLayout.JAVA_SHORT, i));
            case BF16 -> Float.intBitsToFloat((s.getAtIndex(ValueLayout.JAVA_SHORT, i) & 0xFFFF) << 16);
            case I32 -> s.getAtIndex(ValueLayout.JAVA_INT, i);
            case I64 -> s.getAtIndex(ValueLayout.JAVA_LONG, i);
            case U8 -> s.getAtIndex(ValueLayout.JAVA_BYTE, i) & 0xFF;
            case BOOL -> s.getAtIndex(ValueLayout.JAVA_BYTE, i) != 0 ? 1 : 0;
        };
    }

    static void set(MemorySegment s, DType type, long i, double v) {
        switch (type) {
            case F32 -> s.setAtIndex(ValueLayout.JAVA_FLOAT, i, (float) v);
            case F64 -> s.setAtIndex(ValueLayout.JAVA_DOUBLE, i, v);
            case F16 -> s.setAtIndex(ValueLayout.JAVA_SHORT, i, Float.floatToFloat16((float) v));
            case BF16 -> s.setAtIndex(ValueLayout.JAVA_SHORT, i, toBFloat16((float) v));
            case I32 -> s.setAtIndex(ValueLayout.JAVA_INT, i, (int) (long) v);
            case I64 -> s.setAtIndex(ValueLayout.JAVA_LONG, i, (long) v);
            case U8 -> s.setAtIndex(ValueLayout.JAVA_BYTE, i, (byte) (long) v);
            case BOOL -> s.setAtIndex(ValueLayout.JAVA_BYTE, i, (byte) (v != 0 ? 1 : 0));
        }
    }

    /** Round to nearest, ties to even, on the top 16 bits of the float; NaN stays a quiet NaN. */
    static short toBFloat16(float f) {
        int bits = Float.floatToRawIntBits(f);
        if (Float.isNaN(f)) return (short) ((bits >>> 16) | 0x0040);
        int rounding = 0x7FFF + ((bits >>> 16) & 1);
        return (short) ((bits + rounding) >>> 16);
    }

    static long getRaw(MemorySegment s, int byteSize, long i) {
        return switch (byteSize) {
            case 1 -> s.getAtIndex(ValueLayout.JAVA_BYTE, i);
            case 2 -> s.getAtIndex(ValueLayout.JAVA_SHORT, i);
            case 4 -> s.getAtIndex(ValueLayout.JAVA_INT, i);
            default -> s.getAtIndex(ValueLayout.JAVA_LONG, i);
        };
    }

    static void setRaw(MemorySegment s, int byteSize, long i, long v) {
        switch (byteSize) {
            case 1 -> s.setAtIndex(ValueLayout.JAVA_BYTE, i, (byte) v);
            case 2 -> s.setAtIndex(ValueLayout.JAVA_SHORT, i, (short) v);
            case 4 -> s.setAtIndex(ValueLayout.JAVA_INT, i, (int) v);
            default -> s.setAtIndex(ValueLayout.JAVA_LONG, i, v);
        }
    }

    /** Walks element offsets of a strided layout in logical order, starting at a logical index. */
    static final class Cursor {
        private final int[] shape;
        private final long[] strides;
        private final int[] index;
        long offset;

        Cursor(TensorData t, long start) {
            shape = t.shape();
            strides = t.strides();
            index = new int[shape.length];
            offset = t.offset();
            long rem = start;
            for (int d = shape.length - 1; d >= 0; d--) {
                int size = shape[d];
                index[d] = size == 0 ? 0 : (int) (rem % size);
                rem = size == 0 ? 0 : rem / size;
                offset += index[d] * strides[d];
            }
        }

        void next() {
            for (int d = shape.length - 1; d >= 0; d--) {
                offset += strides[d];
                if (++index[d] < shape[d]) return;
                offset -= strides[d] * shape[d];
                index[d] = 0;
            }
        }
    }

    /** dst[dstPos + k] = t[start + k] for k in [0, count), in logical order. */
    static void read(TensorData t, long start, int count, double[] dst, int dstPos) {
        MemorySegment s = segment(t);
        DType type = t.dtype();
        if (t.isContiguous()) {
            long base = t.offset() + start;
            for (int k = 0; k < count; k++) dst[dstPos + k] = get(s, type, base + k);
            return;
        }
        Cursor c = new Cursor(t, start);
        for (int k = 0; k < count; k++) {
            dst[dstPos + k] = get(s, type, c.offset);
            c.next();
        }
    }

    static void write(double[] src, int srcPos, TensorData t, long start, int count) {
        MemorySegment s = segment(t);
        DType type = t.dtype();
        if (t.isContiguous()) {
            long base = t.offset() + start;
            for (int k = 0; k < count; k++) set(s, type, base + k, src[srcPos + k]);
            return;
        }
        Cursor c = new Cursor(t, start);
        for (int k = 0; k < count; k++) {
            set(s, type, c.offset, src[srcPos + k]);
            c.next();
        }
    }

    /** The whole tensor as a dense double array (for the ops that work on whole matrices). */
    static double[] readAll(TensorData t) {
        long n = t.numel();
        if (n > Integer.MAX_VALUE - 8) throw new IllegalArgumentException("tensor of " + n + " elements is too large for the cpu backend");
        double[] out = new double[(int) n];
        read(t, 0, (int) n, out, 0);
        return out;
    }

    static void writeAll(double[] src, TensorData t) {
        write(src, 0, t, 0, src.length);
    }
}
