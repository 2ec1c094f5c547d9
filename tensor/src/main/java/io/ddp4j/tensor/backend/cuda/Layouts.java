package io.ddp4j.tensor.backend.cuda;

import java.util.Arrays;

/**
 * The index arithmetic of the strided kernels, on the host: merging dims so that a launch carries
 * as few as possible (a contiguous tensor becomes one dim), and the offset a kernel computes for
 * a logical index, so tests can check both against the CPU backend's walk without a GPU.
 */
final class Layouts {
    /** The most dims a kernel's parameter struct carries (DDP4J_MAX_RANK in tensor.cuh). */
    static final int MAX_RANK = 8;

    private Layouts() {}

    /** A shape and, per operand, strides over it. */
    record Collapsed(int[] shape, long[][] strides) {
        int rank() {
            return shape.length;
        }

        @Override
        public String toString() {
            StringBuilder b = new StringBuilder(Arrays.toString(shape));
            for (long[] s : strides) b.append(' ').append(Arrays.toString(s));
            return b.toString();
        }
    }

    /**
     * Drops size-1 dims and merges neighbours d, d+1 wherever every operand steps through them as
     * one (stride[d] == stride[d+1] * shape[d+1]); the elements visited in logical order, and
     * their offsets, stay the same. A shape with a 0 dim becomes [0].
     */
    static Collapsed collapse(int[] shape, long[]... strides) {
        for (int s : shape) {
            if (s == 0) {
                long[][] zero = new long[strides.length][1];
                return new Collapsed(new int[]{0}, zero);
            }
        }
        int ops = strides.length;
        int[] outShape = new int[shape.length];
        long[][] outStrides = new long[ops][shape.length];
        int rank = 0;
        for (int d = 0; d < shape.length; d++) {
            if (shape[d] == 1) continue;
            if (rank > 0) {
                boolean merge = true;
                for (int k = 0; k < ops && merge; k++)
                    merge = outStrides[k][rank - 1] == strides[k][d] * shape[d];
                if (merge) {
                    long merged = (long) outShape[rank - 1] * shape[d];
                    if (merged <= Integer.MAX_VALUE) {
                        outShape[rank - 1] = (int) merged;
                        for (int k = 0; k < ops; k++) outStrides[k][rank - 1] = strides[k][d];
                        continue;
                    }
                }
            }
            outShape[rank] = shape[d];
            for (int k = 0; k < ops; k++) outStrides[k][rank] = strides[k][d];
            rank++;
        }
        long[][] st = new long[ops][];
        for (int k = 0; k < ops; k++) st[k] = Arrays.copyOf(outStrides[k], rank);
        return new Collapsed(Arrays.copyOf(outShape, rank), st);
    }

    /** The element offset (from the operand's first element) of logical index i: ddp4j_offsets in tensor.cuh. */
    static long offset(int[] shape, long[] strides, long i) {
        long rem = i, off = 0;
        for (int d = shape.length - 1; d >= 0; d--) {
            long k = rem % shape[d];
            rem /= shape[d];
            off += k * strides[d];
        }
        return off;
    }

    static long numel(int[] shape) {
        long n = 1;
        for (int s : shape) n *= s;
        return n;
    }

    /** Blocks for a grid-stride launch over n items: enough to cover n, capped (the loop does the rest). */
    static int gridFor(long n, int threads) {
        return (int) Math.max(1, Math.min((n + threads - 1) / threads, 1L << 16));
    }

    static void checkRank(String op, int rank) {
        if (rank > MAX_RANK)
            throw new IllegalArgumentException(op + " on cuda: the tensors need " + rank + " dims after merging contiguous ones;"
                    + " the CUDA kernels take at most " + MAX_RANK + " (make the tensor contiguous first)");
    }
}
