package io.ddp4j.tensor.backend.cpu;

import io.ddp4j.tensor.backend.TensorData;

/**
 * index_select and its adjoint index_add, seeing each tensor as [outer, dim, inner]; integer
 * tensors go through the integer lane, so int64 values are moved and summed exactly.
 */
final class CpuIndexing {
    private CpuIndexing() {}

    private static long outer(int[] shape, int dim) {
        long o = 1;
        for (int d = 0; d < dim; d++) o *= shape[d];
        return o;
    }

    private static long inner(int[] shape, int dim) {
        long o = 1;
        for (int d = dim + 1; d < shape.length; d++) o *= shape[d];
        return o;
    }

    private static int[] checkedIndices(String op, TensorData indexd, int size, int dim) {
        long[] raw = readAllLongs(indexd);
        int[] idx = new int[raw.length];
        for (int k = 0; k < raw.length; k++) {
            if (raw[k] < 0 || raw[k] >= size)
                throw new IndexOutOfBoundsException(op + ": index " + raw[k] + " at position " + k
                        + " is out of range for dim " + dim + " of size " + size);
            idx[k] = (int) raw[k];
        }
        return idx;
    }

    private static long[] readAllLongs(TensorData t) {
        long n = t.numel();
        if (n > Integer.MAX_VALUE - 8) throw new IllegalArgumentException("tensor of " + n + " elements is too large for the cpu backend");
        long[] out = new long[(int) n];
        CpuAccess.readLongs(t, 0, (int) n, out, 0);
        return out;
    }

    static void indexSelect(TensorData xd, int dim, TensorData indexd, TensorData outd) {
        int size = xd.shape()[dim];
        int[] idx = checkedIndices("index_select", indexd, size, dim);
        long outer = outer(xd.shape(), dim), inner = inner(xd.shape(), dim);
        int n = (int) (outer * idx.length * inner);
        if (CpuIntegers.all(xd.dtype())) {
            long[] x = readAllLongs(xd), out = new long[n];
            select(x, out, outer, size, idx, inner);
            CpuAccess.writeLongs(out, 0, outd, 0, n);
        } else {
            double[] x = CpuAccess.readAll(xd), out = new double[n];
            select(x, out, outer, size, idx, inner);
            CpuAccess.writeAll(out, outd);
        }
    }

    /** out[o, k, :] = x[o, idx[k], :], for x and out arrays of one primitive type. */
    private static void select(Object x, Object out, long outer, int size, int[] idx, long inner) {
        for (long o = 0; o < outer; o++)
            for (int k = 0; k < idx.length; k++)
                System.arraycopy(x, (int) ((o * size + idx[k]) * inner), out, (int) ((o * idx.length + k) * inner), (int) inner);
    }

    static void indexAdd(TensorData outd, int dim, TensorData indexd, TensorData srcd) {
        int size = outd.shape()[dim];
        int[] idx = checkedIndices("index_add", indexd, size, dim);
        long outer = outer(outd.shape(), dim), inner = inner(outd.shape(), dim);
        if (CpuIntegers.all(outd.dtype(), srcd.dtype())) {
            long[] out = readAllLongs(outd), src = readAllLongs(srcd);
            for (long o = 0; o < outer; o++)
                for (int k = 0; k < idx.length; k++) {
                    int to = (int) ((o * size + idx[k]) * inner), from = (int) ((o * idx.length + k) * inner);
                    for (int e = 0; e < inner; e++) out[to + e] += src[from + e];
                }
            CpuAccess.writeLongs(out, 0, outd, 0, out.length);
            return;
        }
        double[] out = CpuAccess.readAll(outd), src = CpuAccess.readAll(srcd);
        for (long o = 0; o < outer; o++)
            for (int k = 0; k < idx.length; k++) {
                int to = (int) ((o * size + idx[k]) * inner), from = (int) ((o * idx.length + k) * inner);
                for (int e = 0; e < inner; e++) out[to + e] += src[from + e];
            }
        CpuAccess.writeAll(out, outd);
    }
}
