package io.ddp4j.tensor.ops;

import io.ddp4j.tensor.backend.TensorData;

import java.util.Arrays;

/** Layout arithmetic that does not touch memory: broadcast views and stride computation for view(). */
final class Layouts {
    private Layouts() {}

    /** t seen with {@code shape} (which it broadcasts to): new leading dims and size-1 dims get stride 0. */
    static TensorData broadcastTo(TensorData t, int[] shape) {
        if (Arrays.equals(t.shape(), shape)) return t;
        long[] strides = new long[shape.length];
        int lead = shape.length - t.rank();
        for (int d = 0; d < shape.length; d++) {
            if (d < lead) continue;
            int s = t.shape()[d - lead];
            strides[d] = (s == 1 && shape[d] != 1) ? 0 : t.strides()[d - lead];
        }
        return t.withLayout(shape.clone(), strides, t.offset());
    }

    /**
     * Strides that let the existing memory be seen with {@code newShape} without copying, or null
     * if there are none (PyTorch's computeStride: each run of dims that is contiguous in memory may
     * be split or merged freely).
     */
    static long[] viewStrides(int[] oldShape, long[] oldStrides, int[] newShape) {
        long numel = 1;
        for (int s : oldShape) numel *= s;
        if (numel == 0 || oldShape.length == 0) return TensorData.contiguousStrides(newShape);
        long[] newStrides = new long[newShape.length];
        int viewD = newShape.length - 1;
        long chunkBaseStride = oldStrides[oldStrides.length - 1];
        long tensorNumel = 1, viewNumel = 1;
        for (int tensorD = oldShape.length - 1; tensorD >= 0; tensorD--) {
            tensorNumel *= oldShape[tensorD];
            if (tensorD == 0 || (oldShape[tensorD - 1] != 1 && oldStrides[tensorD - 1] != tensorNumel * chunkBaseStride)) {
                while (viewD >= 0 && (viewNumel < tensorNumel || newShape[viewD] == 1)) {
                    newStrides[viewD] = viewNumel * chunkBaseStride;
                    viewNumel *= newShape[viewD];
                    viewD--;
                }
                if (viewNumel != tensorNumel) return null;
                if (tensorD > 0) {
                    chunkBaseStride = oldStrides[tensorD - 1];
                    tensorNumel = 1;
                    viewNumel = 1;
                }
            }
        }
        return viewD == -1 ? newStrides : null;
    }

    static int[] keepDimShape(int[] shape, int[] dims) {
        int[] out = shape.clone();
        for (int d : dims) out[d] = 1;
        return out;
    }

    static int[] dropDims(int[] shape, int[] dims) {
        int[] out = new int[shape.length - dims.length];
        int k = 0;
        outer:
        for (int d = 0; d < shape.length; d++) {
            for (int r : dims) if (r == d) continue outer;
            out[k++] = shape[d];
        }
        return out;
    }

    static long numel(int[] shape) {
        long n = 1;
        for (int s : shape) n *= s;
        return n;
    }
}
