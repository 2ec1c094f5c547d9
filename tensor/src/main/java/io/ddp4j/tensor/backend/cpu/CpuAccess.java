package io.ddp4j.tensor.backend.cpu;

import io.ddp4j.tensor.DType;
import io.ddp4j.tensor.backend.TensorData;
import io.ddp4j.tensor.memory.CpuStorage;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * Reads and writes elements of CPU tensors as doubles, in the tensor's logical row-major order
 * whatever its strides. Doubles hold every float dtype exactly and integers up to 2^53, which is
 * what a reference implementation of float arithmetic needs; integer tensors also read and write
 * as longs (the integer lane: exact over int64's whole range, and a long converts to a float dtype
 * in one rounding, as C++'s casts do), and same-dtype copies go through raw bits.
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

    /**
     * A layout with its size-1 dims dropped and neighbouring dims merged where their strides
     * allow, so the innermost dim is as long as possible; rank at least 1.
     */
    record Runs(int[] shape, long[] strides, long offset) {
        static Runs of(TensorData t) {
            int[] shape = t.shape();
            long[] strides = t.strides();
            int[] cs = new int[Math.max(1, shape.length)];
            long[] ct = new long[cs.length];
            int r = 0;
            for (int d = 0; d < shape.length; d++) {
                if (shape[d] == 1) continue;
                if (r > 0 && ct[r - 1] == strides[d] * shape[d]) {
                    cs[r - 1] *= shape[d];
                    ct[r - 1] = strides[d];
                } else {
                    cs[r] = shape[d];
                    ct[r++] = strides[d];
                }
            }
            if (r == 0) {
                cs[0] = shape.length == 0 || t.numel() != 0 ? 1 : 0;
                ct[0] = 1;
                r = 1;
            }
            return new Runs(java.util.Arrays.copyOf(cs, r), java.util.Arrays.copyOf(ct, r), t.offset());
        }

        int rank() {
            return shape.length;
        }

        long innerStride() {
            return strides[shape.length - 1];
        }
    }

    @FunctionalInterface
    interface RunBody {
        /** Elements pos .. pos + len of the range (relative to its start) are at off, off + stride, ... */
        void run(long off, int pos, int len);
    }

    /** Calls body for each stretch of the range [start, start + count) that lies along the innermost dim. */
    static void forEachRun(Runs l, long start, int count, RunBody body) {
        int rank = l.rank();
        int[] shape = l.shape;
        long[] strides = l.strides;
        int inner = shape[rank - 1];
        long innerStride = strides[rank - 1];
        if (rank == 1) {
            if (count > 0) body.run(l.offset + start * innerStride, 0, count);
            return;
        }
        int[] index = new int[rank];
        long off = l.offset;
        long rem = start;
        for (int d = rank - 1; d >= 0; d--) {
            index[d] = (int) (rem % shape[d]);
            rem /= shape[d];
            off += index[d] * strides[d];
        }
        int pos = 0;
        while (pos < count) {
            int len = Math.min(inner - index[rank - 1], count - pos);
            body.run(off, pos, len);
            pos += len;
            if (pos >= count) break;
            // back to the start of this row, then on to the next one
            off -= index[rank - 1] * innerStride;
            index[rank - 1] = 0;
            for (int d = rank - 2; d >= 0; d--) {
                off += strides[d];
                if (++index[d] < shape[d]) break;
                off -= strides[d] * shape[d];
                index[d] = 0;
            }
        }
    }

    /** dst[pos + k] = element at off + k * stride, for k in [0, count). */
    static void readRun(MemorySegment s, DType type, long off, long stride, int count, double[] dst, int pos) {
        if (count <= 0) return;
        checkRun(s, type, off, stride, count);
        switch (type) {
            case F32 -> {
                if (stride == 1) for (int k = 0; k < count; k++) dst[pos + k] = s.getAtIndex(ValueLayout.JAVA_FLOAT, off + k);
                else for (int k = 0; k < count; k++) dst[pos + k] = s.getAtIndex(ValueLayout.JAVA_FLOAT, off + k * stride);
            }
            case F64 -> {
                if (stride == 1) MemorySegment.copy(s, ValueLayout.JAVA_DOUBLE, off * 8, dst, pos, count);
                else for (int k = 0; k < count; k++) dst[pos + k] = s.getAtIndex(ValueLayout.JAVA_DOUBLE, off + k * stride);
            }
            case F16 -> { for (int k = 0; k < count; k++) dst[pos + k] = Float.float16ToFloat(s.getAtIndex(ValueLayout.JAVA_SHORT, off + k * stride)); }
            case BF16 -> { for (int k = 0; k < count; k++) dst[pos + k] = Float.intBitsToFloat((s.getAtIndex(ValueLayout.JAVA_SHORT, off + k * stride) & 0xFFFF) << 16); }
            case I32 -> { for (int k = 0; k < count; k++) dst[pos + k] = s.getAtIndex(ValueLayout.JAVA_INT, off + k * stride); }
            case I64 -> { for (int k = 0; k < count; k++) dst[pos + k] = s.getAtIndex(ValueLayout.JAVA_LONG, off + k * stride); }
            case U8 -> { for (int k = 0; k < count; k++) dst[pos + k] = s.getAtIndex(ValueLayout.JAVA_BYTE, off + k * stride) & 0xFF; }
            case BOOL -> { for (int k = 0; k < count; k++) dst[pos + k] = s.getAtIndex(ValueLayout.JAVA_BYTE, off + k * stride) != 0 ? 1 : 0; }
        }
    }

    /** Element at off + k * stride = src[pos + k] converted to type, for k in [0, count). */
    static void writeRun(double[] src, int pos, MemorySegment s, DType type, long off, long stride, int count) {
        if (count <= 0) return;
        checkRun(s, type, off, stride, count);
        switch (type) {
            case F32 -> {
                if (stride == 1) for (int k = 0; k < count; k++) s.setAtIndex(ValueLayout.JAVA_FLOAT, off + k, (float) src[pos + k]);
                else for (int k = 0; k < count; k++) s.setAtIndex(ValueLayout.JAVA_FLOAT, off + k * stride, (float) src[pos + k]);
            }
            case F64 -> {
                if (stride == 1) MemorySegment.copy(src, pos, s, ValueLayout.JAVA_DOUBLE, off * 8, count);
                else for (int k = 0; k < count; k++) s.setAtIndex(ValueLayout.JAVA_DOUBLE, off + k * stride, src[pos + k]);
            }
            case F16 -> { for (int k = 0; k < count; k++) s.setAtIndex(ValueLayout.JAVA_SHORT, off + k * stride, Float.floatToFloat16((float) src[pos + k])); }
            case BF16 -> { for (int k = 0; k < count; k++) s.setAtIndex(ValueLayout.JAVA_SHORT, off + k * stride, toBFloat16((float) src[pos + k])); }
            case I32 -> { for (int k = 0; k < count; k++) s.setAtIndex(ValueLayout.JAVA_INT, off + k * stride, (int) (long) src[pos + k]); }
            case I64 -> { for (int k = 0; k < count; k++) s.setAtIndex(ValueLayout.JAVA_LONG, off + k * stride, (long) src[pos + k]); }
            case U8 -> { for (int k = 0; k < count; k++) s.setAtIndex(ValueLayout.JAVA_BYTE, off + k * stride, (byte) (long) src[pos + k]); }
            case BOOL -> { for (int k = 0; k < count; k++) s.setAtIndex(ValueLayout.JAVA_BYTE, off + k * stride, (byte) (src[pos + k] != 0 ? 1 : 0)); }
        }
    }

    /** dst[pos + k] = element at off + k * stride, for k in [0, count), of an integer or bool tensor. */
    static void readRunLong(MemorySegment s, DType type, long off, long stride, int count, long[] dst, int pos) {
        if (count <= 0) return;
        checkRun(s, type, off, stride, count);
        switch (type) {
            case I32 -> { for (int k = 0; k < count; k++) dst[pos + k] = s.getAtIndex(ValueLayout.JAVA_INT, off + k * stride); }
            case I64 -> {
                if (stride == 1) MemorySegment.copy(s, ValueLayout.JAVA_LONG, off * 8, dst, pos, count);
                else for (int k = 0; k < count; k++) dst[pos + k] = s.getAtIndex(ValueLayout.JAVA_LONG, off + k * stride);
            }
            case U8 -> { for (int k = 0; k < count; k++) dst[pos + k] = s.getAtIndex(ValueLayout.JAVA_BYTE, off + k * stride) & 0xFF; }
            case BOOL -> { for (int k = 0; k < count; k++) dst[pos + k] = s.getAtIndex(ValueLayout.JAVA_BYTE, off + k * stride) != 0 ? 1 : 0; }
            default -> throw new IllegalArgumentException("the integer lane reads integer and bool tensors, got " + type);
        }
    }

    /**
     * Element at off + k * stride = src[pos + k] converted to type, for k in [0, count): integers
     * keep the low bits (two's complement wrap, as C++ and PyTorch), floats round the long once.
     */
    static void writeRunLong(long[] src, int pos, MemorySegment s, DType type, long off, long stride, int count) {
        if (count <= 0) return;
        checkRun(s, type, off, stride, count);
        switch (type) {
            case F32 -> { for (int k = 0; k < count; k++) s.setAtIndex(ValueLayout.JAVA_FLOAT, off + k * stride, (float) src[pos + k]); }
            case F64 -> { for (int k = 0; k < count; k++) s.setAtIndex(ValueLayout.JAVA_DOUBLE, off + k * stride, (double) src[pos + k]); }
            case F16 -> { for (int k = 0; k < count; k++) s.setAtIndex(ValueLayout.JAVA_SHORT, off + k * stride, Float.floatToFloat16((float) src[pos + k])); }
            case BF16 -> { for (int k = 0; k < count; k++) s.setAtIndex(ValueLayout.JAVA_SHORT, off + k * stride, toBFloat16((float) src[pos + k])); }
            case I32 -> { for (int k = 0; k < count; k++) s.setAtIndex(ValueLayout.JAVA_INT, off + k * stride, (int) src[pos + k]); }
            case I64 -> {
                if (stride == 1) MemorySegment.copy(src, pos, s, ValueLayout.JAVA_LONG, off * 8, count);
                else for (int k = 0; k < count; k++) s.setAtIndex(ValueLayout.JAVA_LONG, off + k * stride, src[pos + k]);
            }
            case U8 -> { for (int k = 0; k < count; k++) s.setAtIndex(ValueLayout.JAVA_BYTE, off + k * stride, (byte) src[pos + k]); }
            case BOOL -> { for (int k = 0; k < count; k++) s.setAtIndex(ValueLayout.JAVA_BYTE, off + k * stride, (byte) (src[pos + k] != 0 ? 1 : 0)); }
        }
    }

    /**
     * One bounds check for a whole run, with the same exception the per-element accesses would
     * throw, so the loops above fail before writing anything out of range.
     */
    private static void checkRun(MemorySegment s, DType type, long off, long stride, int count) {
        long last = off + (count - 1) * stride;
        long lo = Math.min(off, last), hi = Math.max(off, last);
        if (lo < 0 || (hi + 1) * type.byteSize() > s.byteSize())
            throw new IndexOutOfBoundsException("elements " + lo + " to " + hi + " of " + type + " are outside a segment of "
                    + s.byteSize() + " bytes");
    }

    /** Copies count elements of byteSize bytes, bits unchanged, between two strided runs. */
    static void copyRawRun(MemorySegment s, long sOff, long sStride, MemorySegment d, long dOff, long dStride, int count, int byteSize) {
        if (count <= 0) return;
        if (sStride == 1 && dStride == 1) {
            MemorySegment.copy(s, sOff * byteSize, d, dOff * byteSize, (long) count * byteSize);
            return;
        }
        switch (byteSize) {
            case 1 -> { for (int k = 0; k < count; k++) d.set(ValueLayout.JAVA_BYTE, dOff + k * dStride, s.get(ValueLayout.JAVA_BYTE, sOff + k * sStride)); }
            case 2 -> { for (int k = 0; k < count; k++) d.setAtIndex(ValueLayout.JAVA_SHORT, dOff + k * dStride, s.getAtIndex(ValueLayout.JAVA_SHORT, sOff + k * sStride)); }
            case 4 -> { for (int k = 0; k < count; k++) d.setAtIndex(ValueLayout.JAVA_INT, dOff + k * dStride, s.getAtIndex(ValueLayout.JAVA_INT, sOff + k * sStride)); }
            default -> { for (int k = 0; k < count; k++) d.setAtIndex(ValueLayout.JAVA_LONG, dOff + k * dStride, s.getAtIndex(ValueLayout.JAVA_LONG, sOff + k * sStride)); }
        }
    }

    @FunctionalInterface
    interface StridedRunBody {
        /** Elements pos .. pos + len of the range (relative to its start) are at off, off + stride, ... of the segment. */
        void run(long off, long stride, int pos, int len);
    }

    /** Calls body for each run of t's elements [start, start + count): a single one when t is contiguous. */
    private static void forEachRun(TensorData t, long start, int count, StridedRunBody body) {
        if (t.isContiguous()) {
            body.run(t.offset() + start, 1, 0, count);
            return;
        }
        Runs l = Runs.of(t);
        long stride = l.innerStride();
        forEachRun(l, start, count, (off, pos, len) -> body.run(off, stride, pos, len));
    }

    /** dst[dstPos + k] = t[start + k] for k in [0, count), in logical order. */
    static void read(TensorData t, long start, int count, double[] dst, int dstPos) {
        MemorySegment s = segment(t);
        forEachRun(t, start, count, (off, stride, pos, len) -> readRun(s, t.dtype(), off, stride, len, dst, dstPos + pos));
    }

    static void write(double[] src, int srcPos, TensorData t, long start, int count) {
        MemorySegment s = segment(t);
        forEachRun(t, start, count, (off, stride, pos, len) -> writeRun(src, srcPos + pos, s, t.dtype(), off, stride, len));
    }

    /** {@link #read} in the integer lane: t must be an integer or bool tensor. */
    static void readLongs(TensorData t, long start, int count, long[] dst, int dstPos) {
        MemorySegment s = segment(t);
        forEachRun(t, start, count, (off, stride, pos, len) -> readRunLong(s, t.dtype(), off, stride, len, dst, dstPos + pos));
    }

    /** {@link #write} from the integer lane, into a tensor of any dtype. */
    static void writeLongs(long[] src, int srcPos, TensorData t, long start, int count) {
        MemorySegment s = segment(t);
        forEachRun(t, start, count, (off, stride, pos, len) -> writeRunLong(src, srcPos + pos, s, t.dtype(), off, stride, len));
    }

    /** The whole tensor as a dense double array (for the ops that work on whole matrices). */
    static double[] readAll(TensorData t) {
        return readAll(t, -1);
    }

    /**
     * The tensor's elements as dense doubles, in this thread's {@link CpuScratch} array for
     * {@code slot} (which may be longer than the tensor), or in a new array when slot is -1.
     */
    static double[] readAll(TensorData t, int slot) {
        long n = t.numel();
        if (n > Integer.MAX_VALUE - 8) throw new IllegalArgumentException("tensor of " + n + " elements is too large for the cpu backend");
        double[] out = slot < 0 ? new double[(int) n] : CpuScratch.get(slot, (int) n);
        if (t.isContiguous() || n == 0) {
            read(t, 0, (int) n, out, 0);
            return out;
        }
        Runs l = Runs.of(t);
        int r = l.rank();
        if (r >= 2 && l.strides[r - 2] == 1 && l.innerStride() != 1) {
            readTransposed(t, l, out);
            return out;
        }
        read(t, 0, (int) n, out, 0);
        return out;
    }

    /**
     * Reads a layout whose last two dims are [rows, cols] with rows dense (a transposed matrix, as
     * x W^T and its backward see the weight) in square tiles, so memory is read along its rows.
     */
    private static void readTransposed(TensorData t, Runs l, double[] out) {
        MemorySegment s = segment(t);
        DType type = t.dtype();
        int r = l.rank();
        int rows = l.shape[r - 2], cols = l.shape[r - 1];
        long colStride = l.innerStride();
        int[] outerShape = java.util.Arrays.copyOf(l.shape, r - 2);
        long[] outerStrides = java.util.Arrays.copyOf(l.strides, r - 2);
        long outer = 1;
        for (int d : outerShape) outer *= d;
        final int tile = 64;
        double[] buf = new double[tile * tile];
        int[] index = new int[r - 2];
        long base = l.offset;
        for (long o = 0; o < outer; o++) {
            int matrix = (int) (o * rows * cols);
            for (int i0 = 0; i0 < rows; i0 += tile) {
                int ni = Math.min(tile, rows - i0);
                for (int j0 = 0; j0 < cols; j0 += tile) {
                    int nj = Math.min(tile, cols - j0);
                    for (int jj = 0; jj < nj; jj++) readRun(s, type, base + i0 + (j0 + jj) * colStride, 1, ni, buf, jj * tile);
                    for (int ii = 0; ii < ni; ii++) {
                        int row = matrix + (i0 + ii) * cols + j0;
                        for (int jj = 0; jj < nj; jj++) out[row + jj] = buf[jj * tile + ii];
                    }
                }
            }
            for (int d = r - 3; d >= 0; d--) {
                base += outerStrides[d];
                if (++index[d] < outerShape[d]) break;
                base -= outerStrides[d] * outerShape[d];
                index[d] = 0;
            }
        }
    }

    static void writeAll(double[] src, TensorData t) {
        write(src, 0, t, 0, src.length);
    }
}
