package io.ddp4j.tensor.backend.cpu;

import io.ddp4j.tensor.backend.TensorData;

/** index_select and its adjoint index_add, seeing each tensor as [outer, dim, inner]. */
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
        double[] raw = CpuAccess.readAll(indexd);
        int[] idx = new int[raw.length];
        for (int k = 0; k < raw.length; k++) {
            if (raw[k] < 0 || raw[k] >= size)
                throw new IndexOutOfBoundsException(op + ": index " + (long) raw[k] + " at position " + k
                        + " is out of range for dim " + dim + " of size " + size);
            idx[k] = (int) raw[k];
        }
        return idx;
    }

    static void indexSelect(TensorData xd, int dim, TensorData indexd, TensorData outd) {
        int size = xd.shape()[dim];
        int[] idx = checkedIndices("index_select", indexd, size, dim);
        double[] x = CpuAccess.readAll(xd);
        long outer = outer(xd.shape(), dim), inner = inner(xd.shape(), dim);
        double[] out = new double[(int) (outer * idx.length * inner)];
        for (long o = 0; o < outer; o++)
            for (int k = 0; k < idx.length; k++)
                System.arraycopy(x, (int) ((o * size + idx[k]) * inner), out, (int) ((o * idx.length + k) * inner), (int) inner);
        CpuAccess.writeAll(out, outd);
    }

    static void indexAdd(TensorData outd, int dim, TensorData indexd, TensorData srcd) {
        int size = outd.shape()[dim];
        int[] idx = checkedIndices("index_add", indexd, size, dim);
        double[] out = CpuAccess.readAll(outd), src = CpuAccess.readAll(srcd);
        long outer = outer(outd.shape(), dim), inner = inner(outd.shape(), dim);
        for (long o = 0; o < outer; o++)
            for (int k = 0; k < idx.length; k++) {
                int to = (int) ((o * size + idx[k]) * inner), from = (int) ((o * idx.length + k) * inner);
                for (int e = 0; e < inner; e++) out[to + e] += src[from + e];
            }
        CpuAccess.writeAll(out, outd);
    }
}
