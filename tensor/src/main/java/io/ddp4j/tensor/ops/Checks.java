package io.ddp4j.tensor.ops;

import io.ddp4j.tensor.Tensor;

import java.util.Arrays;

/** Argument checks shared by the ops; every message names the op and the operands. */
public final class Checks {
    private Checks() {}

    public static void open(String op, Tensor... tensors) {
        for (int i = 0; i < tensors.length; i++) {
            Tensor t = tensors[i];
            if (t == null) throw new NullPointerException(op + ": operand " + i + " is null");
            if (t.isClosed())
                throw new IllegalStateException(op + ": " + (tensors.length > 1 ? "operand " + i + ", " : "")
                        + "tensor " + t.describe() + ", is closed");
        }
    }

    public static void sameDevice(String op, Tensor a, Tensor b) {
        if (!a.device().equals(b.device()))
            throw new IllegalArgumentException(op + ": operands are on different devices, " + a.device() + " and " + b.device()
                    + " (" + a.describe() + " and " + b.describe() + " on " + b.device() + "); move one with to(device)");
    }

    public static void sameDType(String op, Tensor a, Tensor b) {
        if (a.dtype() != b.dtype())
            throw new IllegalArgumentException(op + ": operands have different dtypes, " + a.dtype() + " and " + b.dtype()
                    + " (" + a.describe() + " and " + b.describe() + "); convert one with to(dtype)");
    }

    /** Open, same device, same dtype. */
    public static void compatible(String op, Tensor a, Tensor b) {
        open(op, a, b);
        sameDevice(op, a, b);
        sameDType(op, a, b);
    }

    public static void floatingPoint(String op, Tensor t) {
        if (!t.dtype().isFloatingPoint())
            throw new IllegalArgumentException(op + ": needs a floating-point tensor, got " + t.describe());
    }

    public static void rank(String op, Tensor t, int expected, String layout) {
        if (t.dim() != expected)
            throw new IllegalArgumentException(op + ": expected a " + expected + "-d tensor " + layout + ", got " + t.describe());
    }

    /** Normalises a possibly negative dim; out of range throws naming the op. */
    public static int dim(String op, int dim, int rank) {
        int r = Math.max(rank, 1);
        if (dim < -r || dim >= r)
            throw new IndexOutOfBoundsException(op + ": dim " + dim + " is out of range for a " + rank + "-d tensor (expected "
                    + -r + " to " + (r - 1) + ")");
        return dim < 0 ? dim + r : dim;
    }

    public static int dim(String op, int dim, Tensor t) {
        int r = Math.max(t.dim(), 1);
        if (dim < -r || dim >= r)
            throw new IndexOutOfBoundsException(op + ": dim " + dim + " is out of range for " + t.describe() + " (expected "
                    + -r + " to " + (r - 1) + ")");
        return dim < 0 ? dim + r : dim;
    }

    /** Sorted, distinct, normalised dims; null means all of them. */
    public static int[] dims(String op, int[] dims, Tensor t) {
        if (dims == null) {
            int[] all = new int[t.dim()];
            for (int i = 0; i < all.length; i++) all[i] = i;
            return all;
        }
        int[] out = new int[dims.length];
        for (int i = 0; i < dims.length; i++) out[i] = dim(op, dims[i], t);
        Arrays.sort(out);
        for (int i = 1; i < out.length; i++)
            if (out[i] == out[i - 1]) throw new IllegalArgumentException(op + ": dim " + out[i] + " appears twice in " + Arrays.toString(dims));
        return out;
    }

    public static int[] shape(String op, int[] shape) {
        for (int s : shape)
            if (s < 0) throw new IllegalArgumentException(op + ": negative size in shape " + Arrays.toString(shape));
        return shape.clone();
    }

    /** Throws if some element of the layout falls outside a storage of {@code capacity} elements. */
    public static void layoutFits(String op, long capacity, int[] shape, long[] strides, long offset) {
        if (shape.length != strides.length)
            throw new IllegalArgumentException(op + ": shape " + Arrays.toString(shape) + " and strides " + Arrays.toString(strides) + " differ in rank");
        long lo = offset, hi = offset;
        boolean empty = false;
        for (int d = 0; d < shape.length; d++) {
            if (shape[d] < 0) throw new IllegalArgumentException(op + ": negative size in shape " + Arrays.toString(shape));
            if (shape[d] == 0) empty = true;
            long span = (long) (shape[d] - 1) * strides[d];
            if (span < 0) lo += span; else hi += span;
        }
        if (!empty && (lo < 0 || hi >= capacity))
            throw new IndexOutOfBoundsException(op + ": shape " + Arrays.toString(shape) + ", strides " + Arrays.toString(strides)
                    + " and offset " + offset + " reach elements " + lo + ".." + hi + " of a storage of " + capacity + " elements");
    }

    /** The broadcast shape of two operands; the message names both tensors. */
    public static int[] broadcastShapes(String op, Tensor a, Tensor b) {
        try {
            return broadcastShapes(op, a.shape(), b.shape());
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(e.getMessage() + ", for " + a.describe() + " and " + b.describe());
        }
    }

    /** PyTorch's broadcasting: align on the right, sizes must match or be 1. */
    public static int[] broadcastShapes(String op, int[] a, int[] b) {
        int rank = Math.max(a.length, b.length);
        int[] out = new int[rank];
        for (int i = 0; i < rank; i++) {
            int sa = i < rank - a.length ? 1 : a[i - (rank - a.length)];
            int sb = i < rank - b.length ? 1 : b[i - (rank - b.length)];
            if (sa != sb && sa != 1 && sb != 1)
                throw new IllegalArgumentException(op + ": shapes " + Arrays.toString(a) + " and " + Arrays.toString(b)
                        + " cannot be broadcast together (dim " + (i - rank) + ": " + sa + " vs " + sb + ")");
            out[i] = sa == 1 ? sb : sa;
        }
        return out;
    }
}
