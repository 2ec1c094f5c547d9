package io.ddp4j.tensor.backend.cpu;

import io.ddp4j.tensor.DType;
import io.ddp4j.tensor.backend.BinaryOp;
import io.ddp4j.tensor.backend.TensorData;
import io.ddp4j.tensor.backend.UnaryOp;
import java.lang.foreign.MemorySegment;
import java.util.Arrays;

/**
 * The float32 shortcut for elementwise ops whose float result is exactly the reference's: the cpu
 * backend computes in double and rounds once to the output's dtype, and for add, sub, mul, div
 * and sqrt a double result rounded to float is the correctly rounded float result (double has more
 * than twice float's precision plus two bits), while neg, abs, relu, relu's step mask, maximum and
 * minimum only pick or sign-flip a value. So these ops on float32 tensors may run directly in
 * float, vector by vector, without the round trip through double arrays that otherwise costs more
 * than the op (measured on relu: about 1 ns an element through doubles, 0.1 to 0.3 ns direct).
 *
 * <p>It applies when the Vector API is in use ({@link CpuVectorSupport}), the output is a dense
 * float32 tensor, and every input is float32 and, over the output's trailing dims from some dim on
 * (the rows), either dense in the same order or one value broadcast: a scalar operand, a bias row
 * added to every sample, a per-channel bias added to every pixel of a plane. Rows shorter than
 * {@link #MIN_ROW}, other layouts and dtypes, and an input that shares the output's memory in
 * another layout take the general path; the two give the same bits ({@code CpuFloatLaneTest}).
 */
final class CpuFloatLane {
    /** Shorter rows cost more in setup than the round trip through doubles saves. */
    static final int MIN_ROW = 32;
    /** Elements per task: below this the op stays on the calling thread. */
    private static final int MIN_PER_TASK = 1 << 15;

    private CpuFloatLane() {}

    /** Runs op here and returns true, or returns false for the general path. */
    static boolean unary(UnaryOp op, TensorData x, TensorData out) {
        if (!supported(op)) return false;
        Rows rows = Rows.of(out, x);
        if (rows == null) return false;
        MemorySegment xs = CpuAccess.segment(x), os = CpuAccess.segment(out);
        boolean xUniform = rows.uniform()[0];
        rows.forEach((offsets, len) -> CpuVectorFloats.unary(op, xs, offsets[0], xUniform, os, offsets[1], len));
        return true;
    }

    /** Runs op here and returns true, or returns false for the general path. */
    static boolean binary(BinaryOp op, TensorData a, TensorData b, TensorData out) {
        if (!supported(op)) return false;
        Rows rows = Rows.of(out, a, b);
        if (rows == null) return false;
        MemorySegment as = CpuAccess.segment(a), bs = CpuAccess.segment(b), os = CpuAccess.segment(out);
        boolean aUniform = rows.uniform()[0], bUniform = rows.uniform()[1];
        rows.forEach((offsets, len) -> CpuVectorFloats.binary(op, as, offsets[0], aUniform, bs, offsets[1], bUniform, os, offsets[2], len));
        return true;
    }

    static boolean supported(UnaryOp op) {
        return switch (op) {
            case NEG, ABS, SQRT, RELU, STEP -> true;
            default -> false;
        };
    }

    static boolean supported(BinaryOp op) {
        return switch (op) {
            case ADD, SUB, MUL, DIV, MAXIMUM, MINIMUM -> true;
            default -> false;
        };
    }

    @FunctionalInterface
    interface RowBody {
        /** One row of len elements: offsets holds each input's first element, then the output's. */
        void run(long[] offsets, int len);
    }

    /**
     * The output seen as rows over its dims from {@code first} on, and for each input whether a row
     * of it is one value (else it is dense along the row); its strides over the dims before first
     * step from row to row.
     */
    record Rows(TensorData out, TensorData[] inputs, int first, int len, boolean[] uniform) {
        static Rows of(TensorData out, TensorData... inputs) {
            if (!CpuVectorSupport.enabled() || out.dtype() != DType.F32 || !out.isContiguous() || out.numel() == 0) return null;
            int rank = out.rank(), first = 0;
            boolean[] uniform = new boolean[inputs.length];
            for (int k = 0; k < inputs.length; k++) {
                TensorData in = inputs[k];
                if (in.dtype() != DType.F32) return null;
                if (in.storage() == out.storage() && !(in.offset() == out.offset() && Arrays.equals(in.strides(), out.strides())))
                    return null;
                int denseAt = denseFrom(in), uniformAt = uniformFrom(in);
                uniform[k] = uniformAt < denseAt;
                first = Math.max(first, Math.min(denseAt, uniformAt));
            }
            // the inputs' rows must all start at the same dim: the later one wins, and stays dense or one value
            long len = 1;
            for (int d = first; d < rank; d++) len *= out.shape()[d];
            if (len < MIN_ROW && len != out.numel()) return null;
            if (len > Integer.MAX_VALUE) return null;
            return new Rows(out, inputs, first, (int) len, uniform);
        }

        /** Runs body over every row, rows split over the cpu backend's threads. */
        void forEach(RowBody body) {
            int[] shape = out.shape();
            long rowCount = out.numel() / len;
            long minRows = Math.max(1, MIN_PER_TASK / len);
            CpuParallel.forRange(rowCount, minRows, (from, to) -> {
                int n = inputs.length;
                long[] offsets = new long[n + 1];
                int[] index = new int[first];
                long rem = from;
                for (int d = first - 1; d >= 0; d--) {
                    index[d] = (int) (rem % shape[d]);
                    rem /= shape[d];
                }
                for (long row = from; row < to; row++) {
                    for (int k = 0; k < n; k++) {
                        long off = inputs[k].offset();
                        for (int d = 0; d < first; d++) off += index[d] * inputs[k].strides()[d];
                        offsets[k] = off;
                    }
                    offsets[n] = out.offset() + row * len;
                    body.run(offsets, len);
                    for (int d = first - 1; d >= 0; d--) {
                        if (++index[d] < shape[d]) break;
                        index[d] = 0;
                    }
                }
            });
        }
    }

    /** The first dim from which t is dense in row-major order (size-1 dims aside): rank when none. */
    private static int denseFrom(TensorData t) {
        int[] shape = t.shape();
        long[] strides = t.strides();
        long expected = 1;
        int d = shape.length;
        while (d > 0 && (shape[d - 1] == 1 || strides[d - 1] == expected)) {
            expected *= shape[d - 1];
            d--;
        }
        return d;
    }

    /** The first dim from which every element of t is the same one (size-1 dims aside): rank when none. */
    private static int uniformFrom(TensorData t) {
        int[] shape = t.shape();
        long[] strides = t.strides();
        int d = shape.length;
        while (d > 0 && (shape[d - 1] == 1 || strides[d - 1] == 0)) d--;
        return d;
    }
}
